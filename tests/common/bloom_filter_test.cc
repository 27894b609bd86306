// BloomFilter: no false negatives, the false-positive rate it was sized for, the
// wire parts round-trip, and bad parts are refused naming the field.
#include "common/bloom_filter.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sodium.h>

#include <string>

#include "tests/support/status_matchers.h"

namespace freehold {
namespace {

using ::freehold::testing::StatusIs;
using ::testing::HasSubstr;

std::string Item(int i) { return "0123456789abcdef0123456789abcdef-" + std::to_string(i) + "-0"; }

TEST(BloomFilterTest, SizedForTheRequestedRate) {
  ASSERT_GE(sodium_init(), 0);
  const BloomFilter f = BloomFilter::ForCapacity(100000, 1e-3, BloomFilter::NewKey());
  // -ln(1e-3)/ln(2)^2 = 14.38 bits per item; k = 10.
  EXPECT_NEAR(static_cast<double>(f.bit_count()) / 100000, 14.38, 0.05);
  EXPECT_EQ(f.hash_count(), 10u);
  EXPECT_EQ(BloomFilter::ForCapacity(0, 1e-3, BloomFilter::NewKey()).bit_count(), 64u);
}

TEST(BloomFilterTest, NoFalseNegativesAndFalsePositivesNearTheTarget) {
  ASSERT_GE(sodium_init(), 0);
  constexpr int kItems = 50000;
  BloomFilter f = BloomFilter::ForCapacity(kItems, 1e-3, BloomFilter::NewKey());
  for (int i = 0; i < kItems; ++i) f.Add(Item(i));
  for (int i = 0; i < kItems; ++i) ASSERT_TRUE(f.MightContain(Item(i))) << i;
  int false_positives = 0;
  constexpr int kProbes = 200000;
  for (int i = kItems; i < kItems + kProbes; ++i) false_positives += f.MightContain(Item(i));
  // Expected 200; a filter 3x worse than its target fails.
  EXPECT_LT(false_positives, 600);
}

TEST(BloomFilterTest, WirePartsRoundTripAndTheKeyMatters) {
  ASSERT_GE(sodium_init(), 0);
  BloomFilter f = BloomFilter::ForCapacity(1000, 1e-3, BloomFilter::NewKey());
  for (int i = 0; i < 1000; ++i) f.Add(Item(i));
  ASSERT_OK_AND_ASSIGN(BloomFilter g, BloomFilter::FromParts(f.bits(), f.hash_count(), f.key()));
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(g.MightContain(Item(i)));
  // The same bits under another key answer differently for most members.
  ASSERT_OK_AND_ASSIGN(BloomFilter other,
                       BloomFilter::FromParts(f.bits(), f.hash_count(), BloomFilter::NewKey()));
  int kept = 0;
  for (int i = 0; i < 1000; ++i) kept += other.MightContain(Item(i));
  EXPECT_LT(kept, 100);
}

TEST(BloomFilterTest, BadPartsAreRefusedNamingTheField) {
  const std::string key(BloomFilter::kKeyBytes, 'k');
  EXPECT_THAT(BloomFilter::FromParts("", 3, key, "filter"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("filter.bits is empty")));
  EXPECT_THAT(BloomFilter::FromParts("abcd", 0, key, "filter"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("filter.hash_count is 0")));
  EXPECT_THAT(BloomFilter::FromParts("abcd", 31, key, "filter"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("filter.hash_count is 31")));
  EXPECT_THAT(BloomFilter::FromParts("abcd", 3, "short", "filter"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("filter.hash_key is 5 bytes")));
  EXPECT_THAT(BloomFilter::FromParts(std::string(BloomFilter::kMaxBytes + 1, '\0'), 3, key),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("filter.bits is")));
}

}  // namespace
}  // namespace freehold
