// Parsing and validation of the cost model config file.
#include "billing-free/cost_model.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace freehold::funding {
namespace {

using ::testing::HasSubstr;

constexpr const char* kGoodConfig = R"(# Freehold cost model
currency = EUR
cost_per_tib_month_minor = 1200   # 12.00 EUR per TiB-month of raw disk

  fixed_monthly_minor=150000
default_raw_overhead = 1.25
)";

TEST(CostModelTest, ParsesKeysCommentsAndWhitespace) {
  absl::StatusOr<CostModel> model = ParseCostModel(kGoodConfig, "cost.conf");
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ(model->currency, "EUR");
  EXPECT_EQ(model->cost_per_tib_month_minor, 1200);
  EXPECT_EQ(model->fixed_monthly_minor, 150000);
  EXPECT_DOUBLE_EQ(model->default_raw_overhead, 1.25);
}

TEST(CostModelTest, DefaultOverheadIsOptional) {
  absl::StatusOr<CostModel> model =
      ParseCostModel("currency = JPY\ncost_per_tib_month_minor = 1500\nfixed_monthly_minor = 0\n");
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ(model->fixed_monthly_minor, 0);
  EXPECT_DOUBLE_EQ(model->default_raw_overhead, 1.5);
}

TEST(CostModelTest, ShippedExampleParses) {
  std::ifstream file(FREEHOLD_COST_MODEL_EXAMPLE);
  ASSERT_TRUE(file) << FREEHOLD_COST_MODEL_EXAMPLE;
  std::stringstream text;
  text << file.rdbuf();
  absl::StatusOr<CostModel> model = ParseCostModel(text.str(), FREEHOLD_COST_MODEL_EXAMPLE);
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ(model->currency, "EUR");
  EXPECT_EQ(model->cost_per_tib_month_minor, 1200);
  EXPECT_EQ(model->fixed_monthly_minor, 150000);
}

TEST(CostModelTest, FormatRoundTrips) {
  CostModel model{"KWD", 4321, 98765, 1.1};
  absl::StatusOr<CostModel> parsed = ParseCostModel(FormatCostModel(model));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->currency, model.currency);
  EXPECT_EQ(parsed->cost_per_tib_month_minor, model.cost_per_tib_month_minor);
  EXPECT_EQ(parsed->fixed_monthly_minor, model.fixed_monthly_minor);
  EXPECT_EQ(parsed->default_raw_overhead, model.default_raw_overhead);
}

struct BadConfigCase {
  const char* text;
  const char* expected_message_part;
};

class CostModelErrorTest : public ::testing::TestWithParam<BadConfigCase> {};

TEST_P(CostModelErrorTest, NamesTheBadLineAndField) {
  absl::StatusOr<CostModel> model = ParseCostModel(GetParam().text, "cost.conf");
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(model.status().message()), HasSubstr(GetParam().expected_message_part));
}

INSTANTIATE_TEST_SUITE_P(
    BadConfigs, CostModelErrorTest,
    ::testing::Values(
        BadConfigCase{"currency = EUR\ncost_per_tib_month_minor = 12.5\nfixed_monthly_minor = 1\n",
                      "cost.conf:2: cost_per_tib_month_minor: expected a whole number"},
        BadConfigCase{"currency = EUR\ncost_per_tib_month_minor = 10\nfixed_monthly_minor = -1\n",
                      "cost.conf:3: fixed_monthly_minor: expected a whole number"},
        BadConfigCase{"currency = eur\n", "cost.conf:1: currency: expected an ISO 4217 code"},
        BadConfigCase{"currency = EUR\ncost_per_tib = 10\n",
                      "cost.conf:2: unknown key 'cost_per_tib'"},
        BadConfigCase{"currency = EUR\ncurrency = USD\n", "cost.conf:2: currency: repeated key"},
        BadConfigCase{"\n\ncurrency EUR\n", "cost.conf:3: expected 'key = value'"},
        BadConfigCase{"currency =\n", "cost.conf:1: currency: missing value"},
        BadConfigCase{" = 5\n", "cost.conf:1: missing key"},
        BadConfigCase{"currency = EUR\nfixed_monthly_minor = 1\n",
                      "cost.conf: missing key cost_per_tib_month_minor"},
        BadConfigCase{"currency = EUR\ncost_per_tib_month_minor = 0\nfixed_monthly_minor = 1\n",
                      "cost.conf: cost_per_tib_month_minor: must be in 1.."},
        BadConfigCase{"currency = EUR\ncost_per_tib_month_minor = 99999999999999999999\n",
                      "cost.conf:2: cost_per_tib_month_minor: expected a whole number"},
        BadConfigCase{"currency = EUR\ncost_per_tib_month_minor = 1\nfixed_monthly_minor = 1\n"
                      "default_raw_overhead = 0.5\n",
                      "cost.conf: default_raw_overhead: must be a ratio in [1, 1000]"},
        BadConfigCase{"default_raw_overhead = 1.5x\n",
                      "cost.conf:1: default_raw_overhead: expected a decimal ratio"}));

TEST(CostModelTest, ValidateNamesField) {
  absl::Status status = ValidateCostModel(CostModel{"EUR", 10, -5, 1.5});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("fixed_monthly_minor"));
  EXPECT_TRUE(ValidateCostModel(CostModel{"EUR", 10, 0, 1.0}).ok());
}

}  // namespace
}  // namespace freehold::funding
