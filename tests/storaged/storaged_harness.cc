#include "tests/storaged/storaged_harness.h"

#include <arpa/inet.h>
#include <grpc/grpc.h>
#include <grpcpp/client_context.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/support/proto_buffer_reader.h>
#include <grpcpp/security/credentials.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

#include "absl/strings/numbers.h"
#include "common/shard_stream_args.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/grpc_status.h"

namespace freehold::storaged::testing {

absl::StatusOr<std::unique_ptr<StoragedDaemon>> StoragedDaemon::Start(
    const DaemonOptions& options) {
  freehold::testing::ProcessOptions process;
  process.binary = freehold::testing::BinaryPath("freehold-storaged");
  process.args = {"--data-dir", options.data_dir, "--coordinator-keys", options.keys_file};
  // Defaults unless the caller sets the flag itself.
  const std::vector<std::pair<std::string, std::string>> defaults = {
      {"--listen", "127.0.0.1:0"},
      {"--metrics-listen", "127.0.0.1:0"},
      {"--reserve-bytes", "0"},
      {"--log-level", "debug"}};
  for (const auto& [flag, value] : defaults) {
    if (std::find(options.extra_args.begin(), options.extra_args.end(), flag) ==
        options.extra_args.end()) {
      process.args.push_back(flag);
      process.args.push_back(value);
    }
  }
  process.args.insert(process.args.end(), options.extra_args.begin(), options.extra_args.end());
  auto daemon = std::unique_ptr<StoragedDaemon>(new StoragedDaemon());
  absl::StatusOr<std::unique_ptr<freehold::testing::Process>> started =
      freehold::testing::Process::Start(process);
  if (!started.ok()) return started.status();
  daemon->process_ = *std::move(started);
  absl::StatusOr<std::string> ready =
      daemon->process_->WaitForStderrLine("READY grpc=", options.ready_timeout);
  if (!ready.ok()) return ready.status();
  // "READY grpc=<host:port> metrics=<host:port>"
  std::string_view line = *ready;
  line = line.substr(line.find("READY grpc="));
  for (absl::string_view part : absl::StrSplit(absl::string_view(line.data(), line.size()), ' ')) {
    if (absl::ConsumePrefix(&part, "grpc=")) daemon->grpc_address_ = std::string(part);
    if (absl::ConsumePrefix(&part, "metrics=")) daemon->metrics_address_ = std::string(part);
  }
  absl::Status serving =
      daemon->process_->WaitForServing(daemon->grpc_address_, options.ready_timeout,
                                       options.client_tls);
  if (!serving.ok()) return serving;
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(16 << 20);
  args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 16 << 20);
  args.SetInt(GRPC_ARG_HTTP2_MAX_FRAME_SIZE, (1 << 24) - 1);
  AddShardStreamArguments(args);  // as the CLI's storage channels
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      MakeChannel(daemon->grpc_address_, options.client_tls, args);
  if (!channel.ok()) return channel.status();
  daemon->channel_ = *std::move(channel);
  daemon->stub_ = v1::StorageNode::NewStub(daemon->channel_);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  v1::NodeStatsResponse stats;
  grpc::Status status = daemon->stub_->NodeStats(&context, v1::NodeStatsRequest(), &stats);
  if (!status.ok()) return FromGrpcStatus(status);
  daemon->node_id_ = stats.node_id();
  daemon->node_public_key_ = stats.node_public_key();
  return daemon;
}

absl::StatusOr<int> StoragedDaemon::Stop() {
  stub_.reset();
  channel_.reset();
  return process_->Stop(absl::Seconds(15));
}

PutResult PutShard(v1::StorageNode::Stub& stub, const std::string& grant_token,
                   std::string_view data, size_t chunk_bytes) {
  PutResult result;
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(120)));
  auto writer = stub.PutShard(&context, &result.response);
  v1::PutShardRequest request;
  request.mutable_grant()->set_token(grant_token);
  bool ok = writer->Write(request);
  for (size_t off = 0; ok && off < data.size(); off += chunk_bytes) {
    request.set_data(data.data() + off, std::min(chunk_bytes, data.size() - off));
    ok = writer->Write(request);
  }
  if (ok) writer->WritesDone();
  result.status = writer->Finish();
  return result;
}

PutResult PutShardZeroCopy(const std::shared_ptr<grpc::Channel>& channel,
                           const std::string& grant_token, std::string_view data,
                           size_t chunk_bytes) {
  using google::protobuf::internal::WireFormatLite;
  using google::protobuf::io::CodedOutputStream;
  PutResult result;
  grpc::GenericStub stub(channel);
  grpc::CompletionQueue cq;
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(120)));
  std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call = stub.PrepareCall(
      &context, absl::StrCat("/", v1::StorageNode::service_full_name(), "/PutShard"), &cq);
  // One operation at a time: start it, then wait for its completion.
  auto run = [&cq](auto&& start) {
    start();
    void* tag = nullptr;
    bool ok = false;
    return cq.Next(&tag, &ok) && ok;
  };
  bool ok = run([&] { call->StartCall(nullptr); });
  v1::PutShardRequest first;
  first.mutable_grant()->set_token(grant_token);
  const std::string first_bytes = first.SerializeAsString();
  grpc::Slice first_slice(first_bytes);
  grpc::ByteBuffer message(&first_slice, 1);
  ok = ok && run([&] { call->Write(message, nullptr); });
  const uint32_t tag =
      WireFormatLite::MakeTag(v1::PutShardRequest::kDataFieldNumber,
                              WireFormatLite::WIRETYPE_LENGTH_DELIMITED);
  for (size_t off = 0; ok && off < data.size(); off += chunk_bytes) {
    const size_t n = std::min(chunk_bytes, data.size() - off);
    uint8_t header[16];
    uint8_t* end = CodedOutputStream::WriteTagToArray(tag, header);
    end = CodedOutputStream::WriteVarint32ToArray(static_cast<uint32_t>(n), end);
    grpc::Slice slices[2] = {
        grpc::Slice(header, static_cast<size_t>(end - header)),
        grpc::Slice(data.data() + off, n, grpc::Slice::STATIC_SLICE)};
    message = grpc::ByteBuffer(slices, 2);
    ok = run([&] { call->Write(message, nullptr); });
  }
  if (ok) run([&] { call->WritesDone(nullptr); });
  grpc::ByteBuffer response;
  const bool got = run([&] { call->Read(&response, nullptr); });
  run([&] { call->Finish(&result.status, nullptr); });
  if (result.status.ok() && got) {
    grpc::ProtoBufferReader reader(&response);
    if (!result.response.ParseFromZeroCopyStream(&reader)) {
      result.status = grpc::Status(grpc::StatusCode::INTERNAL, "unparsable PutShardResponse");
    }
  }
  cq.Shutdown();
  void* drained_tag;
  bool drained_ok;
  while (cq.Next(&drained_tag, &drained_ok)) {
  }
  return result;
}

GetResult GetShard(v1::StorageNode::Stub& stub, const std::string& grant_token, uint64_t offset,
                   uint64_t length, bool keep_data) {
  GetResult result;
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(120)));
  v1::GetShardRequest request;
  request.mutable_grant()->set_token(grant_token);
  request.set_offset(offset);
  request.set_length(length);
  auto reader = stub.GetShard(&context, request);
  v1::GetShardResponse response;
  while (reader->Read(&response)) {
    if (result.messages == 0) result.total_size = response.total_size();
    if (result.messages == 0 && keep_data) {
      result.data.reserve(length != 0 ? length
                                      : result.total_size - std::min(offset, result.total_size));
    }
    ++result.messages;
    result.largest_message = std::max(result.largest_message, response.data().size());
    result.bytes += response.data().size();
    if (keep_data) result.data += response.data();
  }
  result.status = reader->Finish();
  return result;
}

absl::StatusOr<std::string> HttpGetMetrics(const std::string& address) {
  const size_t colon = address.rfind(':');
  int port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(address.substr(colon + 1), &port)) {
    return absl::InvalidArgumentError("bad address " + address);
  }
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, address.substr(0, colon).c_str(), &addr.sin_addr);
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return absl::UnavailableError("connect to " + address);
  }
  const std::string request = "GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n";
  if (::write(fd, request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
    ::close(fd);
    return absl::UnavailableError("write");
  }
  std::string response;
  char buf[8192];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n <= 0) break;
    response.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return response;
}

}  // namespace freehold::storaged::testing
