// Account identity keys, Argon2id key derivation and the wrapped identity.
#include "client/core/keys.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sodium.h>

#include "client/core/account_keys.h"
#include "tests/client_core/test_util.h"
#include "tests/support/status_matchers.h"

namespace freehold::client {
namespace {

using ::freehold::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

// From the C2SP age test vectors.
constexpr std::string_view kVectorIdentity =
    "AGE-SECRET-KEY-1EGTZVFFV20835NWYV6270LXYVK2VKNX2MMDKWYKLMGR48UAWX40Q2P2LM0";

TEST(IdentityTest, GeneratedIdentityRoundTripsThroughItsEncodings) {
  X25519Identity id = GenerateIdentity();
  SecretBytes enc = id.Encode();
  EXPECT_TRUE(enc.view().starts_with("AGE-SECRET-KEY-1"));
  EXPECT_EQ(enc.size(), 74u);
  ASSERT_OK_AND_ASSIGN(X25519Identity back, ParseIdentity(enc.view()));
  EXPECT_EQ(back.public_key(), id.public_key());
  std::string r = id.Recipient();
  EXPECT_TRUE(r.starts_with("age1"));
  EXPECT_EQ(r.size(), 62u);
  ASSERT_OK_AND_ASSIGN(X25519PublicKey pub, ParseRecipient(r));
  EXPECT_EQ(pub, id.public_key());
  EXPECT_EQ(EncodeRecipient(pub), r);
}

TEST(IdentityTest, TwoGeneratedIdentitiesDiffer) {
  EXPECT_NE(GenerateIdentity().public_key(), GenerateIdentity().public_key());
}

TEST(IdentityTest, MatchesAgeKeygenPublicKey) {
  testing::TempDir dir;
  testing::WriteFile(dir.File("key"), std::string(kVectorIdentity) + "\n");
  std::string out;
  if (testing::RunCommand("age-keygen -y " + dir.File("key") + " 2>/dev/null", &out) != 0) {
    GTEST_SKIP() << "age-keygen not available";
  }
  while (!out.empty() && out.back() == '\n') out.pop_back();
  ASSERT_OK_AND_ASSIGN(X25519Identity id, ParseIdentity(kVectorIdentity));
  EXPECT_EQ(id.Recipient(), out);
  EXPECT_EQ(id.Encode().view(), kVectorIdentity);
}

TEST(IdentityTest, RejectsMalformedKeys) {
  std::string good(kVectorIdentity);
  std::string flipped = good;
  flipped[30] = flipped[30] == 'Q' ? 'P' : 'Q';
  EXPECT_THAT(ParseIdentity(flipped), StatusIs(absl::StatusCode::kInvalidArgument));
  std::string lower = good;
  for (char& c : lower) c = static_cast<char>(std::tolower(c));
  EXPECT_THAT(ParseIdentity(lower), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseIdentity(""), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseIdentity(" " + good), StatusIs(absl::StatusCode::kInvalidArgument));
  X25519Identity id = GenerateIdentity();
  // A recipient is not an identity and vice versa.
  EXPECT_THAT(ParseIdentity(id.Recipient()), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseRecipient(good), StatusIs(absl::StatusCode::kInvalidArgument));
  std::string upper = id.Recipient();
  for (char& c : upper) c = static_cast<char>(std::toupper(c));
  EXPECT_THAT(ParseRecipient(upper), StatusIs(absl::StatusCode::kInvalidArgument));
  // The error message never echoes the secret.
  absl::Status s = ParseIdentity(flipped).status();
  EXPECT_THAT(std::string(s.message()), Not(HasSubstr(flipped.substr(16, 20))));
}

TEST(DeriveKeysTest, MatchesRawArgon2idSplitAndIsDeterministic) {
  auto salt = GeneratePasswordSalt();
  PwhashParams p = PwhashParams::MinimumForTests();
  ASSERT_OK_AND_ASSIGN(DerivedKeys a, DeriveKeys("correct horse", salt, p));
  ASSERT_OK_AND_ASSIGN(DerivedKeys b, DeriveKeys("correct horse", salt, p));
  EXPECT_TRUE(a.kek.Equals(b.kek));
  EXPECT_TRUE(a.auth_key.Equals(b.auth_key));
  EXPECT_FALSE(a.kek.Equals(a.auth_key));
  uint8_t raw[64];
  ASSERT_EQ(crypto_pwhash(raw, 64, "correct horse", 13, salt.data(), p.opslimit, p.memlimit,
                          crypto_pwhash_ALG_ARGON2ID13),
            0);
  EXPECT_TRUE(a.kek.Equals(SecretBytes::CopyOf(std::span<const uint8_t>(raw, 32))));
  EXPECT_TRUE(a.auth_key.Equals(SecretBytes::CopyOf(std::span<const uint8_t>(raw + 32, 32))));
}

TEST(DeriveKeysTest, DifferentPasswordSaltOrParamsGiveDifferentKeys) {
  auto salt = GeneratePasswordSalt();
  auto salt2 = GeneratePasswordSalt();
  PwhashParams p = PwhashParams::MinimumForTests();
  ASSERT_OK_AND_ASSIGN(DerivedKeys a, DeriveKeys("pw", salt, p));
  ASSERT_OK_AND_ASSIGN(DerivedKeys b, DeriveKeys("pw2", salt, p));
  ASSERT_OK_AND_ASSIGN(DerivedKeys c, DeriveKeys("pw", salt2, p));
  ASSERT_OK_AND_ASSIGN(DerivedKeys d, DeriveKeys("pw", salt, PwhashParams{2, 8192}));
  EXPECT_FALSE(a.kek.Equals(b.kek));
  EXPECT_FALSE(a.kek.Equals(c.kek));
  EXPECT_FALSE(a.kek.Equals(d.kek));
}

TEST(DeriveKeysTest, RejectsBadSaltAndParameters) {
  std::vector<uint8_t> short_salt(15);
  EXPECT_THAT(DeriveKeys("pw", short_salt, PwhashParams::MinimumForTests()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("salt")));
  auto salt = GeneratePasswordSalt();
  EXPECT_THAT(DeriveKeys("pw", salt, PwhashParams{0, 8192}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("opslimit")));
  EXPECT_THAT(DeriveKeys("pw", salt, PwhashParams{1, 100}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("memlimit")));
  EXPECT_THAT(DeriveKeys("pw", salt, PwhashParams{1, kMaxMemlimit + 1}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("memlimit")));
  EXPECT_THAT(CheckPwhashStrength(PwhashParams::MinimumForTests()),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_OK(CheckPwhashStrength(PwhashParams::Interactive()));
  EXPECT_OK(CheckPwhashStrength(PwhashParams::Moderate()));
}

TEST(WrappedIdentityTest, UnwrapsWithTheRightPasswordOnly) {
  auto salt = GeneratePasswordSalt();
  PwhashParams p = PwhashParams::MinimumForTests();
  ASSERT_OK_AND_ASSIGN(DerivedKeys keys, DeriveKeys("hunter2", salt, p));
  X25519Identity id = GenerateIdentity();
  ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> wrapped, WrapIdentity(keys.kek, id));
  EXPECT_EQ(wrapped.size(), kWrappedIdentityBytes);
  ASSERT_OK_AND_ASSIGN(X25519Identity back, UnwrapIdentity(keys.kek, wrapped));
  EXPECT_EQ(back.public_key(), id.public_key());

  ASSERT_OK_AND_ASSIGN(DerivedKeys wrong, DeriveKeys("hunter3", salt, p));
  EXPECT_THAT(UnwrapIdentity(wrong.kek, wrapped), StatusIs(absl::StatusCode::kPermissionDenied));
  // The auth key is not the kek.
  EXPECT_THAT(UnwrapIdentity(keys.auth_key, wrapped),
              StatusIs(absl::StatusCode::kPermissionDenied));
  for (size_t i = 0; i < wrapped.size(); ++i) {
    std::vector<uint8_t> bad = wrapped;
    bad[i] ^= 0x40;
    EXPECT_THAT(UnwrapIdentity(keys.kek, bad), StatusIs(absl::StatusCode::kPermissionDenied));
  }
  wrapped.pop_back();
  EXPECT_THAT(UnwrapIdentity(keys.kek, wrapped), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(WrappedIdentityTest, WrappingTwiceUsesFreshNonces) {
  SecretBytes kek = SecretBytes::Random(32);
  X25519Identity id = GenerateIdentity();
  ASSERT_OK_AND_ASSIGN(auto a, WrapIdentity(kek, id));
  ASSERT_OK_AND_ASSIGN(auto b, WrapIdentity(kek, id));
  EXPECT_NE(a, b);
}

TEST(WrappedIdentityTest, PasswordChangeRewrapsAndRecoveryKeyRestoresAccess) {
  PwhashParams p = PwhashParams::MinimumForTests();
  auto salt1 = GeneratePasswordSalt();
  ASSERT_OK_AND_ASSIGN(DerivedKeys k1, DeriveKeys("old password", salt1, p));
  X25519Identity id = GenerateIdentity();
  SecretBytes recovery = id.Encode();
  ASSERT_OK_AND_ASSIGN(auto wrapped1, WrapIdentity(k1.kek, id));

  // Password change: new salt, new keys, same identity.
  auto salt2 = GeneratePasswordSalt();
  ASSERT_OK_AND_ASSIGN(DerivedKeys k2, DeriveKeys("new password", salt2, p));
  ASSERT_OK_AND_ASSIGN(auto wrapped2, RewrapIdentity(k1.kek, k2.kek, wrapped1));
  ASSERT_OK_AND_ASSIGN(X25519Identity after, UnwrapIdentity(k2.kek, wrapped2));
  EXPECT_EQ(after.public_key(), id.public_key());
  EXPECT_FALSE(UnwrapIdentity(k1.kek, wrapped2).ok());
  EXPECT_FALSE(k1.auth_key.Equals(k2.auth_key));

  // Forgotten password: the recovery key alone re-establishes a wrapped identity.
  ASSERT_OK_AND_ASSIGN(X25519Identity restored, ParseIdentity(recovery.view()));
  auto salt3 = GeneratePasswordSalt();
  ASSERT_OK_AND_ASSIGN(DerivedKeys k3, DeriveKeys("third password", salt3, p));
  ASSERT_OK_AND_ASSIGN(auto wrapped3, WrapIdentity(k3.kek, restored));
  ASSERT_OK_AND_ASSIGN(X25519Identity again, UnwrapIdentity(k3.kek, wrapped3));
  EXPECT_EQ(again.public_key(), id.public_key());
}

TEST(SecretBytesTest, MoveLeavesSourceEmptyAndEqualsIsByValue) {
  SecretBytes a = SecretBytes::Random(32);
  SecretBytes copy = a.Clone();
  SecretBytes b = std::move(a);
  EXPECT_EQ(a.size(), 0u);  // NOLINT(bugprone-use-after-move): checks the contract
  EXPECT_TRUE(b.Equals(copy));
  copy.data()[0] ^= 1;
  EXPECT_FALSE(b.Equals(copy));
}

}  // namespace
}  // namespace freehold::client
