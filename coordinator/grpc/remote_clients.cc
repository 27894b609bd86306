#include "coordinator/grpc/remote_clients.h"

#include <grpcpp/client_context.h>

#include "common/grpc_status.h"
#include "freehold/v1/accounts.grpc.pb.h"
#include "freehold/v1/storage.grpc.pb.h"

namespace freehold::coordinator {

absl::StatusOr<std::shared_ptr<grpc::Channel>> GrpcStorageNodeClient::ChannelFor(
    const std::string& address) {
  absl::MutexLock lock(&mu_);
  auto it = channels_.find(address);
  if (it != channels_.end()) return it->second;
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = MakeChannel(address, tls_);
  if (!channel.ok()) return channel.status();
  channels_[address] = *channel;
  return *channel;
}

absl::Status GrpcStorageNodeClient::DeleteShard(const std::string& address,
                                                const std::string& grant, absl::Duration timeout) {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = ChannelFor(address);
  if (!channel.ok()) return channel.status();
  v1::StorageNode::Stub stub(*channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  v1::DeleteShardRequest request;
  request.mutable_grant()->set_token(grant);
  v1::DeleteShardResponse response;
  return FromGrpcStatus(stub.DeleteShard(&ctx, request, &response));
}

void GrpcDeletedAccountsFeed::Prepare(grpc::ClientContext& ctx) const {
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
}

absl::StatusOr<std::vector<DeletedAccountEvent>> GrpcDeletedAccountsFeed::List(
    int64_t after_sequence, int limit) {
  v1::Accounts::Stub stub(channel_);
  grpc::ClientContext ctx;
  Prepare(ctx);
  v1::ListDeletedAccountsRequest request;
  request.set_after_sequence(after_sequence);
  request.set_limit(static_cast<uint32_t>(limit));
  v1::ListDeletedAccountsResponse response;
  grpc::Status s = stub.ListDeletedAccounts(&ctx, request, &response);
  if (!s.ok()) return FromGrpcStatus(s);
  std::vector<DeletedAccountEvent> out;
  for (const v1::DeletedAccount& a : response.accounts()) {
    out.push_back(DeletedAccountEvent{a.sequence(), a.account_id()});
  }
  return out;
}

absl::StatusOr<std::vector<RevokedSessionEvent>> GrpcRevokedSessionsFeed::List(
    int64_t after_sequence, int limit) {
  v1::Accounts::Stub stub(channel_);
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  v1::ListRevokedSessionsRequest request;
  request.set_after_sequence(after_sequence);
  request.set_limit(static_cast<uint32_t>(limit));
  v1::ListRevokedSessionsResponse response;
  grpc::Status s = stub.ListRevokedSessions(&ctx, request, &response);
  if (!s.ok()) return FromGrpcStatus(s);
  std::vector<RevokedSessionEvent> out;
  out.reserve(response.sessions_size());
  for (const v1::RevokedSession& r : response.sessions()) {
    out.push_back(RevokedSessionEvent{
        r.sequence(), r.session_id(),
        absl::FromUnixSeconds(r.tokens_expire_by().seconds()) +
            absl::Nanoseconds(r.tokens_expire_by().nanos())});
  }
  return out;
}

absl::Status GrpcDeletedAccountsFeed::Ack(int64_t up_to_sequence) {
  v1::Accounts::Stub stub(channel_);
  grpc::ClientContext ctx;
  Prepare(ctx);
  v1::AckDeletedAccountsRequest request;
  request.set_up_to_sequence(up_to_sequence);
  request.set_consumer(kConsumerName);
  v1::AckDeletedAccountsResponse response;
  return FromGrpcStatus(stub.AckDeletedAccounts(&ctx, request, &response));
}

}  // namespace freehold::coordinator
