// Shard transfers with storage daemons (storage.proto): streamed PutShard with
// a PUT grant, streamed GetShard with a GET grant into a caller buffer,
// hashing as bytes arrive. One channel per daemon address, shared by all
// threads. Thread-safe.
#pragma once

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/bulk/sha256.h"
#include "common/client_transport.h"
#include "freehold/v1/storage.pb.h"

namespace freehold::cli {

// Called with the number of bytes just moved.
using BytesMoved = std::function<void(uint64_t)>;

struct StorageNodesOptions {
  size_t chunk_bytes = 1 << 20;                    // PutShard data message size (<= 4 MiB)
  absl::Duration min_timeout = absl::Seconds(60);  // per shard, plus size / min_rate
  double min_bytes_per_second = 1 << 20;
  ClientTransport transport;  // TLS to the daemons unless plaintext is allowed
};

class StorageNodes {
 public:
  explicit StorageNodes(StorageNodesOptions options = {}) : options_(options) {}

  // Streams `data` under `grant` to the daemon at `address` and returns its
  // receipt. Errors carry the daemon's code, the message names the address.
  absl::StatusOr<v1::ShardReceipt> Put(const std::string& address, const std::string& grant,
                                       std::span<const uint8_t> data,
                                       const BytesMoved& moved = nullptr);

  // Reads the whole shard into `out`, which must be exactly the shard size
  // (DATA_LOSS if the daemon sends another size). Returns the SHA-256 of the
  // bytes received.
  absl::StatusOr<bulk::Sha256Hash> Get(const std::string& address, const std::string& grant,
                                       std::span<uint8_t> out, const BytesMoved& moved = nullptr);

 private:
  absl::StatusOr<std::shared_ptr<grpc::Channel>> ChannelTo(const std::string& address);
  absl::Time Deadline(uint64_t bytes) const;
  absl::Status NodeError(const grpc::Status& st, const std::string& address,
                         absl::string_view op) const;

  const StorageNodesOptions options_;
  absl::Mutex mu_;
  std::map<std::string, std::shared_ptr<grpc::Channel>> channels_ ABSL_GUARDED_BY(mu_);
};

}  // namespace freehold::cli
