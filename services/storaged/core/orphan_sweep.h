// OrphanSweeper: deletes the shards no manifest references. The coordinator sends
// (SweepOrphans, docs/PROTOCOL.md) a Bloom filter of every shard key this node should
// hold within a key range; a stored shard in that range that is absent from the
// filter and was stored longer than `grace` ago is an orphan and is deleted.
//
// Why it is safe: a Bloom filter has no false negatives, so a referenced shard is
// never deleted; false positives (rate ~1e-3) only spare an orphan until a later
// sweep (each filter hashes under a fresh key). The grace period covers everything
// the coordinator's manifests cannot yet show: uploads in progress, shards stored but
// not yet committed, and PUT grants replayed until they expire. It must be longer
// than any grant's lifetime plus the time a commit may take (default 2 x the longest
// grant TTL + 1 h, see StoragedConfig::orphan_grace).
//
// Thread-safe: sweeps run one at a time (a second concurrent one waits).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/logging.h"
#include "services/storaged/core/metrics.h"
#include "services/storaged/core/shard_store.h"

namespace freehold::storaged {

// A SweepOrphansRequest in plain C++ (validated by Sweep).
struct OrphanSweepRequest {
  std::string node_id;       // must be this node's
  std::string filter_bits;   // BloomFilter wire parts (common/bloom_filter.h)
  uint32_t filter_hash_count = 0;
  std::string filter_hash_key;
  std::string range_start;   // keys >= range_start ("" = from the first)
  std::string range_end;     // keys < range_end ("" = to the last)
};

struct OrphanSweepResult {
  uint64_t examined = 0;       // stored shards in the range
  uint64_t referenced = 0;     // in the filter (kept)
  uint64_t kept_young = 0;     // not in the filter but younger than the grace period
  uint64_t deleted = 0;        // orphans deleted
  uint64_t deleted_bytes = 0;
};

class OrphanSweeper {
 public:
  // References must outlive the sweeper; `metrics` may be null.
  OrphanSweeper(ShardStore& store, std::string node_id, Clock& clock, absl::Duration grace,
                StoragedMetrics* metrics, Logger log);

  // INVALID_ARGUMENT naming the field for a bad filter, a range whose end is not after
  // its start, or a malformed range bound; PERMISSION_DENIED for another node's
  // filter. Disk errors while deleting stop the sweep (what was deleted stays counted).
  absl::StatusOr<OrphanSweepResult> Sweep(const OrphanSweepRequest& request);

  absl::Duration grace() const { return grace_; }

 private:
  ShardStore& store_;
  const std::string node_id_;
  Clock& clock_;
  const absl::Duration grace_;
  StoragedMetrics* const metrics_;
  const Logger log_;
  absl::Mutex sweep_mu_;  // one sweep at a time
};

}  // namespace freehold::storaged
