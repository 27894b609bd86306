// The currency table: one test per entry, against an independent expectation list
// (Stripe's documented exponents), plus formatting.
#include "services/donations/core/currency.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "tests/support/status_matchers.h"

namespace freehold::donations {
namespace {

struct Expected {
  const char* code;
  int digits;
};

// Written out by hand from https://docs.stripe.com/currencies (zero-decimal and
// three-decimal lists); everything else two.
const std::vector<Expected>& ExpectedTable() {
  static const auto* const table = new std::vector<Expected>{
      {"BIF", 0}, {"CLP", 0}, {"DJF", 0}, {"GNF", 0}, {"JPY", 0}, {"KMF", 0}, {"KRW", 0},
      {"MGA", 0}, {"PYG", 0}, {"RWF", 0}, {"UGX", 0}, {"VND", 0}, {"VUV", 0}, {"XAF", 0},
      {"XOF", 0}, {"XPF", 0}, {"BHD", 3}, {"JOD", 3}, {"KWD", 3}, {"OMR", 3}, {"TND", 3},
      {"AED", 2}, {"AFN", 2}, {"ALL", 2}, {"AMD", 2}, {"ANG", 2}, {"AOA", 2}, {"ARS", 2},
      {"AUD", 2}, {"AWG", 2}, {"AZN", 2}, {"BAM", 2}, {"BBD", 2}, {"BDT", 2}, {"BGN", 2},
      {"BMD", 2}, {"BND", 2}, {"BOB", 2}, {"BRL", 2}, {"BSD", 2}, {"BTN", 2}, {"BWP", 2},
      {"BYN", 2}, {"BZD", 2}, {"CAD", 2}, {"CDF", 2}, {"CHF", 2}, {"CNY", 2}, {"COP", 2},
      {"CRC", 2}, {"CVE", 2}, {"CZK", 2}, {"DKK", 2}, {"DOP", 2}, {"DZD", 2}, {"EGP", 2},
      {"ETB", 2}, {"EUR", 2}, {"FJD", 2}, {"FKP", 2}, {"GBP", 2}, {"GEL", 2}, {"GIP", 2},
      {"GMD", 2}, {"GTQ", 2}, {"GYD", 2}, {"HKD", 2}, {"HNL", 2}, {"HTG", 2}, {"HUF", 2},
      {"IDR", 2}, {"ILS", 2}, {"INR", 2}, {"ISK", 2}, {"JMD", 2}, {"KES", 2}, {"KGS", 2},
      {"KHR", 2}, {"KYD", 2}, {"KZT", 2}, {"LAK", 2}, {"LBP", 2}, {"LKR", 2}, {"LRD", 2},
      {"LSL", 2}, {"MAD", 2}, {"MDL", 2}, {"MKD", 2}, {"MMK", 2}, {"MNT", 2}, {"MOP", 2},
      {"MUR", 2}, {"MVR", 2}, {"MWK", 2}, {"MXN", 2}, {"MYR", 2}, {"MZN", 2}, {"NAD", 2},
      {"NGN", 2}, {"NIO", 2}, {"NOK", 2}, {"NPR", 2}, {"NZD", 2}, {"PAB", 2}, {"PEN", 2},
      {"PGK", 2}, {"PHP", 2}, {"PKR", 2}, {"PLN", 2}, {"QAR", 2}, {"RON", 2}, {"RSD", 2},
      {"RUB", 2}, {"SAR", 2}, {"SBD", 2}, {"SCR", 2}, {"SEK", 2}, {"SGD", 2}, {"SHP", 2},
      {"SLE", 2}, {"SOS", 2}, {"SRD", 2}, {"STD", 2}, {"SZL", 2}, {"THB", 2}, {"TJS", 2},
      {"TOP", 2}, {"TRY", 2}, {"TTD", 2}, {"TWD", 2}, {"TZS", 2}, {"UAH", 2}, {"USD", 2},
      {"UYU", 2}, {"UZS", 2}, {"WST", 2}, {"XCD", 2}, {"YER", 2}, {"ZAR", 2}, {"ZMW", 2}};
  return *table;
}

class CurrencyEntryTest : public ::testing::TestWithParam<Expected> {};

TEST_P(CurrencyEntryTest, HasStripeExponent) {
  const Expected& e = GetParam();
  std::optional<int> digits = MinorDigits(e.code);
  ASSERT_TRUE(digits.has_value()) << e.code << " missing from the table";
  EXPECT_EQ(*digits, e.digits) << e.code;
  // Lower case as Stripe sends it normalizes to the code.
  std::string lower = e.code;
  for (char& c : lower) c = static_cast<char>(c - 'A' + 'a');
  ASSERT_OK_AND_ASSIGN(std::string normalized, NormalizeCurrency(lower, "currency"));
  EXPECT_EQ(normalized, e.code);
}

INSTANTIATE_TEST_SUITE_P(AllCurrencies, CurrencyEntryTest, ::testing::ValuesIn(ExpectedTable()),
                         [](const ::testing::TestParamInfo<Expected>& info) {
                           return std::string(info.param.code);
                         });

TEST(CurrencyTableTest, ContainsExactlyTheExpectedCodes) {
  std::set<std::string> expected;
  for (const Expected& e : ExpectedTable()) expected.insert(e.code);
  std::set<std::string> actual;
  for (const CurrencyInfo& c : KnownCurrencies()) actual.insert(std::string(c.code));
  EXPECT_EQ(actual, expected);
  EXPECT_EQ(KnownCurrencies().size(), ExpectedTable().size()) << "duplicate entries";
}

TEST(CurrencyTableTest, SixteenZeroDecimalAndFiveThreeDecimal) {
  int zero = 0, three = 0;
  for (const CurrencyInfo& c : KnownCurrencies()) {
    zero += c.minor_digits == 0;
    three += c.minor_digits == 3;
  }
  EXPECT_EQ(zero, 16);
  EXPECT_EQ(three, 5);
}

TEST(CurrencyTableTest, RejectsUnknownAndMalformedCodes) {
  EXPECT_THAT(NormalizeCurrency("xxx", "data.object.currency"),
              testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                ::testing::HasSubstr("data.object.currency")));
  EXPECT_FALSE(NormalizeCurrency("", "c").ok());
  EXPECT_FALSE(NormalizeCurrency("euro", "c").ok());
  EXPECT_FALSE(MinorDigits("eur").has_value()) << "lookup is by upper-case code";
}

TEST(FormatMinorTest, UsesTheCurrencyDigits) {
  EXPECT_EQ(FormatMinor(1000, 0), "1000");   // 1000 JPY is a thousand yen
  EXPECT_EQ(FormatMinor(5120, 3), "5.120");  // 5.120 dinars
  EXPECT_EQ(FormatMinor(1234, 2), "12.34");
  EXPECT_EQ(FormatMinor(5, 2), "0.05");
  EXPECT_EQ(FormatMinor(-5, 3), "-0.005");
  EXPECT_EQ(FormatMinor(0, 2), "0.00");
  EXPECT_EQ(FormatMinor(INT64_MIN, 2), "-92233720368547758.08");
}

}  // namespace
}  // namespace freehold::donations
