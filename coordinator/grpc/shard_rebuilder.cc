#include "coordinator/grpc/shard_rebuilder.h"

#include <grpcpp/grpcpp.h>
#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <thread>
#include <vector>

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
    chunk.set_data(bytes.data() + off, std::min(kChunk, bytes.size() - off));
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
  // The k sources needed are fetched at once (one stream each); a source that fails is
  // replaced by the next healthy one in the preferred order, again all at once.
  int good = 0;
  size_t next = 0;
  while (good < request.data_shards && next < request.sources.size()) {
    std::vector<const RebuildSource*> batch;
    for (; next < request.sources.size() &&
           static_cast<int>(batch.size()) < request.data_shards - good;
         ++next) {
      const RebuildSource& source = request.sources[next];
      if (source.index < 0 || source.index >= n || present[source.index]) continue;
      bool repeated = false;
      for (const RebuildSource* b : batch) repeated |= b->index == source.index;
      if (!repeated) batch.push_back(&source);
    }
    std::vector<absl::StatusOr<std::string>> got(batch.size(), absl::UnknownError("not fetched"));
    std::vector<std::thread> fetchers;
    for (size_t j = 1; j < batch.size(); ++j) {
      fetchers.emplace_back([&, j] { got[j] = Fetch(*batch[j], len); });
    }
    if (!batch.empty()) got[0] = Fetch(*batch[0], len);
    for (std::thread& t : fetchers) t.join();
    for (size_t j = 0; j < batch.size(); ++j) {
      if (!got[j].ok()) continue;  // the next healthy shard takes its place
      shards[batch[j]->index] = *std::move(got[j]);
      present[batch[j]->index] = true;
      ++good;
    }
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
  for (const RebuildTarget& t : request.targets) {
    if (!SecureEquals(Sha256(shards[t.index]), t.sha256)) {
      return absl::DataLossError(
          absl::StrCat("rebuilt shard ", t.index, " does not match its recorded hash"));
    }
  }
  // The targets are on distinct nodes (or share one only by a degraded plan): written at once.
  std::vector<absl::StatusOr<std::string>> stored(request.targets.size(),
                                                  absl::UnknownError("not stored"));
  std::vector<std::thread> writers;
  for (size_t i = 1; i < request.targets.size(); ++i) {
    writers.emplace_back([&, i] {
      stored[i] = Store(request.targets[i], shards[request.targets[i].index]);
    });
  }
  if (!request.targets.empty()) stored[0] = Store(request.targets[0], shards[request.targets[0].index]);
  for (std::thread& t : writers) t.join();
  std::vector<std::string> receipts;
  for (absl::StatusOr<std::string>& receipt : stored) {
    if (!receipt.ok()) return receipt.status();
    receipts.push_back(*std::move(receipt));
  }
  return receipts;
}

}  // namespace freehold::coordinator
