#include "client/admin/admin_rpc.h"

#include <chrono>
#include <iostream>

#include <google/protobuf/util/json_util.h>

#include "absl/status/status.h"
#include "common/grpc_status.h"

namespace freehold::admin {

int Failed(const std::string& what, const grpc::Status& st) {
  absl::Status s = FromGrpcStatus(st);
  std::cerr << "freehold-admin: " << what << ": " << s.message() << " ("
            << absl::StatusCodeToString(s.code()) << ")\n";
  return 1;
}

void PrintJson(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::util::JsonPrintOptions opts;
  opts.add_whitespace = true;
  (void)google::protobuf::util::MessageToJsonString(m, &out, opts);
  std::cout << out;
}

std::unique_ptr<grpc::ClientContext> Context(const std::string& bearer) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  if (!bearer.empty()) ctx->AddMetadata("authorization", "Bearer " + bearer);
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  return ctx;
}

}  // namespace freehold::admin
