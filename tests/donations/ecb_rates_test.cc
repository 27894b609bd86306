// The ECB's reference rates (eurofxref CSV and XML, as the ECB publishes them) turned
// into rate-table rows: inverted to "base units per unit", exact, half-even rounding.
#include "services/donations/core/ecb_rates.h"

#include <gtest/gtest.h>

#include <map>

#include "tests/support/status_matchers.h"

namespace freehold::donations {
namespace {

using freehold::testing::StatusIs;
using ::testing::HasSubstr;

// eurofxref.csv as downloaded (spaces after commas, a trailing comma).
constexpr char kDailyCsv[] =
    "Date, USD, JPY, BGN, CZK, DKK, GBP, HUF, IDR, KRW, \n"
    "04 December 2026, 1.0500, 157.52, 1.9558, 25.213, 7.4593, 0.8600, 390.45, 17000.00, "
    "1460.10, \n";

// eurofxref-hist.csv: ISO dates, N/A for a currency the ECB no longer quotes.
constexpr char kHistCsv[] =
    "Date,USD,JPY,CYP,\n"
    "2026-12-04,1.05,157.52,N/A,\n"
    "2026-12-03,1.04,156.00,N/A,\n";

// eurofxref-daily.xml.
constexpr char kDailyXml[] = R"(<?xml version="1.0" encoding="UTF-8"?>
<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
	<gesmes:subject>Reference rates</gesmes:subject>
	<gesmes:Sender><gesmes:name>European Central Bank</gesmes:name></gesmes:Sender>
	<Cube>
		<Cube time='2026-12-04'>
			<Cube currency='USD' rate='1.0500'/>
			<Cube currency='JPY' rate='157.52'/>
		</Cube>
		<Cube time='2026-12-03'>
			<Cube currency='USD' rate='1.0400'/>
		</Cube>
	</Cube>
</gesmes:Envelope>
)";

std::map<std::string, std::string> ByKey(const std::vector<RateRow>& rows) {
  std::map<std::string, std::string> out;
  for (const RateRow& r : rows) {
    out[absl::StrCat(r.currency, "@", absl::FormatTime("%Y-%m-%d", r.effective_from,
                                                       absl::UTCTimeZone()))] =
        r.rate.ToString();
  }
  return out;
}

TEST(EcbRatesTest, ReadsTheDailyCsvAndInvertsToEuroPerUnit) {
  ASSERT_OK_AND_ASSIGN(std::vector<RateRow> rows, ParseEcbRates(kDailyCsv, "EUR", "f.csv"));
  auto m = ByKey(rows);
  EXPECT_EQ(m.size(), 9u);
  EXPECT_EQ(m["USD@2026-12-04"], "0.952380952380952");  // 1/1.05 to 15 digits, half even
  EXPECT_EQ(m["JPY@2026-12-04"], "0.00634840020314881");  // 1/157.52
  // 1/17000: 14 significant digits, as the scale stops at 18 fractional digits.
  EXPECT_EQ(m["IDR@2026-12-04"], "0.000058823529411765");
  EXPECT_EQ(m["GBP@2026-12-04"], "1.16279069767442");
  EXPECT_EQ(m.count("EUR@2026-12-04"), 0u);  // the base is never a row
  for (const RateRow& r : rows) {
    EXPECT_EQ(r.effective_from, absl::FromCivil(absl::CivilDay(2026, 12, 4), absl::UTCTimeZone()));
  }
}

TEST(EcbRatesTest, ReadsTheHistoryCsvSkippingNotAvailableAndUnknownCurrencies) {
  ASSERT_OK_AND_ASSIGN(std::vector<RateRow> rows, ParseEcbRates(kHistCsv, "EUR", "h.csv"));
  auto m = ByKey(rows);
  EXPECT_EQ(m.size(), 4u) << ::testing::PrintToString(m);
  EXPECT_EQ(m["USD@2026-12-03"], "0.961538461538462");
  EXPECT_EQ(m["JPY@2026-12-03"], "0.00641025641025641");
}

TEST(EcbRatesTest, ReadsTheXmlFormat) {
  ASSERT_OK_AND_ASSIGN(std::vector<RateRow> rows, ParseEcbRates(kDailyXml, "EUR", "d.xml"));
  auto m = ByKey(rows);
  EXPECT_EQ(m.size(), 3u);
  EXPECT_EQ(m["USD@2026-12-04"], "0.952380952380952");
  EXPECT_EQ(m["USD@2026-12-03"], "0.961538461538462");
}

TEST(EcbRatesTest, ABaseOtherThanEuroGetsCrossRatesAndEuroItself) {
  ASSERT_OK_AND_ASSIGN(std::vector<RateRow> rows, ParseEcbRates(kDailyXml, "USD", "d.xml"));
  auto m = ByKey(rows);
  EXPECT_EQ(m["EUR@2026-12-04"], "1.05");
  EXPECT_EQ(m["JPY@2026-12-04"], "0.00666582021330625");  // 1.05 / 157.52
  EXPECT_EQ(m.count("USD@2026-12-04"), 0u);
}

TEST(EcbRatesTest, MalformedFilesAreRefusedNamingTheProblem) {
  EXPECT_THAT(ParseEcbRates("", "EUR", "f"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseEcbRates("currency,rate\nUSD,1\n", "EUR", "f"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("Date")));
  EXPECT_THAT(ParseEcbRates("Date,USD\n2026-13-45,1.05\n", "EUR", "f"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("line 2")));
  EXPECT_THAT(ParseEcbRates("Date,USD\n2026-12-04,-1.05\n", "EUR", "f"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("USD")));
  EXPECT_THAT(ParseEcbRates("<Cube><Cube time='2026-12-04'><Cube currency='USD' rate='x'/>",
                            "EUR", "f.xml"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("f.xml")));
  EXPECT_THAT(ParseEcbRates("<Cube><Cube time='2026-12-04'>", "EUR", "f.xml"),
              StatusIs(absl::StatusCode::kInvalidArgument));  // truncated
  EXPECT_THAT(ParseEcbRates("Date,USD\n", "EUR", "f"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no exchange rate")));
}

TEST(DivideRatesTest, RoundsHalfEvenToTheRequestedDigits) {
  auto r = [](const char* t) { return *ParseRate(t, "t"); };
  ASSERT_OK_AND_ASSIGN(DecimalRate third, DivideRates(r("1"), r("3"), 5));
  EXPECT_EQ(third.ToString(), "0.33333");
  ASSERT_OK_AND_ASSIGN(DecimalRate exact, DivideRates(r("1"), r("8"), 15));
  EXPECT_EQ(exact.ToString(), "0.125");
  ASSERT_OK_AND_ASSIGN(DecimalRate even, DivideRates(r("0.125"), r("1"), 2));
  EXPECT_EQ(even.ToString(), "0.12");  // half to even
  ASSERT_OK_AND_ASSIGN(DecimalRate big, DivideRates(r("17000"), r("1"), 15));
  EXPECT_EQ(big.ToString(), "17000");
}

}  // namespace
}  // namespace freehold::donations
