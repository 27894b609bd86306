// Exact decimal rates and conversion (see exchange_rate.h).
#include "services/donations/core/exchange_rate.h"

#include <cstdlib>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "services/donations/core/currency.h"

namespace freehold::donations {
namespace {

__int128 Pow10(int n) {
  __int128 v = 1;
  for (int i = 0; i < n; ++i) v *= 10;
  return v;
}

absl::StatusOr<absl::Time> ParseEffectiveFrom(absl::string_view text) {
  absl::Time t;
  std::string err;
  if (absl::ParseTime(absl::RFC3339_full, std::string(text), &t, &err)) return t;
  if (absl::ParseTime("%Y-%m-%d", std::string(text), absl::UTCTimeZone(), &t, &err)) return t;
  return absl::InvalidArgumentError(absl::StrCat("effective_from \"", text.substr(0, 40),
                                                 "\" is neither RFC 3339 nor YYYY-MM-DD"));
}

}  // namespace

std::string DecimalRate::ToString() const {
  std::string digits = std::to_string(mantissa);
  if (scale == 0) return digits;
  const size_t d = static_cast<size_t>(scale);
  if (digits.size() <= d) digits = absl::StrCat(std::string(d + 1 - digits.size(), '0'), digits);
  return absl::StrCat(digits.substr(0, digits.size() - d), ".", digits.substr(digits.size() - d));
}

absl::StatusOr<DecimalRate> ParseRate(absl::string_view text, absl::string_view field) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": rate \"", text.substr(0, 40), "\" ", why));
  };
  if (text.empty()) return bad("is empty");
  int64_t mantissa = 0;
  int scale = 0;
  int significant = 0;
  bool seen_dot = false;
  bool seen_digit = false;
  for (char c : text) {
    if (c == '.') {
      if (seen_dot) return bad("has two decimal points");
      seen_dot = true;
      continue;
    }
    if (c < '0' || c > '9') return bad("is not a plain decimal number (digits and one '.')");
    seen_digit = true;
    if (seen_dot) ++scale;
    if (mantissa != 0 || c != '0') ++significant;
    if (significant > 18) return bad("has more than 18 significant digits");
    mantissa = mantissa * 10 + (c - '0');
  }
  if (!seen_digit) return bad("has no digits");
  if (scale > 18) return bad("has more than 18 fractional digits");
  if (mantissa == 0) return bad("must be greater than zero");
  while (scale > 0 && mantissa % 10 == 0) {
    mantissa /= 10;
    --scale;
  }
  return DecimalRate{mantissa, scale};
}

__int128 DivideRoundHalfEven(__int128 numerator, __int128 denominator) {
  const bool negative = numerator < 0;
  __int128 n = negative ? -numerator : numerator;
  __int128 q = n / denominator;
  __int128 r = n % denominator;
  __int128 twice = r * 2;
  if (twice > denominator || (twice == denominator && (q % 2) == 1)) ++q;
  return negative ? -q : q;
}

absl::StatusOr<int64_t> ConvertToBase(int64_t amount_minor, int currency_digits,
                                      const DecimalRate& rate, int base_digits) {
  if (amount_minor > kMaxAmountMinor || amount_minor < -kMaxAmountMinor) {
    return absl::InvalidArgumentError(absl::StrCat(
        "amount ", amount_minor, " exceeds the limit of ", kMaxAmountMinor, " minor units"));
  }
  __int128 numerator = static_cast<__int128>(amount_minor) * rate.mantissa;
  __int128 denominator = Pow10(rate.scale);
  if (base_digits > currency_digits) numerator *= Pow10(base_digits - currency_digits);
  if (currency_digits > base_digits) denominator *= Pow10(currency_digits - base_digits);
  __int128 q = DivideRoundHalfEven(numerator, denominator);
  if (q > std::numeric_limits<int64_t>::max() || q < std::numeric_limits<int64_t>::min()) {
    return absl::InvalidArgumentError("converted amount does not fit in 64 bits");
  }
  return static_cast<int64_t>(q);
}

absl::StatusOr<std::vector<RateRow>> ParseRatesCsv(absl::string_view csv,
                                                   absl::string_view base_currency) {
  std::vector<RateRow> rows;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(csv, '\n')) {
    ++line_no;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line.front() == '#') continue;
    std::vector<absl::string_view> fields = absl::StrSplit(line, ',');
    for (auto& f : fields) f = absl::StripAsciiWhitespace(f);
    if (rows.empty() && absl::AsciiStrToLower(fields[0]) == "currency") continue;
    const std::string where = absl::StrCat("line ", line_no);
    if (fields.size() != 3) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": want 3 fields currency,rate,effective_from, got ", fields.size()));
    }
    RateRow row;
    auto currency = NormalizeCurrency(fields[0], where);
    if (!currency.ok()) return currency.status();
    row.currency = *currency;
    auto rate = ParseRate(fields[1], where);
    if (!rate.ok()) return rate.status();
    row.rate = *rate;
    auto t = ParseEffectiveFrom(fields[2]);
    if (!t.ok()) return absl::InvalidArgumentError(absl::StrCat(where, ": ", t.status().message()));
    row.effective_from = *t;
    if (row.currency == base_currency && !(row.rate == DecimalRate::One())) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": the base currency ", base_currency, " must have rate 1"));
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

std::optional<DecimalRate> SelectRate(const std::vector<RateRow>& rows, absl::string_view currency,
                                      absl::Time at, absl::string_view base_currency) {
  if (currency == base_currency) return DecimalRate::One();
  const RateRow* best = nullptr;
  for (const RateRow& row : rows) {
    if (row.currency != currency || row.effective_from > at) continue;
    if (best == nullptr || row.effective_from > best->effective_from) best = &row;
  }
  if (best == nullptr) return std::nullopt;
  return best->rate;
}

}  // namespace freehold::donations
