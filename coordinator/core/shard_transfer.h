// Data-path calls the coordinator makes itself for audits, drains and rebalancing
// (docs/ARCHITECTURE.md#10-keeping-data-alive); the gRPC implementation is
// coordinator/grpc/shard_transfer.h. Thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace freehold::coordinator {

struct AuditAnswer {
  std::string keyed_hash;  // 32 bytes
  uint64_t size_bytes = 0;
};

class ShardTransfer {
 public:
  virtual ~ShardTransfer() = default;
  // AuditShard with an AUDIT grant and a 32-byte key. The daemon's status as is
  // (NOT_FOUND absent, DATA_LOSS known corrupt, UNAVAILABLE unreachable).
  virtual absl::StatusOr<AuditAnswer> Audit(const std::string& address, const std::string& grant,
                                            const std::string& challenge_key) = 0;
  // The whole shard with a GET grant; DATA_LOSS if its size or SHA-256 differ from the
  // expected ones.
  virtual absl::StatusOr<std::string> Read(const std::string& address, const std::string& grant,
                                           uint64_t size_bytes, const std::string& sha256) = 0;
  // PutShard with a PUT grant; the daemon's receipt token.
  virtual absl::StatusOr<std::string> Write(const std::string& address, const std::string& grant,
                                            const std::string& bytes) = 0;
  // ShardCopy.CopyShard on the target: it pulls the shard from the source daemon with
  // `get_grant` and stores it under `put_grant` (bytes never pass through the
  // coordinator); the target's receipt token. Any error means nothing was stored by this
  // call and the caller may copy through the coordinator instead (Read + Write).
  // UNIMPLEMENTED where the seam has no direct path.
  virtual absl::StatusOr<std::string> Copy(const std::string& target_address,
                                           const std::string& put_grant,
                                           const std::string& source_address,
                                           const std::string& get_grant) {
    (void)target_address, (void)put_grant, (void)source_address, (void)get_grant;
    return absl::UnimplementedError("no daemon-to-daemon copy on this transfer");
  }
};

}  // namespace freehold::coordinator
