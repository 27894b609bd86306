// The shared signing key set file (services/accounts/core/signing_key_set.h) and the
// live keys built from it: which key signs when, rotation and pruning, refusals.
#include "services/accounts/core/signing_key_set.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "absl/strings/str_cat.h"
#include "services/accounts/core/live_token_keys.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace freehold::accounts {
namespace {

using ::freehold::testing::StatusIs;
using ::testing::HasSubstr;

const absl::Time kT0 = absl::FromUnixSeconds(1800000000);

TEST(SigningKeySetTest, RotationPublishesAheadSignsLaterAndPrunesAfterTheLifetime) {
  const RotationPolicy policy{absl::Minutes(2), absl::Minutes(20)};
  ASSERT_OK_AND_ASSIGN(SigningKeySet set, RotateSigningKeySet({}, kT0, policy));
  ASSERT_EQ(set.keys.size(), 1u);
  EXPECT_EQ(set.keys[0].signs_from, kT0);  // the first key signs at once
  const std::string k1 = set.keys[0].key.key_id;

  ASSERT_OK_AND_ASSIGN(set, RotateSigningKeySet(set, kT0 + absl::Hours(1), policy));
  ASSERT_EQ(set.keys.size(), 2u);
  const std::string k2 = set.keys[0].key.key_id;
  EXPECT_EQ(set.keys[1].key.key_id, k1);
  // Published at once, signing after the activation delay.
  EXPECT_EQ(set.SignerAt(kT0 + absl::Hours(1)).key.key_id, k1);
  EXPECT_EQ(set.SignerAt(kT0 + absl::Hours(1) + absl::Minutes(2)).key.key_id, k2);
  TokenKeySnapshot snapshot(set);
  EXPECT_EQ(snapshot.SignerAt(kT0 + absl::Hours(1)).key_id(), k1);
  EXPECT_EQ(snapshot.SignerAt(kT0 + absl::Hours(2)).key_id(), k2);
  ASSERT_EQ(snapshot.public_keys().size(), 2u);
  EXPECT_OK(snapshot.verifier()
                .Verify(snapshot.SignerAt(kT0 + absl::Hours(1)).Sign("x", "c"), "c")
                .status());

  // k1 stopped signing at 1h02m: kept until 1h22m, pruned after.
  const absl::Time retired = set.keys[0].signs_from;
  EXPECT_EQ(PruneSigningKeySet(set, retired + absl::Minutes(19), policy).keys.size(), 2u);
  SigningKeySet pruned = PruneSigningKeySet(set, retired + absl::Minutes(20), policy);
  ASSERT_EQ(pruned.keys.size(), 1u);
  EXPECT_EQ(pruned.keys[0].key.key_id, k2);
  // A rotation prunes too, never the key it retires.
  ASSERT_OK_AND_ASSIGN(SigningKeySet next,
                       RotateSigningKeySet(set, retired + absl::Hours(1), policy));
  ASSERT_EQ(next.keys.size(), 2u);
  EXPECT_EQ(next.keys[1].key.key_id, k2);
}

TEST(SigningKeySetTest, FileRoundTripsWithMode0600AndParsingRefusesBadSets) {
  freehold::testing::TempDir dir;
  ASSERT_OK_AND_ASSIGN(SigningKeySet set, RotateSigningKeySet({}, kT0, {}));
  ASSERT_OK_AND_ASSIGN(set, RotateSigningKeySet(set, kT0 + absl::Seconds(1), {}));
  const std::string path = dir.File("keys");
  ASSERT_OK(WriteSigningKeySetFile(set, path));
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_OK_AND_ASSIGN(SigningKeySet back, ReadSigningKeySetFile(path));
  ASSERT_EQ(back.keys.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(back.keys[i].key.key_id, set.keys[i].key.key_id);
    EXPECT_EQ(back.keys[i].key.secret, set.keys[i].key.secret);
    EXPECT_EQ(back.keys[i].signs_from, set.keys[i].signs_from);
  }

  const std::string text = FormatSigningKeySet(set);
  SigningKeySet reversed{{set.keys[1], set.keys[0]}};
  EXPECT_THAT(ParseSigningKeySet(FormatSigningKeySet(reversed), "f"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("newest first")));
  SigningKeySet twice{{set.keys[0], set.keys[0]}};
  twice.keys[1].signs_from -= absl::Hours(1);
  EXPECT_THAT(ParseSigningKeySet(FormatSigningKeySet(twice), "f"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("twice")));
  EXPECT_THAT(ParseSigningKeySet("# nothing\n", "f"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no key")));
  EXPECT_THAT(ParseSigningKeySet("fh-ed25519-secret:a:AAAA signs-from=2026-01-01T00:00:00Z", "f"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("f line 1")));
  const std::string no_time = FormatSigningKey(set.keys[0].key);
  absl::StatusOr<SigningKeySet> r = ParseSigningKeySet(no_time, "f");
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("signs-from")));
  // Errors never carry the key.
  EXPECT_THAT(std::string(r.status().message()), Not(HasSubstr(no_time.substr(20))));
  // Other users must not read it.
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  EXPECT_THAT(ReadSigningKeySetFile(path), StatusIs(absl::StatusCode::kPermissionDenied));
}

}  // namespace
}  // namespace freehold::accounts
