#include "coordinator/core/inventory.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/bulk/sha256.h"
#include "common/status.h"

namespace freehold::coordinator {

Inventory InventoryOf(const std::vector<std::string>& keys) {
  Inventory out;
  out.digest.assign(bulk::kSha256Bytes, '\0');
  for (const std::string& key : keys) {
    const bulk::Sha256Hash h = bulk::Sha256Digest(std::string_view(key));
    for (size_t i = 0; i < h.size(); ++i) out.digest[i] = static_cast<char>(out.digest[i] ^ h[i]);
  }
  out.count = keys.size();
  return out;
}

InventoryReconciler::InventoryReconciler(InventoryStore& inventory, MetadataStore& store,
                                         InventoryLister& lister, prometheus::Registry* registry,
                                         Logger log)
    : inventory_(inventory), store_(store), lister_(lister), log_(std::move(log)) {
  if (registry == nullptr) return;
  auto& checks = prometheus::BuildCounter()
                     .Name("freehold_inventory_checks_total")
                     .Help(
                         "Node inventory comparisons by result: match, mismatch (the node's "
                         "keys were listed) or error")
                     .Register(*registry);
  checks_match_ = &checks.Add({{"result", "match"}});
  checks_mismatch_ = &checks.Add({{"result", "mismatch"}});
  checks_error_ = &checks.Add({{"result", "error"}});
  missing_ = &prometheus::BuildCounter()
                  .Name("freehold_inventory_missing_shards_total")
                  .Help("Shards marked MISSING because their node no longer lists them")
                  .Register(*registry)
                  .Add({});
}

absl::Status InventoryReconciler::Report(const std::string& node_id, uint64_t count,
                                         const std::string& digest) {
  if (digest.empty()) return absl::OkStatus();
  if (digest.size() != bulk::kSha256Bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("inventory_digest: must be 32 bytes, got ", digest.size()));
  }
  return inventory_.Record(node_id, Inventory{count, digest});
}

absl::Status InventoryReconciler::NodeRegistered(const std::string& node_id) {
  return inventory_.NodeStarted(node_id);
}

absl::StatusOr<InventoryCheckResult> InventoryReconciler::RunOnce() {
  FH_ASSIGN_OR_RETURN(std::vector<InventoryReport> reports, inventory_.Reports());
  InventoryCheckResult result;
  absl::Status first_error;
  for (const InventoryReport& r : reports) {
    {
      absl::MutexLock lock(&mu_);
      auto it = consistent_.find(r.node_id);
      if (it != consistent_.end() && it->second == Consistent{r.reported, r.epoch}) continue;
    }
    ++result.nodes_checked;
    absl::StatusOr<int> marked = Reconcile(r);
    if (!marked.ok()) {
      if (checks_error_ != nullptr) checks_error_->Increment();
      log_.Warn("inventory check failed", {{"node_id", r.node_id}, {"error", marked.status()}});
      if (first_error.ok()) first_error = marked.status();
      continue;
    }
    if (*marked >= 0) ++result.nodes_listed;
    result.shards_missing += std::max(*marked, 0);
  }
  if (result.nodes_checked > 0 && result.nodes_checked == static_cast<int>(reports.size()) &&
      !first_error.ok() && result.nodes_listed == 0) {
    return first_error;  // nothing worked (e.g. the database is down)
  }
  return result;
}

// -1: the report matched the manifests; otherwise how many shards were marked MISSING.
absl::StatusOr<int> InventoryReconciler::Reconcile(const InventoryReport& r) {
  FH_ASSIGN_OR_RETURN(Inventory expected, inventory_.Expected(r.node_id));
  if (expected == r.reported) {
    if (checks_match_ != nullptr) checks_match_->Increment();
    absl::MutexLock lock(&mu_);
    consistent_[r.node_id] = Consistent{r.reported, r.epoch};
    return -1;
  }
  if (checks_mismatch_ != nullptr) checks_mismatch_->Increment();
  // Manifests first, then the listing (see the file comment).
  FH_ASSIGN_OR_RETURN(std::vector<std::string> placed, inventory_.ExpectedKeys(r.node_id));
  FH_ASSIGN_OR_RETURN(std::vector<std::string> held, lister_.ListShards(r.address));
  const std::set<std::string> held_set(held.begin(), held.end());
  std::vector<std::string> lost;
  for (const std::string& key : placed) {
    if (held_set.count(key) == 0) lost.push_back(key);
  }
  int marked = 0;
  if (!lost.empty()) {
    FH_RETURN_IF_ERROR(store_.Transact([&](MetadataTxn& txn) -> absl::Status {
      FH_ASSIGN_OR_RETURN(marked, txn.segments().MarkMissing(r.node_id, lost));
      return absl::OkStatus();
    }));
    if (missing_ != nullptr) missing_->Increment(marked);
    log_.Warn("node no longer holds shards the manifests place on it; marked missing for repair",
              {{"node_id", r.node_id},
               {"shards", marked},
               {"node_count", r.reported.count},
               {"expected_count", expected.count}});
  }
  // The node is consistent with the manifests now (for the shards it should hold), so
  // this report need not be looked at again.
  absl::MutexLock lock(&mu_);
  consistent_[r.node_id] = Consistent{r.reported, r.epoch};
  return marked;
}

}  // namespace freehold::coordinator
