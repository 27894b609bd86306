// Prometheus metrics of funding and admission (names are a contract with
// monitoring/ rules, dashboards and the donor portal; keep them stable):
//   freehold_funded_capacity_bytes            gauge, logical bytes income sustains
//   freehold_funding_coverage_ratio           gauge, income / cost (+Inf if cost 0)
//   freehold_funding_runway_seconds           gauge, +Inf when income covers cost
//   freehold_funding_monthly_income{currency} gauge, base currency units (EUR, not cents)
//   freehold_funding_monthly_cost{currency}   gauge, base currency units
//   freehold_admission_state                  gauge, 0 open, 1 throttled, 2 closed
//   freehold_admission_throttled_total{reason="funding|physical_capacity"}
//                                             counter, writes delayed or refused
//   freehold_inkind_nodes                     gauge, donated nodes counting now
//   freehold_inkind_nodes_not_counting        gauge, donated nodes that do not count
//   freehold_inkind_capacity_bytes            gauge, their counted raw bytes
//   freehold_inkind_monthly_value{currency}   gauge, what that disk is worth per month,
//                                             base currency units (never in income)
// (in-kind gauges are exported from the start: they do not depend on donations)
// The funding gauges appear only once figures are known (a first refresh that
// reached the donations service, or none configured), so alerts never fire on
// made-up zeros. Thread-safe.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "billing-free/admission_assessment.h"
#include "billing-free/funding_model.h"

namespace freehold::coordinator {

class FundingMetrics {
 public:
  // Registers the families in `registry` (which must outlive this object).
  // `currency` is the cost model's base currency (the `currency` label).
  FundingMetrics(prometheus::Registry& registry, std::string currency);

  void SetOutlook(const funding::FundingOutlook& outlook);
  void SetAdmissionState(funding::AdmissionState state);
  // The outlook's inkind_* figures and how many donated nodes do not count.
  void SetInKind(const funding::FundingOutlook& outlook, uint64_t not_counting);
  // One write delayed or refused for `reason`.
  void CountThrottled(funding::AdmissionReason reason);

  // Minor units -> units of `currency` (ISO 4217 minor digits: 0 for JPY,
  // KRW, ...; 3 for KWD, BHD, ...; 2 otherwise).
  static double ToMajorUnits(int64_t minor, const std::string& currency);

 private:
  const std::string currency_;
  prometheus::Family<prometheus::Gauge>& funded_family_;
  prometheus::Family<prometheus::Gauge>& coverage_family_;
  prometheus::Family<prometheus::Gauge>& runway_family_;
  prometheus::Family<prometheus::Gauge>& income_family_;
  prometheus::Family<prometheus::Gauge>& cost_family_;
  prometheus::Gauge& admission_state_;
  prometheus::Family<prometheus::Counter>& throttled_family_;
  prometheus::Gauge& inkind_nodes_;
  prometheus::Gauge& inkind_not_counting_;
  prometheus::Gauge& inkind_bytes_;
  prometheus::Gauge& inkind_value_;
  absl::Mutex mu_;
  prometheus::Gauge* funded_ ABSL_GUARDED_BY(mu_) = nullptr;  // null until the first outlook
  prometheus::Gauge* coverage_ ABSL_GUARDED_BY(mu_) = nullptr;
  prometheus::Gauge* runway_ ABSL_GUARDED_BY(mu_) = nullptr;
  prometheus::Gauge* income_ ABSL_GUARDED_BY(mu_) = nullptr;
  prometheus::Gauge* cost_ ABSL_GUARDED_BY(mu_) = nullptr;
};

}  // namespace freehold::coordinator
