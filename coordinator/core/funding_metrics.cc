#include "coordinator/core/funding_metrics.h"

#include <cmath>

namespace freehold::coordinator {
namespace {

int MinorDigits(const std::string& currency) {
  static constexpr const char* kZero[] = {"BIF", "CLP", "DJF", "GNF", "ISK", "JPY",
                                          "KMF", "KRW", "PYG", "RWF", "UGX", "UYI",
                                          "VND", "VUV", "XAF", "XOF", "XPF"};
  static constexpr const char* kThree[] = {"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"};
  for (const char* c : kZero) {
    if (currency == c) return 0;
  }
  for (const char* c : kThree) {
    if (currency == c) return 3;
  }
  return 2;
}

}  // namespace

double FundingMetrics::ToMajorUnits(int64_t minor, const std::string& currency) {
  return static_cast<double>(minor) / std::pow(10.0, MinorDigits(currency));
}

FundingMetrics::FundingMetrics(prometheus::Registry& registry, std::string currency)
    : currency_(std::move(currency)),
      funded_family_(prometheus::BuildGauge()
                         .Name("freehold_funded_capacity_bytes")
                         .Help("Logical bytes the current monthly income sustains")
                         .Register(registry)),
      coverage_family_(prometheus::BuildGauge()
                           .Name("freehold_funding_coverage_ratio")
                           .Help("Monthly income divided by monthly cost")
                           .Register(registry)),
      runway_family_(prometheus::BuildGauge()
                         .Name("freehold_funding_runway_seconds")
                         .Help("Seconds until the balance runs out at the current net burn "
                               "(+Inf when income covers cost)")
                         .Register(registry)),
      income_family_(prometheus::BuildGauge()
                         .Name("freehold_funding_monthly_income")
                         .Help("Estimated monthly income, in units of the base currency")
                         .Register(registry)),
      cost_family_(prometheus::BuildGauge()
                       .Name("freehold_funding_monthly_cost")
                       .Help("Monthly cost of the stored data, in units of the base currency")
                       .Register(registry)),
      admission_state_(prometheus::BuildGauge()
                           .Name("freehold_admission_state")
                           .Help("Admission of new writes: 0 open, 1 throttled, 2 closed")
                           .Register(registry)
                           .Add({})),
      throttled_family_(prometheus::BuildCounter()
                            .Name("freehold_admission_throttled_total")
                            .Help("New writes delayed or refused by admission, by reason")
                            .Register(registry)),
      inkind_nodes_(prometheus::BuildGauge()
                        .Name("freehold_inkind_nodes")
                        .Help("Donated storage nodes whose capacity counts now (in good "
                              "standing)")
                        .Register(registry)
                        .Add({})),
      inkind_not_counting_(prometheus::BuildGauge()
                               .Name("freehold_inkind_nodes_not_counting")
                               .Help("Donated storage nodes that do not count now (down, "
                                     "draining, suspended, low reputation, not audited)")
                               .Register(registry)
                               .Add({})),
      inkind_bytes_(prometheus::BuildGauge()
                        .Name("freehold_inkind_capacity_bytes")
                        .Help("Audited, available raw bytes of donated disks that count")
                        .Register(registry)
                        .Add({})),
      inkind_value_(prometheus::BuildGauge()
                        .Name("freehold_inkind_monthly_value")
                        .Help("Monthly value of the donated disks at the cost model's price, "
                              "in units of the base currency (not part of income)")
                        .Register(registry)
                        .Add({{"currency", currency_}})) {
  for (funding::AdmissionReason r :
       {funding::AdmissionReason::kFunding, funding::AdmissionReason::kPhysicalCapacity}) {
    throttled_family_.Add({{"reason", std::string(funding::AdmissionReasonLabel(r))}});
  }
}

void FundingMetrics::SetOutlook(const funding::FundingOutlook& o) {
  absl::MutexLock lock(&mu_);
  if (funded_ == nullptr) {
    funded_ = &funded_family_.Add({});
    coverage_ = &coverage_family_.Add({});
    runway_ = &runway_family_.Add({});
    income_ = &income_family_.Add({{"currency", currency_}});
    cost_ = &cost_family_.Add({{"currency", currency_}});
  }
  funded_->Set(static_cast<double>(o.funded_logical_bytes));
  coverage_->Set(o.coverage_ratio);
  runway_->Set(absl::ToDoubleSeconds(o.runway));
  income_->Set(ToMajorUnits(o.monthly_income_minor, currency_));
  cost_->Set(ToMajorUnits(o.monthly_cost_minor, currency_));
}

void FundingMetrics::SetAdmissionState(funding::AdmissionState state) {
  admission_state_.Set(static_cast<double>(static_cast<int>(state)));
}

void FundingMetrics::SetInKind(const funding::FundingOutlook& o, uint64_t not_counting) {
  inkind_nodes_.Set(static_cast<double>(o.inkind_nodes));
  inkind_not_counting_.Set(static_cast<double>(not_counting));
  inkind_bytes_.Set(static_cast<double>(o.inkind_raw_bytes));
  inkind_value_.Set(ToMajorUnits(o.inkind_value_minor, currency_));
}

void FundingMetrics::CountThrottled(funding::AdmissionReason reason) {
  throttled_family_.Add({{"reason", std::string(funding::AdmissionReasonLabel(reason))}})
      .Increment();
}

}  // namespace freehold::coordinator
