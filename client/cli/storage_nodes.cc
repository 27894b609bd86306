#include "client/cli/storage_nodes.h"

#include <cstring>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "client/cli/retry_policy.h"
#include "client/cli/shard_wire.h"
#include "common/grpc_server.h"
#include "common/grpc_status.h"
#include "freehold/v1/storage.grpc.pb.h"

namespace freehold::cli {
namespace {

constexpr char kPutShardMethod[] = "/freehold.v1.StorageNode/PutShard";
constexpr char kGetShardMethod[] = "/freehold.v1.StorageNode/GetShard";

absl::Status WithStorageAddress(const absl::Status& s, const std::string& address) {
  return absl::Status(s.code(), absl::StrCat("storage node ", address, ": ", s.message()));
}

}  // namespace

absl::Status StorageNodes::NodeError(const grpc::Status& st, const std::string& address,
                                     absl::string_view op) const {
  absl::Status s = FromGrpcStatus(st);
  absl::StatusCode code =
      s.code() == absl::StatusCode::kUnknown ? absl::StatusCode::kUnavailable : s.code();
  std::string msg = absl::StrCat("storage node ", address, ": ", op, ": ", st.error_message());
  if (code == absl::StatusCode::kUnavailable) {
    if (std::string hint = options_.transport.Hint(st.error_message()); !hint.empty()) {
      absl::StrAppend(&msg, ". TLS: ", hint);
    }
  }
  return absl::Status(code, msg);
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> StorageNodes::ChannelTo(const std::string& address) {
  absl::MutexLock lock(&mu_);
  auto it = channels_.find(address);
  if (it != channels_.end()) return it->second;
  absl::StatusOr<ClientTlsOptions> tls = options_.transport.For(address, &std::cerr);
  if (!tls.ok()) return WithStorageAddress(tls.status(), address);
  absl::StatusOr<std::shared_ptr<grpc::Channel>> ch =
      MakeChannel(address, *tls, StorageChannelArguments());
  if (!ch.ok()) return ch.status();
  channels_.emplace(address, *ch);
  return *ch;
}

absl::Time StorageNodes::Deadline(uint64_t bytes) const {
  return absl::Now() + options_.min_timeout +
         absl::Seconds(static_cast<double>(bytes) / options_.min_bytes_per_second);
}

absl::StatusOr<v1::ShardReceipt> StorageNodes::Put(const std::string& address,
                                                   const std::string& grant,
                                                   std::span<const uint8_t> data,
                                                   const BytesMoved& moved) {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = ChannelTo(address);
  if (!channel.ok()) return channel.status();
  const grpc::internal::RpcMethod method(kPutShardMethod,
                                         grpc::internal::RpcMethod::CLIENT_STREAMING, *channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(Deadline(data.size())));
  v1::PutShardResponse resp;
  // `data` outlives the call: Finish returns only when every send is done.
  std::unique_ptr<grpc::ClientWriter<RawPutChunk>> writer(
      grpc::internal::ClientWriterFactory<RawPutChunk>::Create(channel->get(), method, &ctx,
                                                               &resp));
  RawPutChunk msg;
  msg.grant_token = grant;
  bool ok = writer->Write(msg);
  msg.grant_token.clear();
  size_t off = 0;
  while (ok && off < data.size()) {
    const size_t n = std::min(options_.chunk_bytes, data.size() - off);
    msg.data = data.subspan(off, n);
    ok = writer->Write(msg);
    if (ok) {
      off += n;
      if (moved) moved(n);
    }
  }
  writer->WritesDone();
  grpc::Status st = writer->Finish();
  if (!st.ok()) return NodeError(st, address, "put shard");
  if (!ok) {
    return absl::UnavailableError(
        absl::StrCat("storage node ", address, ": put shard: the stream broke"));
  }
  return resp.receipt();
}

absl::StatusOr<bulk::Sha256Hash> StorageNodes::Get(const std::string& address,
                                                   const std::string& grant, std::span<uint8_t> out,
                                                   const BytesMoved& moved) {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = ChannelTo(address);
  if (!channel.ok()) return channel.status();
  const grpc::internal::RpcMethod method(kGetShardMethod,
                                         grpc::internal::RpcMethod::SERVER_STREAMING, *channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(Deadline(out.size())));
  v1::GetShardRequest req;
  req.mutable_grant()->set_token(grant);
  std::unique_ptr<grpc::ClientReader<RawGetChunk>> reader(
      grpc::internal::ClientReaderFactory<RawGetChunk>::Create(channel->get(), method, &ctx, req));
  bulk::Sha256 hash;
  RawGetChunk chunk;
  chunk.dest = out;
  chunk.hash = &hash;
  size_t reported = 0;
  while (reader->Read(&chunk)) {
    if (chunk.overflow || chunk.malformed) {
      ctx.TryCancel();
      break;
    }
    if (moved && chunk.received > reported) moved(chunk.received - reported);
    reported = chunk.received;
  }
  grpc::Status st = reader->Finish();
  if (chunk.overflow) {
    return absl::DataLossError(
        absl::StrCat("storage node ", address, ": shard longer than ", out.size(), " bytes"));
  }
  if (chunk.malformed) {
    return absl::DataLossError(absl::StrCat("storage node ", address, ": malformed answer"));
  }
  if (!st.ok()) return NodeError(st, address, "get shard");
  if (chunk.received != out.size()) {
    return absl::DataLossError(absl::StrCat("storage node ", address, ": shard has ",
                                            chunk.received, " bytes, expected ", out.size()));
  }
  return hash.Final();
}

}  // namespace freehold::cli
