// ECB reference rates (eurofxref CSV and XML) -> rate table rows (see ecb_rates.h).
#include "services/donations/core/ecb_rates.h"

#include <expat.h>

#include <map>
#include <optional>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "services/donations/core/currency.h"

namespace freehold::donations {
namespace {

__int128 Pow10(int n) {
  __int128 v = 1;
  for (int i = 0; i < n; ++i) v *= 10;
  return v;
}

int DigitCount(__int128 v) {
  int n = 1;
  while (v >= 10) {
    v /= 10;
    ++n;
  }
  return n;
}

// One day of ECB quotes: currency -> units per EUR.
using Day = std::map<std::string, DecimalRate>;

absl::StatusOr<absl::Time> ParseEcbDate(absl::string_view text) {
  const std::string s(absl::StripAsciiWhitespace(text));
  absl::Time t;
  std::string err;
  if (absl::ParseTime("%Y-%m-%d", s, absl::UTCTimeZone(), &t, &err)) return t;
  if (absl::ParseTime("%d %B %Y", s, absl::UTCTimeZone(), &t, &err)) return t;
  return absl::InvalidArgumentError(
      absl::StrCat("date \"", s.substr(0, 40), "\" is neither YYYY-MM-DD nor \"DD Month YYYY\""));
}

// Turns days of ECB quotes into rate rows for `base`.
absl::StatusOr<std::vector<RateRow>> ToRows(const std::map<absl::Time, Day>& days,
                                            absl::string_view base, absl::string_view source) {
  std::vector<RateRow> rows;
  for (const auto& [date, quotes] : days) {
    DecimalRate base_per_eur = DecimalRate::One();
    if (base != "EUR") {
      auto it = quotes.find(std::string(base));
      if (it == quotes.end()) continue;  // no rate for the base that day
      base_per_eur = it->second;
    }
    std::map<std::string, DecimalRate> day_rates = quotes;
    day_rates.emplace("EUR", DecimalRate::One());
    for (const auto& [currency, per_eur] : day_rates) {
      if (currency == base || !MinorDigits(currency).has_value()) continue;
      absl::StatusOr<DecimalRate> rate = DivideRates(base_per_eur, per_eur, kEcbRateDigits);
      if (!rate.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(source, ": ", currency, " on ",
                                                       absl::FormatTime("%Y-%m-%d", date,
                                                                        absl::UTCTimeZone()),
                                                       ": ", rate.status().message()));
      }
      rows.push_back(RateRow{currency, *rate, date});
    }
  }
  if (rows.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": no exchange rate in the file"));
  }
  return rows;
}

absl::StatusOr<std::vector<RateRow>> ParseCsv(absl::string_view text, absl::string_view base,
                                              absl::string_view source) {
  std::vector<std::string> header;
  std::map<absl::Time, Day> days;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty()) continue;
    std::vector<std::string> cells;
    for (absl::string_view cell : absl::StrSplit(line, ',')) {
      cells.emplace_back(absl::StripAsciiWhitespace(cell));
    }
    auto bad = [&](absl::string_view why) {
      return absl::InvalidArgumentError(absl::StrCat(source, ": line ", line_no, ": ", why));
    };
    if (header.empty()) {
      if (cells.empty() || absl::AsciiStrToLower(cells[0]) != "date") {
        return bad("the header must start with \"Date\" (the ECB's eurofxref CSV)");
      }
      header = cells;
      continue;
    }
    absl::StatusOr<absl::Time> date = ParseEcbDate(cells[0]);
    if (!date.ok()) return bad(date.status().message());
    Day& day = days[*date];
    for (size_t i = 1; i < cells.size() && i < header.size(); ++i) {
      if (header[i].empty() || cells[i].empty() || cells[i] == "N/A") continue;
      absl::StatusOr<DecimalRate> rate = ParseRate(cells[i], header[i]);
      if (!rate.ok()) return bad(rate.status().message());
      day[header[i]] = *rate;
    }
  }
  if (header.empty()) return absl::InvalidArgumentError(absl::StrCat(source, ": empty file"));
  return ToRows(days, base, source);
}

struct XmlState {
  XML_Parser parser = nullptr;
  std::optional<absl::Time> day;
  std::map<absl::Time, Day> days;
  absl::Status error;
};

void OnStart(void* user, const XML_Char* name, const XML_Char** attrs) {
  auto* st = static_cast<XmlState*>(user);
  if (!st->error.ok() || std::string_view(name) != "Cube") return;
  std::string time, currency, rate;
  for (int i = 0; attrs[i] != nullptr; i += 2) {
    const std::string_view key = attrs[i];
    if (key == "time") time = attrs[i + 1];
    if (key == "currency") currency = attrs[i + 1];
    if (key == "rate") rate = attrs[i + 1];
  }
  const auto line = XML_GetCurrentLineNumber(st->parser);
  if (!time.empty()) {
    absl::StatusOr<absl::Time> t = ParseEcbDate(time);
    if (!t.ok()) {
      st->error = absl::InvalidArgumentError(absl::StrCat("line ", line, ": ", t.status().message()));
      return;
    }
    st->day = *t;
    st->days[*t];
  } else if (!currency.empty()) {
    if (!st->day.has_value()) {
      st->error = absl::InvalidArgumentError(
          absl::StrCat("line ", line, ": a Cube with a rate outside a Cube with a time"));
      return;
    }
    absl::StatusOr<DecimalRate> r = ParseRate(rate, currency);
    if (!r.ok()) {
      st->error = absl::InvalidArgumentError(absl::StrCat("line ", line, ": ", r.status().message()));
      return;
    }
    st->days[*st->day][currency] = *r;
  }
}

absl::StatusOr<std::vector<RateRow>> ParseXml(absl::string_view text, absl::string_view base,
                                              absl::string_view source) {
  XmlState st;
  XML_Parser parser = XML_ParserCreate(nullptr);
  if (parser == nullptr) return absl::ResourceExhaustedError("expat: out of memory");
  st.parser = parser;
  XML_SetUserData(parser, &st);
  XML_SetStartElementHandler(parser, &OnStart);
  const XML_Status done = XML_Parse(parser, text.data(), static_cast<int>(text.size()), 1);
  absl::Status status = st.error;
  if (status.ok() && done != XML_STATUS_OK) {
    status = absl::InvalidArgumentError(absl::StrCat("line ", XML_GetCurrentLineNumber(parser),
                                                     ": ", XML_ErrorString(XML_GetErrorCode(parser))));
  }
  XML_ParserFree(parser);
  if (!status.ok()) return absl::InvalidArgumentError(absl::StrCat(source, ": ", status.message()));
  return ToRows(st.days, base, source);
}

}  // namespace

absl::StatusOr<DecimalRate> DivideRates(const DecimalRate& numerator,
                                        const DecimalRate& denominator, int significant_digits) {
  if (numerator.mantissa <= 0 || denominator.mantissa <= 0) {
    return absl::InvalidArgumentError("rates must be > 0");
  }
  significant_digits = std::clamp(significant_digits, 1, 17);
  const int num_digits = DigitCount(numerator.mantissa);
  for (int scale = 0; scale <= 18; ++scale) {
    // value * 10^scale = n * 10^(dscale - nscale + scale) / d
    const int e = denominator.scale - numerator.scale + scale;
    if (e > 0 && num_digits + e > 37) return absl::InvalidArgumentError("rate too precise");
    const __int128 num = static_cast<__int128>(numerator.mantissa) * Pow10(std::max(e, 0));
    const __int128 den = static_cast<__int128>(denominator.mantissa) * Pow10(std::max(-e, 0));
    const __int128 q = num / den;
    if (q >= Pow10(significant_digits - 1) || scale == 18) {
      __int128 m = DivideRoundHalfEven(num, den);
      int s = scale;
      if (m == 0) return absl::InvalidArgumentError("rate below 10^-18");
      if (m >= Pow10(18)) return absl::InvalidArgumentError("rate too large");
      while (s > 0 && m % 10 == 0) {
        m /= 10;
        --s;
      }
      return DecimalRate{static_cast<int64_t>(m), s};
    }
  }
  return absl::InternalError("unreachable");
}

absl::StatusOr<std::vector<RateRow>> ParseEcbRates(absl::string_view text,
                                                   absl::string_view base_currency,
                                                   absl::string_view source) {
  const absl::string_view trimmed = absl::StripLeadingAsciiWhitespace(text);
  if (!trimmed.empty() && trimmed.front() == '<') return ParseXml(text, base_currency, source);
  return ParseCsv(text, base_currency, source);
}

}  // namespace freehold::donations
