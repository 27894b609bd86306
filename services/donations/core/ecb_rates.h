// Exchange rates from the European Central Bank's published reference rates
// ("eurofxref"), in either of the ECB's own formats, as rows of the donations rate
// table (exchange_rate.h):
//   * CSV: eurofxref.csv ("Date, USD, JPY, ...,\n04 December 2026, 1.0500, ...,") or
//     eurofxref-hist.csv ("Date,USD,...\n2026-12-04,1.05,N/A,..."): a header row of
//     currency codes, one row per day; "N/A" or an empty cell means no rate that day.
//     The format has no quoting, so it is split on commas (no CSV library needed).
//   * XML: eurofxref-daily.xml / eurofxref-hist.xml / eurofxref-hist-90d.xml
//     (gesmes envelope, <Cube time="YYYY-MM-DD"><Cube currency="USD" rate="1.05"/>),
//     read with expat (Debian libexpat1-dev).
// The ECB quotes "units of the currency per 1 EUR"; the rate table wants "base units
// per 1 unit", so each rate is converted: rate(C) = ecb(base) / ecb(C) (EUR: ecb = 1),
// divided exactly and rounded half to even to kEcbRateDigits significant digits (fewer
// when the 18-digit scale limit of DecimalRate is reached). A day's rows are effective
// from that date, 00:00 UTC. Currencies unknown to the currency table are skipped; a
// day without a rate for the base currency (base other than EUR) is skipped.
#pragma once

#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/donations/core/exchange_rate.h"

namespace freehold::donations {

inline constexpr int kEcbRateDigits = 15;

// Detects the format (XML if the first non-blank character is '<', else CSV).
// INVALID_ARGUMENT naming `source` and the line/element for a malformed file or one
// without any rate.
absl::StatusOr<std::vector<RateRow>> ParseEcbRates(absl::string_view text,
                                                   absl::string_view base_currency,
                                                   absl::string_view source);

// numerator / denominator, rounded half to even to `significant_digits` (at most 18,
// and at most 18 fractional digits). INVALID_ARGUMENT if the result is 0 or too large.
absl::StatusOr<DecimalRate> DivideRates(const DecimalRate& numerator,
                                        const DecimalRate& denominator, int significant_digits);

}  // namespace freehold::donations
