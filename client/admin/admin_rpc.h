// Small helpers shared by freehold-admin's command files: how a failed call is
// printed, how a response is printed as JSON, and the context every call carries.
#pragma once

#include <memory>
#include <string>

#include <google/protobuf/message.h>
#include <grpcpp/grpcpp.h>

namespace freehold::admin {

// Prints "freehold-admin: WHAT: MESSAGE (CODE)" on stderr; returns exit status 1.
int Failed(const std::string& what, const grpc::Status& st);

// Prints `m` as indented JSON on stdout.
void PrintJson(const google::protobuf::Message& m);

// A context with a 10 s deadline, carrying `bearer` as the authorization when set.
std::unique_ptr<grpc::ClientContext> Context(const std::string& bearer);

}  // namespace freehold::admin
