// Password strength (zxcvbn), key fingerprints, recovery proofs and the choice of
// Argon2id parameters for new wrappings (client/core).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sodium.h>

#include "client/core/account_keys.h"
#include "client/core/key_fingerprint.h"
#include "client/core/keys.h"
#include "client/core/password_strength.h"

namespace freehold::client {
namespace {

using ::testing::HasSubstr;

TEST(PasswordStrengthTest, WeakPasswordsAreRefusedSayingWhy) {
  absl::Status common = CheckPasswordStrength("password1", {"alice"});
  EXPECT_EQ(common.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(common.message(), HasSubstr("common words"));
  absl::Status handle = CheckPasswordStrength("alice1987alice", {"alice1987"});
  EXPECT_THAT(handle.message(), HasSubstr("your handle"));
  EXPECT_THAT(CheckPasswordStrength("zxcvbnm,./", {}).message(), HasSubstr("keyboard"));
  EXPECT_THAT(CheckPasswordStrength("Xy7!", {}).message(), HasSubstr("too short"));
  EXPECT_THAT(CheckPasswordStrength("password1", {}).message(), HasSubstr("10^12"));
}

TEST(PasswordStrengthTest, LongUnrelatedWordsAndRandomPasswordsPass) {
  EXPECT_TRUE(CheckPasswordStrength("correct horse battery staple", {"alice"}).ok());
  EXPECT_TRUE(CheckPasswordStrength("N7v-pL2q-9xWr", {"alice"}).ok());
  EXPECT_GE(EstimatePassword("walnut-Orbit-57 lantern", {}).bits, kMinPasswordBits);
}

TEST(KeyFingerprintTest, TwelveGroupsOfFiveDigitsStablePerKey) {
  X25519Identity a = GenerateIdentity(), b = GenerateIdentity();
  const std::string fa = KeyFingerprint(a.public_key());
  EXPECT_EQ(fa.size(), 71u);
  EXPECT_EQ(fa, KeyFingerprint(a.public_key()));
  EXPECT_NE(fa, KeyFingerprint(b.public_key()));
  for (size_t i = 0; i < fa.size(); ++i) {
    if (i % 6 == 5) {
      EXPECT_EQ(fa[i], ' ');
    } else {
      EXPECT_TRUE(fa[i] >= '0' && fa[i] <= '9') << fa;
    }
  }
  std::string typed = fa;
  for (char& c : typed) if (c == ' ') c = '-';
  EXPECT_TRUE(FingerprintMatches(typed, fa));
  EXPECT_FALSE(FingerprintMatches(KeyFingerprint(b.public_key()), fa));
  EXPECT_FALSE(FingerprintMatches("", fa));
}

TEST(RecoveryProofTest, ClientProofEqualsTheServerSideComputation) {
  X25519Identity id = GenerateIdentity();
  X25519Identity eph = GenerateIdentity();
  const std::vector<uint8_t> challenge(32, 7);
  absl::StatusOr<std::vector<uint8_t>> proof = RecoveryProof(id, eph.Recipient(), challenge);
  ASSERT_TRUE(proof.ok()) << proof.status();
  // The server's side: X25519(ephemeral secret, account public key).
  uint8_t shared[32];
  ASSERT_EQ(crypto_scalarmult(shared, eph.secret().data(), id.public_key().bytes.data()), 0);
  uint8_t expected[32];
  crypto_generichash(expected, 32, challenge.data(), challenge.size(), shared, 32);
  EXPECT_EQ(*proof, std::vector<uint8_t>(expected, expected + 32));
  EXPECT_FALSE(RecoveryProof(id, "age1notakey", challenge).ok());
}

TEST(NewPwhashParamsTest, ModerateFloorUnlessWeakAllowedAndNeverWeakerThanCurrent) {
  const PwhashParams moderate = PwhashParams::Moderate();
  PwhashParams p = ChooseNewPwhashParams(PwhashParams::Interactive(), {0, 0}, false);
  EXPECT_EQ(p.opslimit, moderate.opslimit);
  EXPECT_EQ(p.memlimit, moderate.memlimit);
  p = ChooseNewPwhashParams({2, 8192}, {1, 8192}, true);
  EXPECT_EQ(p.opslimit, 2u);
  EXPECT_EQ(p.memlimit, 8192u);
  p = ChooseNewPwhashParams({3, 256ull << 20}, {4, 512ull << 20}, false);  // keep stronger
  EXPECT_EQ(p.opslimit, 4u);
  EXPECT_EQ(p.memlimit, 512ull << 20);
  p = ChooseNewPwhashParams({100, 1ull << 40}, {0, 0}, false);  // beyond the caps
  EXPECT_EQ(p.opslimit, moderate.opslimit);
  EXPECT_TRUE(PwhashWeakerThan({2, 64ull << 20}, moderate));
  EXPECT_FALSE(PwhashWeakerThan(moderate, moderate));
}

}  // namespace
}  // namespace freehold::client
