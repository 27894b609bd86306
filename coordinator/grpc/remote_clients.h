// gRPC clients of storage daemons and of the accounts deletion outbox.
#pragma once

#include <grpcpp/channel.h>

#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "common/grpc_server.h"
#include "coordinator/core/remote.h"

namespace freehold::coordinator {

// One channel per daemon address, created on first use. Thread-safe.
class GrpcStorageNodeClient : public StorageNodeClient {
 public:
  explicit GrpcStorageNodeClient(ClientTlsOptions tls = {}) : tls_(std::move(tls)) {}
  absl::Status DeleteShard(const std::string& address, const std::string& grant,
                           absl::Duration timeout) override;
  // The cached channel to a daemon (created on first use).
  absl::StatusOr<std::shared_ptr<grpc::Channel>> ChannelFor(const std::string& address);

 private:
  const ClientTlsOptions tls_;
  absl::Mutex mu_;
  std::map<std::string, std::shared_ptr<grpc::Channel>> channels_ ABSL_GUARDED_BY(mu_);
};

// Accounts.ListDeletedAccounts / AckDeletedAccounts. Thread-safe.
class GrpcDeletedAccountsFeed : public DeletedAccountsFeed {
 public:
  static constexpr const char* kConsumerName = "coordinator";
  // Accounts accepts these calls from the coordinator role only: `channel` must
  // present the coordinator's certificate (or, without TLS, come from loopback).
  explicit GrpcDeletedAccountsFeed(std::shared_ptr<grpc::Channel> channel)
      : channel_(std::move(channel)) {}
  absl::StatusOr<std::vector<DeletedAccountEvent>> List(int64_t after_sequence, int limit) override;
  absl::Status Ack(int64_t up_to_sequence) override;

 private:
  void Prepare(grpc::ClientContext& ctx) const;
  std::shared_ptr<grpc::Channel> channel_;
};

// Accounts.ListRevokedSessions (the coordinator role: the channel presents the
// coordinator's certificate with TLS; loopback in plaintext development mode).
// Thread-safe.
class GrpcRevokedSessionsFeed : public RevokedSessionsFeed {
 public:
  explicit GrpcRevokedSessionsFeed(std::shared_ptr<grpc::Channel> channel)
      : channel_(std::move(channel)) {}
  absl::StatusOr<std::vector<RevokedSessionEvent>> List(int64_t after_sequence,
                                                        int limit) override;

 private:
  std::shared_ptr<grpc::Channel> channel_;
};

}  // namespace freehold::coordinator
