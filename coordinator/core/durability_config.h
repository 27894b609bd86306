// Settings of audits, reputation, drains and rebalancing
// (docs/ARCHITECTURE.md#10-keeping-data-alive). Part of CoordinatorConfig; durability_flags.cc
// binds every field to a flag.
#pragma once

#include <cstdint>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "coordinator/core/audit_scheduler.h"
#include "coordinator/core/reputation.h"

namespace freehold::coordinator {

struct DurabilitySettings {
  bool audits = true;  // --audits
  AuditSchedule audit;
  int audit_challenges_per_read = 8;  // challenges computed per whole-shard read, 1..64
  ReputationParams reputation;
  // A suspended node (reputation below the threshold) is set DRAINING this long after.
  absl::Duration suspended_drain_after = absl::Hours(24);

  bool drains = true;        // --drains: move the shards of DRAINING nodes away
  int drain_parallelism = 4;  // shards moved at once, 1..64
  double move_bytes_per_second = 64.0 * 1024 * 1024;  // drains + rebalancing together
  // --direct-copy: a move's target daemon pulls the shard from the source daemon
  // (ShardCopy.CopyShard) instead of the bytes passing through the coordinator; any
  // failure falls back to the copy through the coordinator.
  bool direct_copy = true;

  // Repair (RepairWorker): --repair-parallelism segments rebuilt at once, each reading its
  // k sources in parallel and writing its targets in parallel; --repair-bytes-per-second
  // bounds the bytes repair reads plus writes (k + rebuilt shards per segment), 0 = no
  // bound. Separate from --move-bytes-per-second: repair restores lost redundancy and
  // must not wait behind a rebalance.
  int repair_parallelism = 4;          // 1..64
  double repair_bytes_per_second = 0;  // 0 (unbounded) or >= 1KiB

  bool rebalance = true;                  // --rebalance
  int rebalance_shards_per_tick = 16;     // moves per loop tick, 0..10000
  double rebalance_overfull_ratio = 1.1;  // a node is overfull above this * its share

  // --respread: move one of two shards sharing a failure domain to an unused eligible
  // domain (respread_worker.h); at most this many moves per loop tick, 0..10000.
  bool respread = true;
  int respread_shards_per_tick = 8;

  // --inventory-check-interval: how often the leader compares the nodes' reported
  // inventories with the manifests (coordinator/core/inventory.h); zero disables.
  absl::Duration inventory_check_interval = absl::Minutes(1);

  // OK or INVALID_ARGUMENT naming the flag.
  absl::Status Validate() const;
};

}  // namespace freehold::coordinator
