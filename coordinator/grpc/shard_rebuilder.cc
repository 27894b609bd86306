#include "coordinator/grpc/shard_rebuilder.h"

#include <grpcpp/grpcpp.h>
#include <sodium.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/erasure/erasure.h"
#include "common/grpc_status.h"
#include "common/secure_compare.h"
#include "freehold/v1/storage.grpc.pb.h"

namespace freehold::coordinator {
namespace {

std::string Sha256(const std::string& bytes) {
  std::string out(crypto_hash_sha256_BYTES, '\0');
  crypto_hash_sha256(reinterpret_cast<unsigned char*>(out.data()),
                     reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  return out;
}

}  // namespace

absl::StatusOr<std::string> GrpcShardRebuilder::Fetch(const RebuildSource& source, uint64_t size) {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      channels_.ChannelFor(source.node_address);
  if (!channel.ok()) return channel.status();
  v1::StorageNode::Stub stub(*channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + rpc_timeout_));
  v1::GetShardRequest req;
  req.mutable_grant()->set_token(source.grant);
  std::unique_ptr<grpc::ClientReader<v1::GetShardResponse>> reader = stub.GetShard(&ctx, req);
  std::string bytes;
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
  if (bytes.size() != size || !SecureEquals(Sha256(bytes), source.sha256)) {
    return absl::DataLossError(absl::StrCat("shard ", source.index, " does not match its hash"));
  }
  return bytes;
}

absl::StatusOr<std::string> GrpcShardRebuilder::Store(const RebuildTarget& target,
                                                      const std::string& bytes) {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      channels_.ChannelFor(target.node_address);
  if (!channel.ok()) return channel.status();
  v1::StorageNode::Stub stub(*channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + rpc_timeout_));
  v1::PutShardResponse resp;
  std::unique_ptr<grpc::ClientWriter<v1::PutShardRequest>> writer = stub.PutShard(&ctx, &resp);
  v1::PutShardRequest first;
  first.mutable_grant()->set_token(target.grant);
  bool open = writer->Write(first);
  constexpr size_t kChunk = 1 << 20;
  for (size_t off = 0; open && off < bytes.size(); off += kChunk) {
    v1::PutShardRequest chunk;
    chunk.set_data(bytes.substr(off, kChunk));
    open = writer->Write(chunk);
  }
  writer->WritesDone();
  grpc::Status s = writer->Finish();
  if (!s.ok()) return FromGrpcStatus(s);
  return resp.receipt().token();
}

absl::StatusOr<std::vector<std::string>> GrpcShardRebuilder::Rebuild(
    const RebuildRequest& request) {
  absl::StatusOr<erasure::ReedSolomon> rs =
      erasure::ReedSolomon::Create(request.data_shards, request.parity_shards);
  if (!rs.ok()) return rs.status();
  const int n = request.data_shards + request.parity_shards;
  const size_t len = request.shard_size_bytes;
  std::vector<std::string> shards(n, std::string(len, '\0'));
  std::unique_ptr<bool[]> present(new bool[n]());
  std::unique_ptr<bool[]> wanted(new bool[n]());
  int good = 0;
  for (const RebuildSource& source : request.sources) {
    if (good == request.data_shards) break;
    if (source.index < 0 || source.index >= n) continue;
    absl::StatusOr<std::string> bytes = Fetch(source, len);
    if (!bytes.ok()) continue;  // try the next healthy shard
    shards[source.index] = *std::move(bytes);
    present[source.index] = true;
    ++good;
  }
  if (good < request.data_shards) {
    return absl::DataLossError(absl::StrCat("only ", good, " of the ", request.data_shards,
                                            " shards needed could be read"));
  }
  for (const RebuildTarget& t : request.targets) {
    if (t.index < 0 || t.index >= n || present[t.index]) {
      return absl::InvalidArgumentError("rebuild target index is out of range or present");
    }
    wanted[t.index] = true;
  }
  std::vector<uint8_t*> pointers(n);
  for (int i = 0; i < n; ++i) pointers[i] = reinterpret_cast<uint8_t*>(shards[i].data());
  absl::Status s = rs->Reconstruct(std::span<uint8_t* const>(pointers.data(), n),
                                   std::span<const bool>(present.get(), n), len,
                                   std::span<const bool>(wanted.get(), n));
  if (!s.ok()) return s;
  std::vector<std::string> receipts;
  for (const RebuildTarget& t : request.targets) {
    if (!SecureEquals(Sha256(shards[t.index]), t.sha256)) {
      return absl::DataLossError(
          absl::StrCat("rebuilt shard ", t.index, " does not match its recorded hash"));
    }
    absl::StatusOr<std::string> receipt = Store(t, shards[t.index]);
    if (!receipt.ok()) return receipt.status();
    receipts.push_back(*std::move(receipt));
  }
  return receipts;
}

}  // namespace freehold::coordinator
