// Orphan sweep, coordinator side (docs/ARCHITECTURE.md#10-keeping-data-alive): every
// `interval`, for every registered node that is not DOWN (a RETIRED node only while it
// still heartbeats: "retired" means it holds nothing, so whatever it kept is swept),
// build a Bloom filter
// (common/bloom_filter.h, sized for fp_rate) of the shard keys the manifests place on
// it and send it to the daemon (StorageNode.SweepOrphans), which deletes the stored
// shards absent from it that are older than its grace period. Leader-only work
// (BackgroundLoops); running it twice at once is harmless (sweeps are idempotent).
//
// Large nodes are covered in pages of at most page_keys keys, each filter for a key
// range cut at object boundaries: [first object of the page, first object of the
// next page), the last page open-ended. Every manifest row naming the node counts,
// whatever its state (a false "keep" is harmless, a missing key is not).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/logging.h"
#include "coordinator/core/orphan_sweep_settings.h"
#include "coordinator/core/store.h"

namespace freehold::coordinator {

// One manifest row naming a node: where a shard of it should be.
struct NodeShardRef {
  std::string object_id;  // canonical UUID
  int segment = 0;
  int index = 0;
};

// The manifests, as the sweep reads them. Thread-safe.
class ShardRefSource {
 public:
  virtual ~ShardRefSource() = default;
  // Rows naming `node_id` with object_id >= `from_object` ("" = from the first), in
  // (object_id, segment, index) order, at most `limit`.
  virtual absl::StatusOr<std::vector<NodeShardRef>> ShardRefsOn(const std::string& node_id,
                                                                const std::string& from_object,
                                                                int limit) = 0;
};

struct OrphanSweepCall {
  std::string node_id;
  std::string filter_bits;
  uint32_t filter_hash_count = 0;
  std::string filter_hash_key;
  uint64_t key_count = 0;
  std::string range_start;  // shard-key bounds: 32 hex digits of an object id, or ""
  std::string range_end;
};

struct OrphanSweepReply {
  uint64_t examined = 0;
  uint64_t deleted = 0;
  uint64_t deleted_bytes = 0;
  uint64_t kept_young = 0;
};

// StorageNode.SweepOrphans on a daemon (coordinator/grpc/orphan_sweep_client.h).
class OrphanSweepSender {
 public:
  virtual ~OrphanSweepSender() = default;
  virtual absl::StatusOr<OrphanSweepReply> Sweep(const std::string& address,
                                                 const OrphanSweepCall& call,
                                                 absl::Duration timeout) = 0;
};

struct OrphanSweepTotals {
  int nodes_swept = 0;
  int nodes_failed = 0;
  uint64_t deleted = 0;
  uint64_t deleted_bytes = 0;
};

// Thread-compatible: one RunOnce at a time (BackgroundLoops gives each task a thread).
class OrphanSweepWorker {
 public:
  // References must outlive the worker. A RETIRED node is swept while its last
  // heartbeat is at most `node_down_after` old by `clock`.
  OrphanSweepWorker(MetadataStore& store, ShardRefSource& refs, OrphanSweepSender& sender,
                    OrphanSweepSettings settings, Clock& clock, absl::Duration node_down_after,
                    Logger log);

  // Sweeps every node not DOWN, and every RETIRED node that still heartbeats (a node
  // that fails is logged and counted, the others still run). UNAVAILABLE only when the
  // node list cannot be read.
  absl::StatusOr<OrphanSweepTotals> RunOnce();
  // RunOnce if `interval` has passed since the last successful run (the first run is
  // due at once), else nothing. Called every loop tick, so a replica that becomes
  // leader does not wait a whole interval. Disabled (interval 0): never runs.
  absl::Status RunIfDue(absl::Time now);
  // One node: every page. Errors of the first failing call.
  absl::StatusOr<OrphanSweepReply> SweepNode(const Node& node);

 private:
  MetadataStore& store_;
  ShardRefSource& refs_;
  OrphanSweepSender& sender_;
  const OrphanSweepSettings settings_;
  Clock& clock_;
  const absl::Duration node_down_after_;
  const Logger log_;
  absl::Time last_run_ = absl::InfinitePast();
};

}  // namespace freehold::coordinator
