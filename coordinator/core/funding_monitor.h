// FundingMonitor: every --funding-refresh, measures usage (UsageSource),
// fetches the donation figures (DonationsFeed, optional), runs the funding
// model (billing-free ComputeFunding) with the cost model, feeds the result
// into the AdmissionPolicy that PolicyAdmission applies to new writes, and
// exports the funding metrics. GetFundingStatus serves its latest snapshot.
//
// Failure handling (admission must keep protecting the disks):
//   - usage unreadable: Refresh fails; the previous state stays in force;
//   - donations unreachable: the last figures received are kept (the snapshot
//     says so in funding_error); before any were received funding is unknown
//     and never throttles (only physical capacity does), and the funding
//     gauges are not exported yet;
//   - a summary the model rejects (e.g. its currency is not the cost model's):
//     treated as unknown the same way, with the reason in funding_error.
//   - no storage node registered (capacity 0): the admission state is left
//     as it was (OPEN at start) instead of closing; placement refuses writes
//     with FAILED_PRECONDITION, which says what is really wrong.
// Without a feed ("no donation intake configured") income is 0 and the
// AdmissionPolicy is expected to have throttle_on_funding = false.
//
// Thread-safe: Refresh from one loop thread, Snapshot from any thread.
#pragma once

#include <deque>
#include <optional>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "billing-free/admission_policy.h"
#include "billing-free/cost_model.h"
#include "billing-free/funding_model.h"
#include "common/clock.h"
#include "common/logging.h"
#include "coordinator/core/donations_report.h"
#include "coordinator/core/funding_metrics.h"
#include "coordinator/core/inkind_valuation.h"
#include "coordinator/core/org_owners.h"
#include "coordinator/core/usage_source.h"

namespace freehold::coordinator {

struct FundingMonitorOptions {
  absl::Duration recent_window = absl::Hours(1);   // per-account recent writes, > 0
  absl::Duration growth_window = absl::Hours(24);  // logical growth rate, > 0
  std::string donate_url;                          // echoed in the status
};

// Public, aggregate figures only: nothing in it names or counts an account.
struct FundingSnapshot {
  absl::Time as_of;
  bool donations_configured = false;
  // The money figures rest on a summary from the donations service (or none is
  // configured). False: they are computed with no income and must not be
  // trusted; funding_error says why.
  bool funding_known = false;
  std::string funding_error;  // also set when the figures are stale
  funding::FundingOutlook outlook;
  funding::StorageUsage usage;
  funding::AdmissionState admission_state = funding::AdmissionState::kOpen;
  funding::AdmissionReason admission_reason = funding::AdmissionReason::kNone;
  std::string admission_message;
  std::string donate_url;
  // Of usage.logical_bytes: owned by organizations, and how many own anything.
  uint64_t org_logical_bytes = 0;
  uint64_t organizations = 0;
  // Donated disks (inkind_valuation.h) as valued at this refresh; their capacity is in
  // outlook.inkind_* and in outlook.funded_*. Empty without an in-kind source or when
  // it could not be read (then nothing counts and inkind_error says why).
  InKindValuation inkind;
  std::string inkind_error;
};

class FundingMonitor {
 public:
  // References must outlive the monitor; `donations` and `metrics` may be null.
  FundingMonitor(UsageSource& usage, DonationsFeed* donations, Clock& clock,
                 funding::CostModel cost_model, FundingMonitorOptions options,
                 funding::AdmissionPolicy& policy, FundingMetrics* metrics, Logger log);

  // One refresh (see the file comment). OK when every figure is fresh; the
  // usage or donations error otherwise (the state is still updated whenever
  // usage could be read).
  absl::Status Refresh();

  // The latest snapshot; nullopt before the first refresh that read usage.
  std::optional<FundingSnapshot> Snapshot() const;

  // Per-organization usage for the snapshots (org_owners.h); null = none. Set before
  // the first Refresh; must outlive the monitor. A failed read leaves it at zero.
  void SetOrgOwners(OrgOwners* owners) { org_owners_ = owners; }

  // Donated disks (inkind_valuation.h); null = none. Read at every Refresh: a node that
  // stops qualifying stops counting at the next refresh. A failed read counts none (and
  // is logged once per failure streak). Set before the first Refresh; must outlive the
  // monitor.
  void SetInKind(InKindSource* inkind) { inkind_ = inkind; }

 private:
  // d(logical)/dt over the samples in the growth window (0 with < 2 samples).
  double Growth(absl::Time now, uint64_t logical) ABSL_EXCLUSIVE_LOCKS_REQUIRED(refresh_mu_);

  UsageSource& usage_;
  DonationsFeed* const donations_;
  Clock& clock_;
  const funding::CostModel cost_model_;
  const FundingMonitorOptions options_;
  funding::AdmissionPolicy& policy_;
  FundingMetrics* const metrics_;
  Logger log_;
  OrgOwners* org_owners_ = nullptr;
  InKindSource* inkind_ = nullptr;
  bool inkind_failing_ ABSL_GUARDED_BY(refresh_mu_) = false;

  absl::Mutex refresh_mu_;  // serialises Refresh
  std::optional<funding::FundingSummary> last_summary_ ABSL_GUARDED_BY(refresh_mu_);
  std::deque<std::pair<absl::Time, uint64_t>> samples_ ABSL_GUARDED_BY(refresh_mu_);

  mutable absl::Mutex mu_;
  std::optional<FundingSnapshot> snapshot_ ABSL_GUARDED_BY(mu_);
};

}  // namespace freehold::coordinator
