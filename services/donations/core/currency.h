// ISO 4217 currencies as payment processors send them: amounts arrive as integers in
// the currency's smallest unit. Most currencies have two decimals; sixteen have none
// (1000 JPY is a thousand yen) and five have three (5120 KWD minor units is 5.120
// dinars). The table follows Stripe's documented exponents (which equal ISO 4217's
// except where ISO lists a minor unit nobody uses, e.g. UGX, VUV: zero there too).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace freehold::donations {

struct CurrencyInfo {
  absl::string_view code;  // upper-case ISO 4217
  int minor_digits;        // 0, 2 or 3
};

// Every currency the ledger accepts, sorted by code.
const std::vector<CurrencyInfo>& KnownCurrencies();

// Minor-unit digits of `code` (upper case, exactly three letters); nullopt if unknown.
std::optional<int> MinorDigits(absl::string_view code);

// Upper-cases `code` ("eur" -> "EUR") and checks it is in the table.
// INVALID_ARGUMENT naming `field` if it is not.
absl::StatusOr<std::string> NormalizeCurrency(absl::string_view code, absl::string_view field);

// "12.34" for (1234, 2), "-0.005" for (-5, 3), "1000" for (1000, 0).
std::string FormatMinor(int64_t amount_minor, int digits);

}  // namespace freehold::donations
