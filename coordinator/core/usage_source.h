// Usage figures the funding monitor needs from the coordinator's metadata:
// stored logical/raw bytes, the raw capacity of live nodes, and who committed
// how many bytes recently (fair-share throttling order).
#pragma once

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "billing-free/admission_assessment.h"
#include "coordinator/core/store.h"

namespace freehold::coordinator {

struct UsageFigures {
  uint64_t logical_bytes = 0;  // committed objects' payload bytes
  uint64_t raw_bytes = 0;      // their shard bytes (k+m per segment)
  // Sum of capacity_bytes of nodes that are UP or DOWN. Down nodes still hold
  // their shards and are expected back (an outage must not read as "disks
  // full"); draining and retired nodes are leaving, so they add no room.
  uint64_t physical_raw_capacity_bytes = 0;
  // Logical bytes of segments committed at or after `since`, per owner
  // account, heaviest first (segments of objects still uploading count: a
  // large upload in progress is recent writing).
  std::vector<funding::AccountWrites> recent;
};

// Thread-safe. UNAVAILABLE / INTERNAL as MetadataStore.
class UsageSource {
 public:
  virtual ~UsageSource() = default;
  virtual absl::StatusOr<UsageFigures> Read(absl::Time recent_since) = 0;
};

// Reads the figures in one read transaction of `store`.
class StoreUsageSource : public UsageSource {
 public:
  // At most `max_accounts` accounts are listed (the heaviest).
  explicit StoreUsageSource(MetadataStore& store, int max_accounts = 10000)
      : store_(store), max_accounts_(max_accounts) {}
  absl::StatusOr<UsageFigures> Read(absl::Time recent_since) override;

 private:
  MetadataStore& store_;
  const int max_accounts_;
};

}  // namespace freehold::coordinator
