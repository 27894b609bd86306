// Typed configuration of freehold-coordinator (one struct, validated at start;
// main.cc binds every field to a flag with an env fallback FREEHOLD_<FLAG>).
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "coordinator/core/durability_config.h"
#include "coordinator/core/orphan_sweep_settings.h"
#include "coordinator/core/funding_config.h"
#include "coordinator/placement/placement_types.h"

namespace freehold::coordinator {

struct CoordinatorConfig {
  // --- Process ---
  std::string listen = "127.0.0.1:7300";          // gRPC
  std::string metrics_listen = "127.0.0.1:9300";  // Prometheus; empty disables
  std::string database_url;                       // required
  int database_pool_size = 8;
  std::string data_dir;         // required: holds coordinator.key / coordinator.pub
  std::string public_keys_out;  // extra copy of coordinator.pub (optional)
  // Grant-signing key shared by the replicas (e.g. a Kubernetes Secret), re-read every
  // --loop-interval (rotation without restart; core/grant_keys.h). Empty: the key in
  // --data-dir (coordinator.key, created at first start).
  std::string grant_key_file;
  std::string log_level = "info";
  // Access-token verification keys written by freehold-accounts (required).
  std::string accounts_keys;
  // Accounts gRPC address for the deletion outbox; empty disables the consumer.
  std::string accounts;
  // How often the ended sessions are read from --accounts (the deny list of access
  // tokens; core/session_revocations.h). 100ms..1min.
  absl::Duration revocation_poll_interval = absl::Seconds(2);

  // --- Placement and coding (docs/ARCHITECTURE.md#8-placement) ---
  std::string failure_domain = "host";  // host | zone | region | node
  int data_shards = 4;                  // k
  int parity_shards = 2;                // m
  int DegradedMinNodes() const {
    return degraded_min_nodes > 0 ? degraded_min_nodes : data_shards + 1;
  }
  uint64_t segment_size_bytes = uint64_t{64} << 20;
  int max_shards_per_zone = 0;      // 0 = no cap
  // Degraded placement (issue 23): with fewer eligible failure domains than k+m (e.g. one
  // of exactly k+m hosts down), a segment is still placed, two shards sharing a domain
  // (or a node when nodes are short), if at least this many distinct eligible nodes
  // exist; fewer and BeginSegment fails FAILED_PRECONDITION. 0 = k+1. In [k, k+m].
  int degraded_min_nodes = 0;
  // Degraded commit (issue 23): CommitSegment accepts a segment with receipts for at least
  // this many of its k+m shards; the others are recorded MISSING and rebuilt by the repair
  // loop at once. 0 = k+1 (k+m when m = 0). In [min(k+1, k+m), k+m].
  int commit_min_shards = 0;
  int CommitMinShards() const {
    if (commit_min_shards > 0) return commit_min_shards;
    return parity_shards > 0 ? data_shards + 1 : data_shards;
  }
  double nearly_full_ratio = 0.95;  // skip nodes at or above this used/capacity

  // --- Limits ---
  uint64_t max_object_bytes = uint64_t{1} << 40;  // 1 TiB
  uint64_t max_metadata_bytes = 64 << 10;
  uint64_t max_header_bytes = 64 << 10;
  int max_share_accounts = 100;
  // A manifest (GetObject) answers at most this many segments per call; the client
  // asks again from next_segment. About 2.5 KB per 4+2 segment with its grants, so
  // 1000 keeps a page near 2.5 MB, far below the 16 MiB message limit, for any
  // object size (1 TiB of 64 MiB segments is 17 pages). 1..10000.
  int manifest_page_segments = 1000;
  // Most items (segments, and objects committed with them) one BeginSegments /
  // CommitSegments call carries (one transaction each). 256 4+2 segments make a
  // BeginSegments answer of about 0.5 MB. 16..10000 (clients may count on 16).
  int max_segments_per_batch = 256;

  // --- Small objects (docs/ARCHITECTURE.md#small-objects) ---
  // Objects whose age payload is at most this many bytes may be stored inline in
  // PostgreSQL (PutInlineObjects) instead of as k+m shards; 0 disables. 0..64 KiB.
  uint64_t inline_max_bytes = 64 << 10;
  int inline_batch_max_objects = 1000;              // per PutInlineObjects, 1..10000
  uint64_t inline_batch_max_bytes = uint64_t{8} << 20;  // per PutInlineObjects, 64 KiB..12 MiB

  // --- Node admission (docs/ARCHITECTURE.md#14-trust) ---
  // Placement weight of an approved node: capacity * max(floor, min(1, up / ramp)),
  // `up` = time since approval (NodeWeight in placement_snapshots.h).
  absl::Duration node_weight_ramp = absl::Hours(24);
  double node_weight_floor = 0.1;  // in (0, 1]
  // Refused registration attempts kept for `freehold-admin nodes pending` at most.
  int max_pending_registrations = 1000;

  // --- Time ---
  absl::Duration heartbeat_interval = absl::Seconds(5);  // told to daemons
  absl::Duration node_down_after = absl::Seconds(30);
  absl::Duration upload_ttl = absl::Hours(24);
  absl::Duration grant_ttl = absl::Minutes(15);
  // How far signed_at of RegisterNode/Heartbeat may be from our clock.
  absl::Duration signed_request_skew = absl::Minutes(5);
  absl::Duration loop_interval = absl::Seconds(2);  // background loops' period
  absl::Duration max_delete_backoff = absl::Minutes(10);
  // How long a deleted object waits in its owner's trash (restorable) before its
  // shards are deleted (core/trash.h). 0 = deletes are final at once.
  absl::Duration trash_window = absl::Hours(24 * 30);
  // Shards on a node that has been down this long are rebuilt elsewhere
  // (shards reported corrupt or on retired nodes are rebuilt at once).
  absl::Duration repair_after = absl::Minutes(15);
  bool repair = true;  // run the repair loop

  // --- Audits, reputation, drains, rebalancing (docs/ARCHITECTURE.md#10-keeping-data-alive) ---
  DurabilitySettings durability;
  // Orphan sweep: Bloom filters of each node's shard keys (coordinator/core/orphan_sweep.h).
  OrphanSweepSettings orphan_sweep;

  // --- Funding and admission (docs/ARCHITECTURE.md#12-funding-and-admission) ---
  FundingSettings funding;

  // The PlacementPolicy these settings describe (valid after Validate()).
  placement::PlacementPolicy Policy() const;

  // OK, or INVALID_ARGUMENT naming the bad flag ("--data-shards must be >= 1").
  // `require_process_fields` also checks database_url, data_dir, accounts_keys.
  absl::Status Validate(bool require_process_fields = true) const;
};

// "node" | "host" | "zone" | "region" -> level; INVALID_ARGUMENT otherwise.
absl::Status ParseFailureDomainLevel(const std::string& text, placement::FailureDomainLevel* out);

}  // namespace freehold::coordinator
