// Reports of corrupt shards from readers (Coordinator.ReportCorruptShard,
// docs/ARCHITECTURE.md#10-keeping-data-alive). A client whose download found a shard whose
// bytes do not match the manifest's SHA-256 tells the coordinator; nothing is trusted:
// the report only queues an immediate audit of that shard copy (AuditWorker::AuditOne),
// and only a failed audit marks the shard MISSING, after which repair rebuilds it on the
// next repair tick. So a client cannot get good shards marked missing, and reports are
// bounded: only callers that may read the object, at most `per_account_per_minute` per
// account (anonymous public-link readers share one budget), one queued audit per shard
// copy per `dedupe_window`, at most `max_queue` pending.
#pragma once

#include <deque>
#include <map>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/logging.h"
#include "coordinator/core/access.h"
#include "coordinator/core/audit_worker.h"
#include "coordinator/core/object_catalog.h"
#include "coordinator/core/store.h"

namespace freehold::coordinator {

struct CorruptionReportLimits {
  int per_account_per_minute = 30;
  absl::Duration dedupe_window = absl::Minutes(10);
  size_t max_queue = 10000;
  int audits_per_tick = 16;
};

struct CorruptionCheckResult {
  int confirmed = 0;  // audit failed: the shard is MISSING now (repair follows)
  int refuted = 0;    // audit passed: the report was wrong
  int other = 0;      // node unreachable or the audit could not run
};

// Thread-safe.
class CorruptionReports {
 public:
  CorruptionReports(ObjectCatalog& catalog, MetadataStore& store, AuditWorker& audits, Clock& clock,
                    Logger log, CorruptionReportLimits limits = {});

  // `caller` null: anonymous (public link). Returns true if an audit was queued, false
  // if one is already queued or was run within the dedupe window, or the shard is not
  // HEALTHY any more. NOT_FOUND no such object or no read access; INVALID_ARGUMENT no
  // such segment/index or the shard is not on `node_id`; RESOURCE_EXHAUSTED over budget.
  absl::StatusOr<bool> Report(const Caller* caller, const std::string& object_id, int segment,
                              int index, const std::string& node_id);

  // Audits up to audits_per_tick queued shard copies (any replica; not leader-only).
  absl::StatusOr<CorruptionCheckResult> RunOnce();

 private:
  ObjectCatalog& catalog_;
  MetadataStore& store_;
  AuditWorker& audits_;
  Clock& clock_;
  Logger log_;
  const CorruptionReportLimits limits_;
  absl::Mutex mu_;
  // account id ("" anonymous) -> (minute start, reports in that minute)
  std::map<std::string, std::pair<absl::Time, int>> budget_ ABSL_GUARDED_BY(mu_);
  // "object/segment/index/node" -> when queued
  std::map<std::string, absl::Time> recent_ ABSL_GUARDED_BY(mu_);
  std::deque<AuditCandidate> queue_ ABSL_GUARDED_BY(mu_);
};

}  // namespace freehold::coordinator
