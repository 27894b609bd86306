#include "coordinator/core/funding_monitor.h"

#include <limits>

#include "absl/strings/str_cat.h"

namespace freehold::coordinator {

FundingMonitor::FundingMonitor(UsageSource& usage, DonationsFeed* donations, Clock& clock,
                               funding::CostModel cost_model, FundingMonitorOptions options,
                               funding::AdmissionPolicy& policy, FundingMetrics* metrics,
                               Logger log)
    : usage_(usage),
      donations_(donations),
      clock_(clock),
      cost_model_(std::move(cost_model)),
      options_(std::move(options)),
      policy_(policy),
      metrics_(metrics),
      log_(std::move(log)) {}

double FundingMonitor::Growth(absl::Time now, uint64_t logical) {
  samples_.emplace_back(now, logical);
  while (samples_.size() > 2 && samples_[1].first <= now - options_.growth_window) {
    samples_.pop_front();
  }
  const auto& [t0, b0] = samples_.front();
  const double dt = absl::ToDoubleSeconds(now - t0);
  if (dt < 1) return 0;
  return (static_cast<double>(logical) - static_cast<double>(b0)) / dt;
}

absl::Status FundingMonitor::Refresh() {
  absl::MutexLock refresh_lock(&refresh_mu_);
  const absl::Time now = clock_.Now();
  absl::StatusOr<UsageFigures> figures = usage_.Read(now - options_.recent_window);
  if (!figures.ok()) return figures.status();

  funding::StorageUsage usage;
  usage.logical_bytes = figures->logical_bytes;
  usage.raw_bytes = figures->raw_bytes;
  usage.physical_raw_capacity_bytes = figures->physical_raw_capacity_bytes;
  usage.logical_growth_bytes_per_second = Growth(now, figures->logical_bytes);

  // Donated disks: valued now; a failed read counts none (never more than is known).
  InKindValuation inkind;
  std::string inkind_error;
  if (inkind_ != nullptr) {
    absl::StatusOr<InKindValuation> valued = inkind_->Read();
    if (valued.ok()) {
      inkind = *std::move(valued);
      if (inkind_failing_) log_.Info("donated disks readable again");
      inkind_failing_ = false;
    } else {
      inkind_error = absl::StrCat("donated disks not counted: ", valued.status().message());
      if (!inkind_failing_) log_.Warn("cannot value donated disks", {{"error", valued.status()}});
      inkind_failing_ = true;
    }
  }

  absl::Status result = absl::OkStatus();
  std::string funding_error;
  if (donations_ != nullptr) {
    absl::StatusOr<DonationsReport> report = donations_->Fetch();
    if (report.ok()) {
      last_summary_ = SummaryFromReport(*report);
    } else {
      result = absl::Status(report.status().code(),
                            absl::StrCat("donations service: ", report.status().message()));
      funding_error =
          absl::StrCat(last_summary_.has_value() ? "figures may be stale: " : "",
                       "the donations service did not answer (", report.status().message(), ")");
    }
  }
  bool known = donations_ == nullptr || last_summary_.has_value();
  funding::FundingSummary summary;
  if (donations_ != nullptr && last_summary_.has_value()) summary = *last_summary_;
  absl::StatusOr<funding::FundingOutlook> outlook =
      funding::ComputeFunding(summary, cost_model_, usage, inkind.capacity);
  if (!outlook.ok() && known) {
    known = false;
    funding_error = absl::StrCat("donation figures rejected: ", outlook.status().message());
    if (result.ok()) result = outlook.status();
    outlook =
        funding::ComputeFunding(funding::FundingSummary(), cost_model_, usage, inkind.capacity);
  }
  if (!outlook.ok()) return outlook.status();  // bad usage figures: keep the previous state

  funding::FundingOutlook for_admission = *outlook;
  // Unknown funding never throttles; physical capacity still does.
  if (!known) for_admission.funded_logical_bytes = std::numeric_limits<uint64_t>::max();
  funding::RecentWrites recent;
  recent.window = options_.recent_window;
  recent.accounts = std::move(figures->recent);
  // With no storage node at all (a cluster starting, before daemons register)
  // admission has nothing to measure: the previous state stays (OPEN at
  // start), and placement refuses writes with the accurate error.
  if (usage.physical_raw_capacity_bytes > 0) policy_.Update(for_admission, usage, recent, now);
  const funding::AdmissionAssessment assessment = policy_.assessment();

  if (metrics_ != nullptr) {
    if (known) metrics_->SetOutlook(*outlook);
    metrics_->SetAdmissionState(assessment.state);
    metrics_->SetInKind(*outlook, inkind.NotCounting());
  }
  FundingSnapshot snap;
  snap.as_of = now;
  snap.donations_configured = donations_ != nullptr;
  snap.funding_known = known;
  snap.funding_error = std::move(funding_error);
  snap.outlook = *std::move(outlook);
  snap.usage = usage;
  if (org_owners_ != nullptr) {
    absl::StatusOr<OrgUsage> orgs = org_owners_->Usage();
    if (orgs.ok()) {
      snap.org_logical_bytes = orgs->logical_bytes;
      snap.organizations = orgs->organizations;
    }
  }
  snap.inkind = std::move(inkind);
  snap.inkind_error = std::move(inkind_error);
  snap.admission_state = assessment.state;
  snap.admission_reason = assessment.reason;
  snap.admission_message = assessment.message;
  snap.donate_url = options_.donate_url;
  {
    absl::MutexLock lock(&mu_);
    const bool changed =
        !snapshot_.has_value() || snapshot_->admission_state != snap.admission_state;
    snapshot_ = std::move(snap);
    if (changed) {
      log_.Info("admission state", {{"state", funding::AdmissionStateName(assessment.state)},
                                    {"reason", funding::AdmissionReasonLabel(assessment.reason)}});
    }
  }
  return result;
}

std::optional<FundingSnapshot> FundingMonitor::Snapshot() const {
  absl::MutexLock lock(&mu_);
  return snapshot_;
}

}  // namespace freehold::coordinator
