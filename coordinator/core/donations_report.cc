#include "coordinator/core/donations_report.h"

#include <algorithm>
#include <cmath>

#include "absl/time/civil_time.h"

namespace freehold::coordinator {
namespace {

int64_t Clamp(int64_t v, int64_t lo, int64_t hi) { return std::min(std::max(v, lo), hi); }

// a + b saturating at +-kMaxMoneyMinor (inputs are far below int64 limits once clamped).
int64_t AddClamped(int64_t a, int64_t b) {
  const int64_t max = funding::kMaxMoneyMinor;
  return Clamp(Clamp(a, -max, max) + Clamp(b, -max, max), -max, max);
}

}  // namespace

funding::FundingSummary SummaryFromReport(const DonationsReport& r) {
  const int64_t max = funding::kMaxMoneyMinor;
  const std::string this_month =
      absl::FormatCivilTime(absl::ToCivilMonth(r.as_of, absl::UTCTimeZone()));
  int64_t refunds = 0;
  for (const DonationsReport::Month& m : r.months) {
    if (m.month != this_month || m.reversed_minor <= 0) continue;
    int64_t base = 0;
    if (m.currency == r.base_currency) {
      base = m.reversed_minor;
    } else if (m.net_minor != 0) {
      const double rate = static_cast<double>(m.net_base_minor) / static_cast<double>(m.net_minor);
      const double converted = std::round(static_cast<double>(m.reversed_minor) * rate);
      base =
          converted > 0 ? static_cast<int64_t>(std::min(converted, static_cast<double>(max))) : 0;
    }
    refunds = AddClamped(refunds, base);
  }
  funding::FundingSummary s;
  s.currency = r.base_currency;
  s.refunds_this_month_minor = Clamp(refunds, 0, max);
  const int64_t gross = AddClamped(r.this_month_net_base_minor, s.refunds_this_month_minor);
  const int64_t recurring = Clamp(r.monthly_recurring_base_minor, 0, max);
  s.one_off_this_month_minor = Clamp(AddClamped(gross, -recurring), 0, max);
  s.recurring_monthly_minor = recurring;
  s.one_off_trailing_average_minor = Clamp(r.trailing_one_off_average_base_minor, 0, max);
  s.balance_minor = Clamp(r.balance_base_minor, -max, max);
  return s;
}

}  // namespace freehold::coordinator
