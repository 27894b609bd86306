// What the coordinator learns from freehold-donations (Donations.GetFundingSummary)
// as plain values, the seam that fetches it, and how it maps onto the funding
// model's FundingSummary (billing-free/funding_model.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "billing-free/funding_model.h"

namespace freehold::coordinator {

// GetFundingSummaryResponse, field for field (services/donations read_side.h).
struct DonationsReport {
  struct Month {
    std::string month;  // "YYYY-MM" (UTC)
    std::string currency;
    int64_t gross_minor = 0;     // original currency, payments
    int64_t reversed_minor = 0;  // original currency, refunds + chargebacks (positive)
    int64_t net_minor = 0;       // original currency
    int64_t net_base_minor = 0;  // base currency (rates recorded with each entry)
  };
  std::string base_currency;
  std::vector<Month> months;                        // per month and original currency
  int64_t balance_base_minor = 0;                   // all-time net
  int64_t monthly_recurring_base_minor = 0;         // active pledges, normalised to a month
  int64_t trailing_one_off_average_base_minor = 0;  // net one-offs, mean of last 3 full months
  int64_t this_month_net_base_minor = 0;            // every entry this month: payments - reversals
  absl::Time as_of;
};

// Maps the report onto the model's inputs (every amount in base minor units,
// clamped to the model's ranges [0, kMaxMoneyMinor] / |balance| <= kMaxMoneyMinor):
//   currency                 = base_currency
//   refunds_this_month       = reversals of the as_of month (UTC): reversed_minor
//                              of base-currency rows; other currencies converted
//                              at their month's net_base/net ratio (a fully
//                              reversed foreign row, net 0, counts 0 on both
//                              sides, which leaves income unchanged)
//   gross_this_month         = this_month_net + refunds_this_month
//   one_off_this_month       = max(0, gross_this_month - monthly_recurring)
//       The ledger does not split this month's payments into one-off and
//       recurring; pledge payments are assumed to be at most their monthly
//       equivalent, so one-offs are never over-counted (a pledge not yet paid
//       this month makes the estimate low, never high).
//   recurring_monthly        = monthly_recurring
//   one_off_trailing_average = max(0, trailing_one_off_average)
//   balance                  = balance
funding::FundingSummary SummaryFromReport(const DonationsReport& report);

// Fetches the donations service's figures. Thread-compatible (one caller: the
// funding monitor). UNAVAILABLE / DEADLINE_EXCEEDED when it cannot be reached.
class DonationsFeed {
 public:
  virtual ~DonationsFeed() = default;
  virtual absl::StatusOr<DonationsReport> Fetch() = 0;
};

}  // namespace freehold::coordinator
