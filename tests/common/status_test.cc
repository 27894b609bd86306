// Status macros and absl <-> gRPC status mapping.
#include "common/status.h"

#include <gmock/gmock.h>
#include <grpcpp/support/status.h>
#include <gtest/gtest.h>

#include "common/grpc_status.h"
#include "tests/support/status_matchers.h"

namespace freehold {
namespace {

using ::freehold::testing::StatusIs;
using ::testing::HasSubstr;

TEST(GrpcStatusTest, MapsEveryCodeOneToOneExceptUnknown) {
  for (int c = 1; c <= 16; ++c) {
    if (c == static_cast<int>(absl::StatusCode::kUnknown)) continue;
    const absl::Status s(static_cast<absl::StatusCode>(c), "why " + std::to_string(c));
    const grpc::Status g = ToGrpcStatus(s);
    EXPECT_EQ(static_cast<int>(g.error_code()), c);
    EXPECT_EQ(g.error_message(), "why " + std::to_string(c));
    EXPECT_EQ(FromGrpcStatus(g), s);
  }
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
  EXPECT_TRUE(FromGrpcStatus(grpc::Status::OK).ok());
}

TEST(GrpcStatusTest, LongMessagesAreCutSoTheyFitInTrailers) {
  // A message that echoes a 10 MB identifier would overflow gRPC's metadata limit and
  // reach the caller as RESOURCE_EXHAUSTED: the wire message is bounded.
  const std::string huge(10 << 20, 'x');
  const grpc::Status g = ToGrpcStatus(absl::NotFoundError("node " + huge + " is not registered"));
  EXPECT_EQ(g.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_LE(g.error_message().size(), kMaxStatusMessageBytes);
  EXPECT_THAT(g.error_message(), ::testing::StartsWith("node xxx"));
  EXPECT_THAT(g.error_message(), ::testing::EndsWith("(truncated)"));
  // Never cut inside a UTF-8 sequence.
  std::string accents;
  while (accents.size() < 3 * kMaxStatusMessageBytes) accents += "\xc3\xa9";
  const std::string cut = ToGrpcStatus(absl::InvalidArgumentError(accents)).error_message();
  const std::string kept = cut.substr(0, cut.size() - std::string(" ... (truncated)").size());
  EXPECT_EQ(kept.size() % 2, 0u);
  EXPECT_EQ(kept, accents.substr(0, kept.size()));
  // Short messages are untouched.
  EXPECT_EQ(ToGrpcStatus(absl::NotFoundError("node n1 is not registered")).error_message(),
            "node n1 is not registered");
}

TEST(GrpcStatusTest, UnknownBecomesInternalWithMessage) {
  const grpc::Status g = ToGrpcStatus(absl::UnknownError("disk said no"));
  EXPECT_EQ(g.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_EQ(g.error_message(), "disk said no");
}

TEST(GrpcStatusTest, CodeNamesAreCanonical) {
  EXPECT_EQ(GrpcCodeName(grpc::StatusCode::OK), "OK");
  EXPECT_EQ(GrpcCodeName(grpc::StatusCode::INVALID_ARGUMENT), "INVALID_ARGUMENT");
  EXPECT_EQ(GrpcCodeName(grpc::StatusCode::RESOURCE_EXHAUSTED), "RESOURCE_EXHAUSTED");
  EXPECT_EQ(GrpcCodeName(grpc::StatusCode::UNAUTHENTICATED), "UNAUTHENTICATED");
}

absl::Status FailIf(bool fail) {
  return fail ? absl::NotFoundError("missing thing") : absl::OkStatus();
}

absl::StatusOr<int> Number(bool fail) {
  if (fail) return absl::InvalidArgumentError("number: bad");
  return 42;
}

absl::StatusOr<int> UsesMacros(bool fail_first, bool fail_second) {
  FH_RETURN_IF_ERROR(FailIf(fail_first));
  FH_RETURN_IF_ERROR(Number(false));  // StatusOr also accepted
  FH_ASSIGN_OR_RETURN(int n, Number(fail_second));
  FH_ASSIGN_OR_RETURN(n, Number(false));  // reassign an existing variable
  return n + 1;
}

TEST(StatusMacrosTest, PropagateErrorsAndValues) {
  EXPECT_THAT(UsesMacros(true, false), StatusIs(absl::StatusCode::kNotFound, "missing thing"));
  EXPECT_THAT(UsesMacros(false, true),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("number")));
  ASSERT_OK_AND_ASSIGN(int v, UsesMacros(false, false));
  EXPECT_EQ(v, 43);
}

TEST(StatusMacrosTest, AnnotatePrefixesErrorsOnly) {
  EXPECT_OK(Annotate(absl::OkStatus(), "ctx"));
  EXPECT_THAT(Annotate(absl::NotFoundError("gone"), "shard 7"),
              StatusIs(absl::StatusCode::kNotFound, "shard 7: gone"));
}

TEST(StatusMatchersTest, MatchersDetectFailures) {
  EXPECT_FALSE(::testing::Matches(::freehold::testing::IsOk())(absl::InternalError("x")));
  EXPECT_FALSE(::testing::Matches(StatusIs(absl::StatusCode::kNotFound))(absl::OkStatus()));
  EXPECT_FALSE(
      ::testing::Matches(StatusIs(absl::StatusCode::kNotFound, "a"))(absl::NotFoundError("b")));
}

}  // namespace
}  // namespace freehold
