#include "coordinator/core/corruption_reports.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace freehold::coordinator {

CorruptionReports::CorruptionReports(ObjectCatalog& catalog, MetadataStore& store,
                                     AuditWorker& audits, Clock& clock, Logger log,
                                     CorruptionReportLimits limits)
    : catalog_(catalog),
      store_(store),
      audits_(audits),
      clock_(clock),
      log_(std::move(log)),
      limits_(limits) {}

absl::StatusOr<bool> CorruptionReports::Report(const Caller* caller, const std::string& object_id,
                                               int segment, int index, const std::string& node_id) {
  const absl::Time now = clock_.Now();
  const std::string account = caller != nullptr ? caller->account_id : "";
  {
    absl::MutexLock lock(&mu_);
    auto& [minute, count] = budget_[account];
    if (now - minute >= absl::Minutes(1)) {
      minute = now;
      count = 0;
    }
    if (count >= limits_.per_account_per_minute) {
      return absl::ResourceExhaustedError(absl::StrCat("too many corrupt-shard reports (at most ",
                                                       limits_.per_account_per_minute,
                                                       " per minute); retry later"));
    }
    ++count;
    if (budget_.size() > 100000) budget_.clear();  // bounded memory; budgets restart
  }
  // Access check and current placement (NOT_FOUND for those who may not read it).
  FH_ASSIGN_OR_RETURN(ObjectManifest m, catalog_.Get(caller, object_id));
  const SegmentManifest* seg = nullptr;
  for (const SegmentManifest& s : m.segments) {
    if (s.segment == segment) seg = &s;
  }
  if (seg == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("segment: object ", object_id, " has no segment ", segment));
  }
  const ShardLocation* loc = nullptr;
  for (const ShardLocation& l : seg->shards) {
    if (l.index == index) loc = &l;
  }
  if (loc == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("index: segment ", segment, " has no shard ", index));
  }
  if (loc->node_id != node_id) {
    return absl::InvalidArgumentError(absl::StrCat("node_id: shard ", index, " of segment ",
                                                   segment, " is not on node ", node_id));
  }
  if (loc->state != ShardState::kHealthy) return false;  // already known
  const std::string key = absl::StrCat(m.object.object_id, "/", segment, "/", index, "/", node_id);
  AuditCandidate c;
  c.object_id = m.object.object_id;
  c.segment = segment;
  c.index = index;
  c.node_id = node_id;
  c.sha256 = loc->sha256;
  c.shard_size_bytes = seg->shard_size_bytes;
  c.due = now;
  absl::MutexLock lock(&mu_);
  for (auto it = recent_.begin(); it != recent_.end();) {
    it = now - it->second >= limits_.dedupe_window ? recent_.erase(it) : std::next(it);
  }
  if (recent_.count(key) > 0 || queue_.size() >= limits_.max_queue) return false;
  recent_[key] = now;
  queue_.push_back(std::move(c));
  log_.Info(
      "corrupt shard reported; auditing it",
      {{"object_id", object_id}, {"segment", segment}, {"index", index}, {"node_id", node_id}});
  return true;
}

absl::StatusOr<CorruptionCheckResult> CorruptionReports::RunOnce() {
  CorruptionCheckResult result;
  for (int i = 0; i < limits_.audits_per_tick; ++i) {
    std::optional<AuditCandidate> c;
    {
      absl::MutexLock lock(&mu_);
      if (queue_.empty()) break;
      c = std::move(queue_.front());
      queue_.pop_front();
    }
    std::optional<Node> node;
    FH_RETURN_IF_ERROR(store_.Read([&](MetadataTxn& txn) -> absl::Status {
      FH_ASSIGN_OR_RETURN(node, txn.nodes().Get(c->node_id, false));
      return absl::OkStatus();
    }));
    if (!node.has_value()) {
      ++result.other;
      continue;
    }
    absl::StatusOr<AuditOutcome> outcome = audits_.AuditOne(*c, *node);
    if (!outcome.ok()) {
      ++result.other;
      log_.Warn("audit of a reported shard failed to run",
                {{"object_id", c->object_id}, {"error", outcome.status()}});
      continue;
    }
    if (*outcome == AuditOutcome::kFailed) {
      ++result.confirmed;
      log_.Warn("reported corrupt shard confirmed by audit; marked missing for repair",
                {{"object_id", c->object_id},
                 {"segment", c->segment},
                 {"index", c->index},
                 {"node_id", c->node_id}});
    } else if (*outcome == AuditOutcome::kPassed) {
      ++result.refuted;
    } else {
      ++result.other;
    }
  }
  return result;
}

}  // namespace freehold::coordinator
