#include "coordinator/core/config.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace freehold::coordinator {

absl::Status ParseFailureDomainLevel(const std::string& text, placement::FailureDomainLevel* out) {
  if (text == "node") {
    *out = placement::FailureDomainLevel::kNode;
  } else if (text == "host") {
    *out = placement::FailureDomainLevel::kHost;
  } else if (text == "zone") {
    *out = placement::FailureDomainLevel::kZone;
  } else if (text == "region") {
    *out = placement::FailureDomainLevel::kRegion;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("--failure-domain must be node, host, zone or region (got \"", text, "\")"));
  }
  return absl::OkStatus();
}

placement::PlacementPolicy CoordinatorConfig::Policy() const {
  placement::PlacementPolicy policy;
  policy.data_shards = data_shards;
  policy.parity_shards = parity_shards;
  (void)ParseFailureDomainLevel(failure_domain, &policy.level);
  policy.max_shards_per_zone = max_shards_per_zone;
  policy.nearly_full_ratio = nearly_full_ratio;
  return policy;
}

absl::Status CoordinatorConfig::Validate(bool require_process_fields) const {
  auto bad = [](auto... parts) { return absl::InvalidArgumentError(absl::StrCat(parts...)); };
  if (require_process_fields) {
    if (listen.empty()) return bad("--listen is required");
    if (database_url.empty()) return bad("--database-url is required");
    if (data_dir.empty()) return bad("--data-dir is required");
    if (accounts_keys.empty()) return bad("--accounts-keys is required");
    if (database_pool_size < 1 || database_pool_size > 256) {
      return bad("--database-pool-size must be in 1..256");
    }
  }
  placement::FailureDomainLevel level;
  if (absl::Status s = ParseFailureDomainLevel(failure_domain, &level); !s.ok()) return s;
  if (data_shards < 1) return bad("--data-shards must be >= 1");
  if (parity_shards < 0) return bad("--parity-shards must be >= 0");
  if (degraded_min_nodes != 0 &&
      (degraded_min_nodes < data_shards || degraded_min_nodes > data_shards + parity_shards)) {
    return bad("--degraded-min-nodes must be 0 or between k and k+m");
  }
  if (commit_min_shards != 0 &&
      (commit_min_shards < std::min(data_shards + 1, data_shards + parity_shards) ||
       commit_min_shards > data_shards + parity_shards)) {
    return bad("--commit-min-shards must be 0 or between k+1 and k+m");
  }
  if (data_shards + parity_shards > placement::PlacementPolicy::kMaxShards) {
    return bad("--data-shards + --parity-shards must be <= ",
               placement::PlacementPolicy::kMaxShards);
  }
  if (max_shards_per_zone < 0) return bad("--max-shards-per-zone must be >= 0");
  if (!(nearly_full_ratio > 0 && nearly_full_ratio <= 1)) {
    return bad("--nearly-full-ratio must be in (0, 1]");
  }
  if (segment_size_bytes < 4096 || segment_size_bytes > (uint64_t{4} << 30)) {
    return bad("--segment-size must be between 4 KiB and 4 GiB");
  }
  if (max_object_bytes == 0) return bad("--max-object-size must be > 0");
  if (max_object_bytes / segment_size_bytes >= (uint64_t{1} << 31)) {
    return bad("--max-object-size allows more than 2^31 segments; raise --segment-size");
  }
  if (max_metadata_bytes == 0 || max_metadata_bytes > (1 << 20)) {
    return bad("--max-metadata-size must be in 1..1 MiB");
  }
  if (max_header_bytes == 0 || max_header_bytes > (1 << 20)) {
    return bad("--max-header-size must be in 1..1 MiB");
  }
  if (max_share_accounts < 0) return bad("--max-share-accounts must be >= 0");
  if (inline_max_bytes > (64 << 10)) return bad("--inline-max-size must be at most 64 KiB");
  if (manifest_page_segments < 1 || manifest_page_segments > 10000) {
    return bad("--manifest-page-segments must be in 1..10000");
  }
  // Clients may count on 16 items per call (a file's last segments and the file).
  if (max_segments_per_batch < 16 || max_segments_per_batch > 10000) {
    return bad("--max-segments-per-batch must be in 16..10000");
  }
  if (inline_batch_max_objects < 1 || inline_batch_max_objects > 10000) {
    return bad("--inline-batch-max-objects must be in 1..10000");
  }
  if (inline_batch_max_bytes < (64 << 10) || inline_batch_max_bytes > (12 << 20)) {
    return bad("--inline-batch-max-size must be between 64 KiB and 12 MiB");
  }
  if (revocation_poll_interval < absl::Milliseconds(100) ||
      revocation_poll_interval > absl::Minutes(1)) {
    return bad("--revocation-poll-interval must be between 100ms and 1m");
  }
  if (node_weight_ramp < absl::ZeroDuration()) return bad("--node-weight-ramp must be >= 0");
  if (!(node_weight_floor > 0.0 && node_weight_floor <= 1.0)) {
    return bad("--node-weight-floor must be in (0, 1]");
  }
  if (max_pending_registrations < 1 || max_pending_registrations > 1000000) {
    return bad("--max-pending-registrations must be in 1..1000000");
  }
  if (heartbeat_interval <= absl::ZeroDuration()) return bad("--heartbeat-interval must be > 0");
  if (node_down_after <= heartbeat_interval) {
    return bad("--node-down-after must be longer than --heartbeat-interval");
  }
  if (upload_ttl <= absl::ZeroDuration()) return bad("--upload-ttl must be > 0");
  if (grant_ttl <= absl::ZeroDuration()) return bad("--grant-ttl must be > 0");
  if (signed_request_skew <= absl::ZeroDuration()) {
    return bad("--signed-request-skew must be > 0");
  }
  if (loop_interval <= absl::ZeroDuration()) return bad("--loop-interval must be > 0");
  if (max_delete_backoff <= absl::ZeroDuration()) return bad("--max-delete-backoff must be > 0");
  if (trash_window < absl::ZeroDuration()) return bad("--trash-window must be >= 0");
  if (repair_after < absl::ZeroDuration()) return bad("--repair-after must be >= 0");
  if (absl::Status s = funding.Validate(); !s.ok()) return s;
  if (absl::Status s = durability.Validate(); !s.ok()) return s;
  if (absl::Status s = orphan_sweep.Validate(); !s.ok()) return s;
  return Policy().Validate();
}

}  // namespace freehold::coordinator
