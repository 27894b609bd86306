// Typed configuration of the coordinator's funding monitor and admission
// (docs/ARCHITECTURE.md#12-funding-and-admission): where the donation figures come from, the cost
// model file, refresh periods and the admission thresholds. Part of CoordinatorConfig; flags.cc
// binds every field to a flag.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "billing-free/admission_assessment.h"
#include "billing-free/cost_model.h"

namespace freehold::coordinator {

struct FundingSettings {
  // freehold-donations gRPC address (Donations.GetFundingSummary). Empty means
  // "no donation intake configured": the money figures are computed with zero
  // income and funding never throttles writes (throttle_on_funding = false);
  // only physical capacity does.
  std::string donations;
  // Cost model file (billing-free/cost_model.h format). Empty: DefaultCostModel().
  std::string cost_model_file;
  // How often the monitor recomputes usage, funding and admission. > 0.
  absl::Duration refresh = absl::Seconds(10);
  // Deadline of one GetFundingSummary call. > 0.
  absl::Duration donations_timeout = absl::Seconds(5);
  // Window of the per-account recent writes that decide who is slowed first. > 0.
  absl::Duration recent_window = absl::Hours(1);
  // Window of the logical growth rate (projected fill dates). > 0.
  absl::Duration growth_window = absl::Hours(24);
  // Donated disks count only after passing this many audits (inkind_valuation.h). >= 0.
  int64_t inkind_min_audits = 1;
  // Thresholds; throttle_on_funding is ignored here (see Admission()).
  funding::AdmissionConfig admission;

  // `admission` with throttle_on_funding = !donations.empty().
  funding::AdmissionConfig Admission() const;

  // OK, or INVALID_ARGUMENT naming the bad flag ("--throttle-at must be in (0, 1]").
  absl::Status Validate() const;
};

// The cost model used without --cost-model: the figures of
// billing-free/cost_model.example.conf (EUR, 12.00 per TiB-month of raw disk,
// 1500.00 fixed per month, raw overhead 1.5).
funding::CostModel DefaultCostModel();

// DefaultCostModel() for an empty path; otherwise reads and parses the file.
// INVALID_ARGUMENT naming the file (and line) when unreadable or malformed.
absl::StatusOr<funding::CostModel> LoadCostModel(const std::string& path);

}  // namespace freehold::coordinator
