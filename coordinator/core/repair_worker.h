// Repair (docs/ARCHITECTURE.md#10-keeping-data-alive): rebuilds the missing shards of degraded
// segments, most endangered first. For each segment it picks replacement nodes in unused failure
// domains (coordinator_placement), signs GET grants for the healthy shards and PUT grants for the
// targets, lets a ShardRebuilder fetch k shards, decode and store the missing ones, verifies the
// receipts like a commit and moves the shard positions in the manifest (recording the move and
// queueing a delete on the node that lost them). Segments with fewer than k
// healthy shards are reported as lost, never silently skipped. A pass repairs up to
// --repair-parallelism segments at once (distinct segments: each commits in its own
// transaction, re-checked against concurrent moves), within --repair-bytes-per-second.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/logging.h"
#include "coordinator/core/byte_rate_limiter.h"
#include "coordinator/core/config.h"
#include "coordinator/core/grants.h"
#include "coordinator/core/maintenance.h"
#include "coordinator/core/metrics.h"
#include "coordinator/core/placement_snapshots.h"
#include "coordinator/core/store.h"

namespace freehold::coordinator {

struct RebuildSource {
  int index = 0;
  std::string node_address;
  std::string grant;   // GET grant
  std::string sha256;  // expected hash (a mismatching shard counts as missing)
};

struct RebuildTarget {
  int index = 0;
  std::string node_id;
  std::string node_address;
  std::string grant;   // PUT grant (size and hash bound)
  std::string sha256;  // the hash the rebuilt shard must have
};

struct RebuildRequest {
  std::string object_id;
  int segment = 0;
  int data_shards = 0;
  int parity_shards = 0;
  uint64_t shard_size_bytes = 0;
  std::vector<RebuildSource> sources;  // healthy shards, preferred order
  std::vector<RebuildTarget> targets;  // shards to rebuild and where to put them
};

// Fetches k good sources (in parallel), reconstructs the targets (Reed-Solomon as the
// client encodes), checks their hashes and stores them (in parallel). Thread-safe.
class ShardRebuilder {
 public:
  virtual ~ShardRebuilder() = default;
  // Receipt tokens in `targets` order. DATA_LOSS if fewer than k sources are
  // good or a rebuilt shard does not have its recorded hash; UNAVAILABLE if a
  // target cannot be written.
  virtual absl::StatusOr<std::vector<std::string>> Rebuild(const RebuildRequest& request) = 0;
};

struct RepairReport {
  int repaired_segments = 0;
  int rebuilt_shards = 0;
  int lost_segments = 0;
  int unavailable_segments = 0;  // unreadable until down nodes return; not lost
  int failed_segments = 0;
};

class RepairWorker {
 public:
  RepairWorker(MetadataStore& store, Clock& clock, const CoordinatorConfig& config,
               PlacementSnapshots& placement, const GrantSigner& grants, ClusterMonitor& monitor,
               ShardRebuilder& rebuilder, Logger log);

  // Optional (may be null): freehold_segments_unrepairable. Call before RunOnce.
  void set_metrics(CoordinatorMetrics* metrics) { metrics_ = metrics; }

  // One pass over at most `limit` unhealthy segments, most endangered first, at most
  // config.durability.repair_parallelism of them at once.
  absl::StatusOr<RepairReport> RunOnce(int limit = 50);

  // Repairs one segment; returns how many shards were rebuilt (0 if nothing
  // is due yet, e.g. its nodes have not been down for repair_after).
  absl::StatusOr<int> RepairSegment(const std::string& object_id, int segment);

 private:
  MetadataStore& store_;
  Clock& clock_;
  const CoordinatorConfig& config_;
  PlacementSnapshots& placement_;
  const GrantSigner& grants_;
  ClusterMonitor& monitor_;
  ShardRebuilder& rebuilder_;
  Logger log_;
  CoordinatorMetrics* metrics_ = nullptr;
  // --repair-bytes-per-second; null when unbounded.
  std::unique_ptr<ByteRateLimiter> limiter_;
  // Warnings are logged once per state, not once per segment per tick: a segment whose
  // repair fails is logged when it first fails (again only after it succeeded), the
  // lost / unavailable counts when they change. RunOnce runs on one thread at a time.
  absl::Mutex mu_;
  std::set<std::pair<std::string, int>> failing_ ABSL_GUARDED_BY(mu_);
  int logged_lost_ ABSL_GUARDED_BY(mu_) = 0;
  int logged_unavailable_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace freehold::coordinator
