#include "coordinator/grpc/shard_transfer.h"

#include <grpcpp/grpcpp.h>
#include <sodium.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/grpc_status.h"
#include "common/secure_compare.h"
#include "freehold/v1/shard_copy.grpc.pb.h"
#include "freehold/v1/storage.grpc.pb.h"

namespace freehold::coordinator {

absl::StatusOr<AuditAnswer> GrpcShardTransfer::Audit(const std::string& address,
                                                     const std::string& grant,
                                                     const std::string& challenge_key) {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = channels_.ChannelFor(address);
  if (!channel.ok()) return channel.status();
  v1::StorageNode::Stub stub(*channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + rpc_timeout_));
  v1::AuditShardRequest req;
  req.mutable_grant()->set_token(grant);
  req.set_challenge_key(challenge_key);
  v1::AuditShardResponse resp;
  grpc::Status s = stub.AuditShard(&ctx, req, &resp);
  if (!s.ok()) return FromGrpcStatus(s);
  return AuditAnswer{resp.keyed_hash(), resp.size_bytes()};
}

absl::StatusOr<std::string> GrpcShardTransfer::Read(const std::string& address,
                                                    const std::string& grant, uint64_t size,
                                                    const std::string& sha256) {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = channels_.ChannelFor(address);
  if (!channel.ok()) return channel.status();
  v1::StorageNode::Stub stub(*channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + rpc_timeout_));
  v1::GetShardRequest req;
  req.mutable_grant()->set_token(grant);
  std::unique_ptr<grpc::ClientReader<v1::GetShardResponse>> reader = stub.GetShard(&ctx, req);
  std::string bytes;
  bytes.reserve(size);
  v1::GetShardResponse chunk;
  while (reader->Read(&chunk)) {
    bytes += chunk.data();
    if (bytes.size() > size) break;
  }
  if (bytes.size() > size) {
    ctx.TryCancel();
    reader->Finish();
    return absl::DataLossError("shard is longer than recorded");
  }
  grpc::Status s = reader->Finish();
  if (!s.ok()) return FromGrpcStatus(s);
  std::string digest(crypto_hash_sha256_BYTES, '\0');
  crypto_hash_sha256(reinterpret_cast<unsigned char*>(digest.data()),
                     reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  if (bytes.size() != size || !SecureEquals(digest, sha256)) {
    return absl::DataLossError("shard does not match its recorded size and hash");
  }
  return bytes;
}

absl::StatusOr<std::string> GrpcShardTransfer::Write(const std::string& address,
                                                     const std::string& grant,
                                                     const std::string& bytes) {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = channels_.ChannelFor(address);
  if (!channel.ok()) return channel.status();
  v1::StorageNode::Stub stub(*channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + rpc_timeout_));
  v1::PutShardResponse resp;
  std::unique_ptr<grpc::ClientWriter<v1::PutShardRequest>> writer = stub.PutShard(&ctx, &resp);
  v1::PutShardRequest first;
  first.mutable_grant()->set_token(grant);
  bool open = writer->Write(first);
  constexpr size_t kChunk = 1 << 20;
  for (size_t off = 0; open && off < bytes.size(); off += kChunk) {
    v1::PutShardRequest chunk;
    chunk.set_data(bytes.data() + off, std::min(kChunk, bytes.size() - off));
    open = writer->Write(chunk);
  }
  writer->WritesDone();
  grpc::Status s = writer->Finish();
  if (!s.ok()) return FromGrpcStatus(s);
  return resp.receipt().token();
}

absl::StatusOr<std::string> GrpcShardTransfer::Copy(const std::string& target_address,
                                                    const std::string& put_grant,
                                                    const std::string& source_address,
                                                    const std::string& get_grant) {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = channels_.ChannelFor(target_address);
  if (!channel.ok()) return channel.status();
  v1::ShardCopy::Stub stub(*channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + rpc_timeout_));
  v1::CopyShardRequest req;
  req.mutable_put_grant()->set_token(put_grant);
  req.set_source_address(source_address);
  req.mutable_source_grant()->set_token(get_grant);
  v1::PutShardResponse resp;
  grpc::Status s = stub.CopyShard(&ctx, req, &resp);
  if (!s.ok()) return FromGrpcStatus(s);
  return resp.receipt().token();
}

}  // namespace freehold::coordinator
