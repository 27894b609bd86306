// gtest helpers for absl::Status / absl::StatusOr<T>.
//
//   EXPECT_OK(store.Put(...));
//   ASSERT_OK_AND_ASSIGN(auto claims, VerifyClaims(...));
//   EXPECT_THAT(result, StatusIs(absl::StatusCode::kNotFound, HasSubstr("shard")));
//   EXPECT_THAT(result, IsOk());
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace freehold::testing {
namespace internal {
inline const absl::Status& AsStatus(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& AsStatus(const absl::StatusOr<T>& s) {
  return s.status();
}
}  // namespace internal

// Matches an OK absl::Status or absl::StatusOr<T>.
MATCHER(IsOk, "is OK") {
  const absl::Status& s = ::freehold::testing::internal::AsStatus(arg);
  if (!s.ok()) *result_listener << "status is " << s;
  return s.ok();
}

// Matches a Status/StatusOr with `code`.
MATCHER_P(StatusIs, code, "status code is " + ::testing::PrintToString(absl::StatusCode(code))) {
  const absl::Status& s = ::freehold::testing::internal::AsStatus(arg);
  *result_listener << "status is " << s;
  return s.code() == code;
}

// Matches a Status/StatusOr with `code` and a message matching `message_matcher`
// (a string or a matcher such as HasSubstr("...")).
MATCHER_P2(StatusIs, code, message_matcher,
           "status code is " + ::testing::PrintToString(absl::StatusCode(code))) {
  const absl::Status& s = ::freehold::testing::internal::AsStatus(arg);
  *result_listener << "status is " << s;
  return s.code() == code &&
         ::testing::Matcher<std::string>(message_matcher).Matches(std::string(s.message()));
}

}  // namespace freehold::testing

#define EXPECT_OK(expr) EXPECT_THAT((expr), ::freehold::testing::IsOk())
#define ASSERT_OK(expr) ASSERT_THAT((expr), ::freehold::testing::IsOk())

#define FH_TEST_CONCAT_INNER_(a, b) a##b
#define FH_TEST_CONCAT_(a, b) FH_TEST_CONCAT_INNER_(a, b)
// `ASSERT_OK_AND_ASSIGN(auto v, MakeThing());` fails the test (returning from it) if the
// StatusOr is not OK, else moves the value into `lhs`.
#define ASSERT_OK_AND_ASSIGN(lhs, expr) \
  FH_TEST_AOA_IMPL_(FH_TEST_CONCAT_(fh_test_statusor_, __LINE__), lhs, expr)
#define FH_TEST_AOA_IMPL_(tmp, lhs, expr)                         \
  auto tmp = (expr);                                              \
  ASSERT_TRUE(tmp.ok()) << #expr << " returned " << tmp.status(); \
  lhs = std::move(tmp).value()
