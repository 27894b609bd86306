// Exact decimal rates, banker's rounding and the rate-table rule.
#include "services/donations/core/exchange_rate.h"

#include <gtest/gtest.h>

#include "tests/support/status_matchers.h"

namespace freehold::donations {
namespace {

using freehold::testing::StatusIs;

DecimalRate Rate(const char* text) {
  absl::StatusOr<DecimalRate> r = ParseRate(text, "rate");
  EXPECT_TRUE(r.ok()) << text << ": " << r.status();
  return r.value_or(DecimalRate::One());
}

TEST(ParseRateTest, KeepsExactDecimalsInCanonicalForm) {
  EXPECT_EQ(Rate("1.0842").ToString(), "1.0842");
  EXPECT_EQ(Rate("1.50").ToString(), "1.5");
  EXPECT_EQ(Rate("0.006170").ToString(), "0.00617");
  EXPECT_EQ(Rate("3").ToString(), "3");
  EXPECT_EQ(Rate("3.").ToString(), "3");
  EXPECT_EQ(Rate(".25").ToString(), "0.25");
  EXPECT_EQ(Rate("0.000000000000000001").ToString(), "0.000000000000000001");
}

TEST(ParseRateTest, RejectsWhatIsNotAPositivePlainDecimal) {
  for (const char* bad : {"", "0", "0.000", "-1", "1e3", "1,5", "1.2.3", ".", "abc",
                          "1234567890123456789", "0.0000000000000000001", " 1"}) {
    EXPECT_THAT(
        ParseRate(bad, "rates[0].rate_to_base"),
        StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("rates[0].rate_to_base")))
        << "\"" << bad << "\"";
  }
}

TEST(ConvertToBaseTest, ScalesBetweenCurrencyDigits) {
  // 1000 JPY at 0.00617 EUR/JPY = 6.17 EUR.
  EXPECT_EQ(*ConvertToBase(1000, 0, Rate("0.00617"), 2), 617);
  // 5.120 KWD at 2.98 EUR/KWD = 15.2576 EUR -> 15.26.
  EXPECT_EQ(*ConvertToBase(5120, 3, Rate("2.98"), 2), 1526);
  // 20.00 USD at 0.92 = 18.40 EUR.
  EXPECT_EQ(*ConvertToBase(2000, 2, Rate("0.92"), 2), 1840);
  // Into a zero-decimal base: 10.00 EUR at 162.5 JPY/EUR = 1625 JPY.
  EXPECT_EQ(*ConvertToBase(1000, 2, Rate("162.5"), 0), 1625);
  EXPECT_EQ(*ConvertToBase(1234, 2, DecimalRate::One(), 2), 1234);
}

TEST(ConvertToBaseTest, RoundsHalfToEven) {
  // 0.5 -> 0, 1.5 -> 2, 2.5 -> 2, 3.5 -> 4 (minor units), both signs.
  const DecimalRate half = Rate("0.5");
  EXPECT_EQ(*ConvertToBase(1, 2, half, 2), 0);
  EXPECT_EQ(*ConvertToBase(3, 2, half, 2), 2);
  EXPECT_EQ(*ConvertToBase(5, 2, half, 2), 2);
  EXPECT_EQ(*ConvertToBase(7, 2, half, 2), 4);
  EXPECT_EQ(*ConvertToBase(-5, 2, half, 2), -2);
  EXPECT_EQ(*ConvertToBase(-7, 2, half, 2), -4);
  // Not a tie: 0.51 rounds up.
  EXPECT_EQ(*ConvertToBase(1, 2, Rate("0.51"), 2), 1);
  // Three-decimal to two-decimal tie: 0.005 EUR -> 0.00, 0.015 -> 0.02.
  EXPECT_EQ(*ConvertToBase(5, 3, DecimalRate::One(), 2), 0);
  EXPECT_EQ(*ConvertToBase(15, 3, DecimalRate::One(), 2), 2);
}

TEST(ConvertToBaseTest, RefusesAbsurdAmounts) {
  EXPECT_THAT(ConvertToBase(kMaxAmountMinor + 1, 2, DecimalRate::One(), 2),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_OK(ConvertToBase(kMaxAmountMinor, 3, Rate("0.5"), 2));
  EXPECT_THAT(ConvertToBase(kMaxAmountMinor, 0, Rate("999999"), 3),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("64 bits")));
}

TEST(RatesCsvTest, ParsesRowsHeaderCommentsAndDates) {
  ASSERT_OK_AND_ASSIGN(auto rows, ParseRatesCsv("currency,rate,effective_from\n"
                                                "# ECB reference rates\n"
                                                "usd,0.92,2024-01-01\n"
                                                "\n"
                                                "JPY, 0.00617 ,2024-02-01T00:00:00Z\n"
                                                "EUR,1,2020-01-01\n",
                                                "EUR"));
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].currency, "USD");
  EXPECT_EQ(rows[0].rate.ToString(), "0.92");
  EXPECT_EQ(rows[0].effective_from, absl::FromUnixSeconds(1704067200));
  EXPECT_EQ(rows[1].currency, "JPY");
  EXPECT_EQ(rows[1].effective_from, absl::FromUnixSeconds(1706745600));
}

TEST(RatesCsvTest, NamesTheBadLine) {
  EXPECT_THAT(ParseRatesCsv("USD,0.92,2024-01-01\nXXX,1,2024-01-01\n", "EUR"),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("line 2")));
  EXPECT_THAT(ParseRatesCsv("USD,0.92\n", "EUR"),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("line 1")));
  EXPECT_THAT(ParseRatesCsv("USD,zero,2024-01-01\n", "EUR"),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("line 1")));
  EXPECT_THAT(ParseRatesCsv("USD,1,yesterday\n", "EUR"),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("line 1")));
  EXPECT_THAT(ParseRatesCsv("EUR,1.1,2024-01-01\n", "EUR"),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("base currency")));
}

TEST(SelectRateTest, LatestEffectiveFromNotAfterTheEventApplies) {
  ASSERT_OK_AND_ASSIGN(auto rows, ParseRatesCsv("USD,0.90,2024-01-01\n"
                                                "USD,0.95,2024-03-01\n"
                                                "USD,0.93,2024-02-01\n",
                                                "EUR"));
  auto at = [](const char* date) {
    absl::Time t;
    std::string err;
    EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, date, &t, &err)) << err;
    return t;
  };
  EXPECT_FALSE(SelectRate(rows, "USD", at("2023-12-31T23:59:59Z"), "EUR").has_value());
  EXPECT_EQ(SelectRate(rows, "USD", at("2024-01-01T00:00:00Z"), "EUR")->ToString(), "0.9");
  EXPECT_EQ(SelectRate(rows, "USD", at("2024-02-15T00:00:00Z"), "EUR")->ToString(), "0.93");
  EXPECT_EQ(SelectRate(rows, "USD", at("2024-03-01T00:00:00Z"), "EUR")->ToString(), "0.95");
  EXPECT_EQ(SelectRate(rows, "USD", at("2030-01-01T00:00:00Z"), "EUR")->ToString(), "0.95");
  EXPECT_FALSE(SelectRate(rows, "GBP", at("2024-03-01T00:00:00Z"), "EUR").has_value());
  // The base currency always has rate 1, with or without rows.
  EXPECT_EQ(*SelectRate(rows, "EUR", at("1999-01-01T00:00:00Z"), "EUR"), DecimalRate::One());
}

}  // namespace
}  // namespace freehold::donations
