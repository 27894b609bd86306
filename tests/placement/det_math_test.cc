// Deterministic math used by placement scores and effective weights.
#include "coordinator/placement/internal/det_math.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace freehold::placement::internal {
namespace {

TEST(DetMathTest, NegLogUnitMatchesLibmAcrossTheRange) {
  uint64_t x = 1;
  for (int i = 0; i < 100000; ++i) {
    x = Mix64(x + 0x9e3779b97f4a7c15ULL);
    const long double u = (static_cast<long double>(x) + 0.5L) / 18446744073709551616.0L;
    const double want = static_cast<double>(-std::log(u));
    EXPECT_NEAR(NegLogUnit(x), want, 1e-14 * want) << x;
  }
  // Extremes: best possible (u near 1) and worst (u near 0) hashes.
  EXPECT_NEAR(NegLogUnit(~0ULL), 0.5 * 0x1p-64, 1e-30);
  EXPECT_NEAR(NegLogUnit(0), 65 * std::log(2.0), 1e-12);
  EXPECT_GT(NegLogUnit(~0ULL), 0.0);
}

TEST(DetMathTest, NegLogUnitIsMonotonicallyDecreasingInTheHash) {
  uint64_t prev_h = 0;
  double prev = NegLogUnit(0);
  for (uint64_t h = 1; h < 4000; ++h) {
    const uint64_t v = h << 52;
    EXPECT_LE(NegLogUnit(v), prev) << v << " after " << prev_h;
    prev = NegLogUnit(v);
    prev_h = v;
  }
}

TEST(DetMathTest, LogAndExpMatchLibm) {
  for (double x = 1e-300; x < 1e300; x *= 1.37) {
    EXPECT_NEAR(Log(x), std::log(x), 4e-16 * std::fabs(std::log(x)) + 1e-16) << x;
  }
  for (double x = -700; x <= 0; x += 0.173) {
    EXPECT_NEAR(ExpNonPositive(x), std::exp(x), 4e-16 * std::exp(x)) << x;
  }
  EXPECT_EQ(ExpNonPositive(-800), 0.0);
  for (double x = 1e-12; x < 50; x *= 1.11) {
    EXPECT_NEAR(OneMinusExpNeg(x), -std::expm1(-x), 4e-16 * -std::expm1(-x)) << x;
  }
}

TEST(DetMathTest, HashBytesSeparatesSimilarStrings) {
  std::set<uint64_t> seen;
  const std::vector<std::string> inputs = {"",         "a",        std::string("a\0", 2),
                                           "b",        "ab",       "ba",
                                           "node-1",   "node-10",  "node-01",
                                           "12345678", "123456789"};
  for (const std::string& s : inputs) {
    EXPECT_TRUE(seen.insert(HashBytes(s, 7)).second) << s;
  }
  EXPECT_NE(HashBytes("x", 1), HashBytes("x", 2));
  // Pinned: changing the hash moves every shard in existing clusters.
  EXPECT_EQ(Mix64(1), 0x5692161d100b05e5ULL);
}

}  // namespace
}  // namespace freehold::placement::internal
