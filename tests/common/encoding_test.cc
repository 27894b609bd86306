// Hex / base64 helpers and constant-time comparison.
#include "common/encoding.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/secure_compare.h"
#include "tests/support/status_matchers.h"

namespace freehold {
namespace {

using ::freehold::testing::StatusIs;

TEST(EncodingTest, HexRoundTripsAllBytes) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  const std::string hex = HexEncode(all);
  EXPECT_EQ(hex.substr(0, 8), "00010203");
  ASSERT_OK_AND_ASSIGN(std::string back, HexDecode(hex));
  EXPECT_EQ(back, all);
  ASSERT_OK_AND_ASSIGN(std::string upper, HexDecode("ABcd"));
  EXPECT_EQ(upper, "\xab\xcd");
  EXPECT_EQ(HexEncode(""), "");
}

TEST(EncodingTest, HexRejectsMalformed) {
  EXPECT_THAT(HexDecode("abc"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(HexDecode("zz"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(EncodingTest, Base64UrlUsesUrlAlphabetWithoutPadding) {
  EXPECT_EQ(Base64UrlEncode("\xfb\xff"), "-_8");
  EXPECT_EQ(Base64Encode("\xfb\xff"), "+/8=");
  ASSERT_OK_AND_ASSIGN(std::string a, Base64UrlDecode("-_8"));
  EXPECT_EQ(a, "\xfb\xff");
  ASSERT_OK_AND_ASSIGN(std::string b, Base64UrlDecode("-_8="));
  EXPECT_EQ(b, "\xfb\xff");
  ASSERT_OK_AND_ASSIGN(std::string c, Base64Decode("+/8="));
  EXPECT_EQ(c, "\xfb\xff");
  EXPECT_THAT(Base64UrlDecode("+/8"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Base64UrlDecode("a b"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(EncodingTest, Base64RoundTripsEveryLength) {
  std::string data;
  for (int n = 0; n < 70; ++n) {
    ASSERT_OK_AND_ASSIGN(std::string url, Base64UrlDecode(Base64UrlEncode(data)));
    EXPECT_EQ(url, data);
    ASSERT_OK_AND_ASSIGN(std::string std, Base64Decode(Base64Encode(data)));
    EXPECT_EQ(std, data);
    data.push_back(static_cast<char>(n * 37));
  }
}

TEST(SecureCompareTest, ComparesContentAndLength) {
  EXPECT_TRUE(SecureEquals("abc", "abc"));
  EXPECT_TRUE(SecureEquals("", ""));
  EXPECT_FALSE(SecureEquals("abc", "abd"));
  EXPECT_FALSE(SecureEquals("abc", "abcd"));
  EXPECT_FALSE(SecureEquals(std::string("a\0b", 3), std::string("a\0c", 3)));
}

TEST(SecureCompareTest, SecureZeroWipesBuffer) {
  std::string secret = "hunter2hunter2hunter2";
  const char* data = secret.data();
  const size_t cap = secret.capacity();
  SecureZero(secret);
  EXPECT_TRUE(secret.empty());
  for (size_t i = 0; i < cap; ++i) EXPECT_EQ(data[i], '\0');
}

TEST(SecureCompareTest, RandomBytesDiffer) {
  const std::string a = RandomBytes(32);
  const std::string b = RandomBytes(32);
  EXPECT_EQ(a.size(), 32u);
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace freehold
