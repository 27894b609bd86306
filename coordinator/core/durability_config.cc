#include "coordinator/core/durability_config.h"

namespace freehold::coordinator {

absl::Status DurabilitySettings::Validate() const {
  if (audit.period < absl::Seconds(1)) {
    return absl::InvalidArgumentError("--audit-period must be at least 1s");
  }
  if (!(audit.max_per_second > 0 && audit.max_per_second <= 100000)) {
    return absl::InvalidArgumentError("--audits-per-second must be in (0, 100000]");
  }
  if (!(audit.max_per_node_per_second > 0 && audit.max_per_node_per_second <= 10000)) {
    return absl::InvalidArgumentError("--audits-per-node-per-second must be in (0, 10000]");
  }
  if (audit_challenges_per_read < 1 || audit_challenges_per_read > 64) {
    return absl::InvalidArgumentError("--audit-challenges-per-read must be in 1..64");
  }
  if (absl::Status s = ValidateReputationParams(reputation); !s.ok()) return s;
  if (inventory_check_interval < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--inventory-check-interval must not be negative");
  }
  if (suspended_drain_after < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--suspended-drain-after must not be negative");
  }
  if (drain_parallelism < 1 || drain_parallelism > 64) {
    return absl::InvalidArgumentError("--drain-parallelism must be in 1..64");
  }
  if (!(move_bytes_per_second >= 1024)) {
    return absl::InvalidArgumentError("--move-bytes-per-second must be at least 1KiB");
  }
  if (repair_parallelism < 1 || repair_parallelism > 64) {
    return absl::InvalidArgumentError("--repair-parallelism must be in 1..64");
  }
  if (!(repair_bytes_per_second == 0 || repair_bytes_per_second >= 1024)) {
    return absl::InvalidArgumentError(
        "--repair-bytes-per-second must be 0 (unbounded) or at least 1KiB");
  }
  if (rebalance_shards_per_tick < 0 || rebalance_shards_per_tick > 10000) {
    return absl::InvalidArgumentError("--rebalance-shards-per-tick must be in 0..10000");
  }
  if (!(rebalance_overfull_ratio >= 1.0 && rebalance_overfull_ratio <= 10.0)) {
    return absl::InvalidArgumentError("--rebalance-overfull-ratio must be in [1, 10]");
  }
  if (respread_shards_per_tick < 0 || respread_shards_per_tick > 10000) {
    return absl::InvalidArgumentError("--respread-shards-per-tick must be in 0..10000");
  }
  return absl::OkStatus();
}

}  // namespace freehold::coordinator
