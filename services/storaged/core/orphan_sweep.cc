#include "services/storaged/core/orphan_sweep.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "common/bloom_filter.h"
#include "common/status.h"
#include "services/storaged/core/internal/sv.h"

namespace freehold::storaged {
namespace {

constexpr size_t kListBatch = 1000;
constexpr size_t kMaxBoundBytes = 256;

absl::Status CheckBound(const std::string& bound, std::string_view field) {
  if (bound.size() > kMaxBoundBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(internal::Sv(field), " is ", bound.size(), " bytes; at most ", kMaxBoundBytes));
  }
  for (char c : bound) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == '-')) {
      return absl::InvalidArgumentError(
          absl::StrCat(internal::Sv(field), " may hold only lowercase hex digits and '-'"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

OrphanSweeper::OrphanSweeper(ShardStore& store, std::string node_id, Clock& clock,
                             absl::Duration grace, StoragedMetrics* metrics, Logger log)
    : store_(store),
      node_id_(std::move(node_id)),
      clock_(clock),
      grace_(grace),
      metrics_(metrics),
      log_(std::move(log)) {}

absl::StatusOr<OrphanSweepResult> OrphanSweeper::Sweep(const OrphanSweepRequest& request) {
  if (request.node_id != node_id_) {
    return absl::PermissionDeniedError(absl::StrCat(
        "node_id is '", request.node_id, "': the filter is for another node, this is ", node_id_));
  }
  FH_RETURN_IF_ERROR(CheckBound(request.range_start, "range_start"));
  FH_RETURN_IF_ERROR(CheckBound(request.range_end, "range_end"));
  if (!request.range_end.empty() && request.range_end <= request.range_start) {
    return absl::InvalidArgumentError(
        absl::StrCat("range_end '", request.range_end, "' is not after range_start '",
                     request.range_start, "'"));
  }
  FH_ASSIGN_OR_RETURN(const BloomFilter filter,
                      BloomFilter::FromParts(request.filter_bits, request.filter_hash_count,
                                             request.filter_hash_key, "filter"));

  absl::MutexLock sweep_lock(&sweep_mu_);
  const absl::Time cutoff = clock_.Now() - grace_;
  OrphanSweepResult result;
  // ListKeys returns keys strictly after its argument: start just before range_start.
  std::string after;
  bool first = true;
  while (true) {
    std::vector<std::string> keys;
    if (first && !request.range_start.empty()) {
      if (std::optional<StoredShard> at = store_.Find(request.range_start); at.has_value()) {
        keys.push_back(request.range_start);
      }
      std::vector<std::string> rest = store_.ListKeys(request.range_start, kListBatch);
      keys.insert(keys.end(), rest.begin(), rest.end());
    } else {
      keys = store_.ListKeys(after, kListBatch);
    }
    first = false;
    if (keys.empty()) break;
    after = keys.back();
    bool past_end = false;
    for (const std::string& key : keys) {
      if (!request.range_end.empty() && key >= request.range_end) {
        past_end = true;
        break;
      }
      ++result.examined;
      if (filter.MightContain(key)) {
        ++result.referenced;
        continue;
      }
      const std::optional<StoredShard> shard = store_.Find(key);
      if (!shard.has_value()) continue;  // deleted meanwhile
      if (shard->stored_at > cutoff) {
        ++result.kept_young;
        continue;
      }
      absl::StatusOr<bool> deleted = store_.DeleteGeneration(key, shard->generation);
      if (!deleted.ok()) {
        log_.Error("orphan sweep could not delete a shard", {{"key", key}, {"status", deleted.status()}});
        return deleted.status();
      }
      if (!*deleted) continue;  // stored again since: not the orphan we judged
      ++result.deleted;
      result.deleted_bytes += shard->size_bytes;
      if (metrics_ != nullptr) {
        metrics_->orphans_deleted.Increment();
        metrics_->orphan_bytes_deleted.Increment(static_cast<double>(shard->size_bytes));
      }
    }
    if (past_end) break;
  }
  log_.Info("orphan sweep finished", {{"examined", result.examined},
                                      {"deleted", result.deleted},
                                      {"deleted_bytes", result.deleted_bytes},
                                      {"kept_young", result.kept_young}});
  return result;
}

}  // namespace freehold::storaged
