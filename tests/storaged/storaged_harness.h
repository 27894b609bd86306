// Runs the real freehold-storaged binary on loopback and talks to it over gRPC.
// Shared by the process tests and the benchmark.
#pragma once

#include <grpcpp/channel.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/grpc_server.h"
#include "common/signed_token.h"
#include "freehold/v1/storage.grpc.pb.h"
#include "services/storaged/core/grants.h"
#include "tests/support/process.h"

namespace freehold::storaged::testing {

struct DaemonOptions {
  std::string data_dir;
  std::string keys_file;
  std::vector<std::string> extra_args;  // e.g. {"--capacity-bytes", "1MiB"}
  // With TLS flags in extra_args: how this client connects (CA, client certificate).
  ClientTlsOptions client_tls;
  absl::Duration ready_timeout = absl::Seconds(20);
};

class StoragedDaemon {
 public:
  // Starts the binary with --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0, waits
  // for the READY line and for health SERVING, and reads NodeStats.
  static absl::StatusOr<std::unique_ptr<StoragedDaemon>> Start(const DaemonOptions& options);

  const std::string& grpc_address() const { return grpc_address_; }
  const std::string& metrics_address() const { return metrics_address_; }
  const std::string& node_id() const { return node_id_; }
  const std::string& node_public_key() const { return node_public_key_; }  // raw 32 bytes
  v1::StorageNode::Stub& stub() { return *stub_; }
  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }
  freehold::testing::Process& process() { return *process_; }

  // Closes this client's channel (an idle client only sees the server's GOAWAY at
  // its next poll, which would hold up a graceful shutdown), then SIGTERM and wait;
  // returns the exit code. stub() is unusable afterwards.
  absl::StatusOr<int> Stop();
  void KillHard() { process_->KillHard(); }

 private:
  std::unique_ptr<freehold::testing::Process> process_;
  std::string grpc_address_;
  std::string metrics_address_;
  std::string node_id_;
  std::string node_public_key_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::StorageNode::Stub> stub_;
};

struct PutResult {
  grpc::Status status;
  v1::PutShardResponse response;
};
// One PutShard: the grant, then `data` in `chunk_bytes` messages, then half-close.
PutResult PutShard(v1::StorageNode::Stub& stub, const std::string& grant_token,
                   std::string_view data, size_t chunk_bytes = 1 << 20);

// The same PutShard on the wire, sent the way a client that already holds the
// shard in memory can: the grant, then every chunk as a ready-made PutShardRequest
// (field `data`'s tag and length in front of a slice that points into `data`, no
// copy), through the generic stub. `data` must stay valid until this returns.
PutResult PutShardZeroCopy(const std::shared_ptr<grpc::Channel>& channel,
                           const std::string& grant_token, std::string_view data,
                           size_t chunk_bytes = 1 << 20);

struct GetResult {
  grpc::Status status;
  std::string data;  // empty unless keep_data
  uint64_t bytes = 0;
  uint64_t total_size = 0;
  int messages = 0;
  size_t largest_message = 0;
};
GetResult GetShard(v1::StorageNode::Stub& stub, const std::string& grant_token, uint64_t offset = 0,
                   uint64_t length = 0, bool keep_data = true);

// Reads the whole body of http://<address>/metrics (plain HTTP/1.0 GET).
absl::StatusOr<std::string> HttpGetMetrics(const std::string& address);

}  // namespace freehold::storaged::testing
