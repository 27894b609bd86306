// Currency table (see currency.h).
#include "services/donations/core/currency.h"

#include <algorithm>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace freehold::donations {
namespace {

std::vector<CurrencyInfo> BuildTable() {
  // Zero-decimal and three-decimal currencies as Stripe documents them; every other
  // supported code has two decimals.
  static constexpr absl::string_view kZero[] = {"BIF", "CLP", "DJF", "GNF", "JPY", "KMF",
                                                "KRW", "MGA", "PYG", "RWF", "UGX", "VND",
                                                "VUV", "XAF", "XOF", "XPF"};
  static constexpr absl::string_view kThree[] = {"BHD", "JOD", "KWD", "OMR", "TND"};
  static constexpr absl::string_view kTwo[] = {
      "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD",
      "BDT", "BGN", "BMD", "BND", "BOB", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD",
      "CDF", "CHF", "CNY", "COP", "CRC", "CVE", "CZK", "DKK", "DOP", "DZD", "EGP", "ETB",
      "EUR", "FJD", "FKP", "GBP", "GEL", "GIP", "GMD", "GTQ", "GYD", "HKD", "HNL", "HTG",
      "HUF", "IDR", "ILS", "INR", "ISK", "JMD", "KES", "KGS", "KHR", "KYD", "KZT", "LAK",
      "LBP", "LKR", "LRD", "LSL", "MAD", "MDL", "MKD", "MMK", "MNT", "MOP", "MUR", "MVR",
      "MWK", "MXN", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "PAB", "PEN",
      "PGK", "PHP", "PKR", "PLN", "QAR", "RON", "RSD", "RUB", "SAR", "SBD", "SCR", "SEK",
      "SGD", "SHP", "SLE", "SOS", "SRD", "STD", "SZL", "THB", "TJS", "TOP", "TRY", "TTD",
      "TWD", "TZS", "UAH", "USD", "UYU", "UZS", "WST", "XCD", "YER", "ZAR", "ZMW"};
  std::vector<CurrencyInfo> out;
  for (auto c : kZero) out.push_back({c, 0});
  for (auto c : kTwo) out.push_back({c, 2});
  for (auto c : kThree) out.push_back({c, 3});
  std::sort(out.begin(), out.end(),
            [](const CurrencyInfo& a, const CurrencyInfo& b) { return a.code < b.code; });
  return out;
}

}  // namespace

const std::vector<CurrencyInfo>& KnownCurrencies() {
  static const std::vector<CurrencyInfo>* const table = new std::vector<CurrencyInfo>(BuildTable());
  return *table;
}

std::optional<int> MinorDigits(absl::string_view code) {
  const auto& table = KnownCurrencies();
  auto it = std::lower_bound(table.begin(), table.end(), code,
                             [](const CurrencyInfo& c, absl::string_view k) { return c.code < k; });
  if (it == table.end() || it->code != code) return std::nullopt;
  return it->minor_digits;
}

absl::StatusOr<std::string> NormalizeCurrency(absl::string_view code, absl::string_view field) {
  std::string upper = absl::AsciiStrToUpper(code);
  if (upper.size() != 3 || !MinorDigits(upper).has_value()) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": unknown currency \"",
                                                   code.substr(0, 16),
                                                   "\" (want an ISO 4217 code such as EUR)"));
  }
  return upper;
}

std::string FormatMinor(int64_t amount_minor, int digits) {
  const bool negative = amount_minor < 0;
  // Work in unsigned to handle INT64_MIN.
  uint64_t magnitude =
      negative ? 0 - static_cast<uint64_t>(amount_minor) : static_cast<uint64_t>(amount_minor);
  std::string s = std::to_string(magnitude);
  if (digits > 0) {
    const size_t d = static_cast<size_t>(digits);
    if (s.size() <= d) s = absl::StrCat(std::string(d + 1 - s.size(), '0'), s);
    s = absl::StrCat(s.substr(0, s.size() - d), ".", s.substr(s.size() - d));
  }
  return negative ? "-" + s : s;
}

}  // namespace freehold::donations
