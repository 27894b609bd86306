// Exact conversion of minor units to the base currency.
//
// A rate is a positive decimal string "base currency units per 1 unit" ("1.0842"),
// kept as an integer mantissa and a power-of-ten scale, never as floating point.
// Conversion of an amount in minor units:
//   base_minor = amount_minor * rate * 10^(base_digits - currency_digits)
// computed exactly in 128-bit integers and rounded half-to-even (banker's rounding)
// to whole base minor units, so sums of many conversions carry no systematic bias.
//
// Rate table rule: the rate of a currency at time t is the row with the latest
// effective_from <= t; the base currency always has rate 1.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace freehold::donations {

// Largest accepted |amount| in minor units of any currency (larger is "absurd").
inline constexpr int64_t kMaxAmountMinor = 1'000'000'000'000;  // 10^12

struct DecimalRate {
  int64_t mantissa = 1;  // > 0, < 10^18
  int scale = 0;         // 0..18; value = mantissa / 10^scale

  static DecimalRate One() { return DecimalRate{1, 0}; }
  // Canonical text: no exponent, no trailing fractional zeros ("1.5", "0.0092", "3").
  std::string ToString() const;
  bool operator==(const DecimalRate&) const = default;
};

// Parses "1", "1.0842", "0.000123" (digits, at most one '.', at most 18 significant
// digits and 18 fractional digits, value > 0). INVALID_ARGUMENT naming `field`.
absl::StatusOr<DecimalRate> ParseRate(absl::string_view text, absl::string_view field);

// Rounds numerator/denominator (denominator > 0) half to even.
__int128 DivideRoundHalfEven(__int128 numerator, __int128 denominator);

// Converts as described in the file comment. INVALID_ARGUMENT if |amount_minor| exceeds
// kMaxAmountMinor or the result does not fit in int64.
absl::StatusOr<int64_t> ConvertToBase(int64_t amount_minor, int currency_digits,
                                      const DecimalRate& rate, int base_digits);

// Where a rate came from: an operator (SetExchangeRates, --exchange-rates) or the ECB
// reference rates file (--ecb-rates). A file row never replaces a manual row for the
// same currency and instant (the manual override); a manual row replaces anything.
enum class RateSource { kManual, kFile };

struct RateRow {
  std::string currency;  // upper-case ISO 4217
  DecimalRate rate;
  absl::Time effective_from;
};

// Parses a rates file: one "currency,rate,effective_from" per line; effective_from is
// RFC 3339 ("2024-01-01T00:00:00Z") or a date ("2024-01-01", midnight UTC). Blank lines,
// lines starting with '#' and a header line starting with "currency" are skipped.
// A row for `base_currency` must have rate 1. INVALID_ARGUMENT naming the line.
absl::StatusOr<std::vector<RateRow>> ParseRatesCsv(absl::string_view csv,
                                                   absl::string_view base_currency);

// The table rule (file comment): nullopt if no row applies.
std::optional<DecimalRate> SelectRate(const std::vector<RateRow>& rows, absl::string_view currency,
                                      absl::Time at, absl::string_view base_currency);

}  // namespace freehold::donations
