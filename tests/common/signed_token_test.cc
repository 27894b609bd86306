// Ed25519 tokens: signing, tampering, key rotation, claims expiry and audience.
#include "common/signed_token.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "common/clock.h"
#include "common/encoding.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace freehold {
namespace {

using ::freehold::testing::StatusIs;
using ::freehold::testing::TempDir;
using ::testing::HasSubstr;

SigningKey MakeKey(const std::string& id) {
  absl::StatusOr<SigningKey> key = GenerateSigningKey(id);
  EXPECT_TRUE(key.ok()) << key.status();
  return *key;
}

TEST(SignedTokenTest, VerifiesWhatItSigned) {
  TokenSigner signer(MakeKey("coord-1"));
  TokenVerifier verifier({signer.public_key()});
  const std::string token = signer.Sign(std::string("grant\0bytes", 11), "grant");
  ASSERT_OK_AND_ASSIGN(std::string payload, verifier.Verify(token, "grant"));
  EXPECT_EQ(payload, std::string("grant\0bytes", 11));
}

TEST(SignedTokenTest, RejectsTamperedPayloadOrSignature) {
  TokenSigner signer(MakeKey("k1"));
  TokenVerifier verifier({signer.public_key()});
  const std::string token = signer.Sign("size=100", "grant");
  const size_t dot1 = token.find('.');
  const size_t dot2 = token.rfind('.');
  // Replace the payload with another valid base64url payload.
  const std::string other_payload = Base64UrlEncode("size=999") + token.substr(dot1);
  EXPECT_THAT(verifier.Verify(other_payload, "grant"),
              StatusIs(absl::StatusCode::kUnauthenticated, "bad signature"));
  // Flip one bit of every signature character position in turn.
  for (size_t i = dot2 + 1; i < token.size(); i += 7) {
    std::string t = token;
    t[i] = t[i] == 'A' ? 'B' : 'A';
    EXPECT_THAT(verifier.Verify(t, "grant"), StatusIs(absl::StatusCode::kUnauthenticated))
        << "position " << i;
  }
}

TEST(SignedTokenTest, RejectsTokenForAnotherContext) {
  TokenSigner signer(MakeKey("k1"));
  TokenVerifier verifier({signer.public_key()});
  const std::string receipt = signer.Sign("shard", "receipt");
  EXPECT_THAT(verifier.Verify(receipt, "grant"),
              StatusIs(absl::StatusCode::kUnauthenticated, "bad signature"));
}

TEST(SignedTokenTest, RejectsTokenSignedByAnotherKey) {
  TokenSigner trusted(MakeKey("same-id"));
  TokenSigner attacker(MakeKey("same-id"));  // same key id, different key
  TokenSigner unknown(MakeKey("other"));
  TokenVerifier verifier({trusted.public_key()});
  EXPECT_THAT(verifier.Verify(attacker.Sign("p", "grant"), "grant"),
              StatusIs(absl::StatusCode::kUnauthenticated, "bad signature"));
  EXPECT_THAT(verifier.Verify(unknown.Sign("p", "grant"), "grant"),
              StatusIs(absl::StatusCode::kUnauthenticated, "unknown signing key"));
}

TEST(SignedTokenTest, RejectsMalformedTokens) {
  TokenSigner signer(MakeKey("k1"));
  TokenVerifier verifier({signer.public_key()});
  const std::string token = signer.Sign("p", "c");
  for (const std::string& bad :
       {std::string(""), std::string("..."), std::string("abc"), token + ".x",
        token.substr(0, token.size() - 2), std::string("a.k1.!!!"), token + "="}) {
    EXPECT_THAT(verifier.Verify(bad, "c"), StatusIs(absl::StatusCode::kUnauthenticated)) << bad;
  }
}

TEST(SignedTokenTest, RotationAcceptsOldAndNewKeys) {
  TokenSigner old_signer(MakeKey("2024-01"));
  TokenSigner new_signer(MakeKey("2024-02"));
  TokenVerifier during({old_signer.public_key(), new_signer.public_key()});
  EXPECT_OK(during.Verify(old_signer.Sign("a", "access"), "access"));
  EXPECT_OK(during.Verify(new_signer.Sign("b", "access"), "access"));
  TokenVerifier after({new_signer.public_key()});
  EXPECT_THAT(after.Verify(old_signer.Sign("a", "access"), "access"),
              StatusIs(absl::StatusCode::kUnauthenticated, "unknown signing key"));
}

TEST(SignedTokenTest, DetachedSignaturesVerify) {
  TokenSigner signer(MakeKey("node-7"));
  TokenVerifier verifier({signer.public_key()});
  DetachedSignature sig = signer.SignDetached("receipt-bytes", "receipt");
  EXPECT_EQ(sig.key_id, "node-7");
  EXPECT_EQ(sig.signature.size(), 64u);
  EXPECT_OK(verifier.VerifyDetached("receipt-bytes", "receipt", sig));
  EXPECT_THAT(verifier.VerifyDetached("receipt-bytez", "receipt", sig),
              StatusIs(absl::StatusCode::kUnauthenticated));
  sig.signature.pop_back();
  EXPECT_THAT(verifier.VerifyDetached("receipt-bytes", "receipt", sig),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST(SigningKeyTest, GeneratedKeyIdDefaultsToPublicKeyHash) {
  ASSERT_OK_AND_ASSIGN(SigningKey key, GenerateSigningKey());
  EXPECT_EQ(key.key_id.size(), 16u);
  EXPECT_TRUE(IsValidKeyId(key.key_id));
  EXPECT_THAT(GenerateSigningKey("bad id"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(SigningKeyTest, KeyFilesRoundTripWithPrivateMode) {
  TempDir dir;
  SigningKey key = MakeKey("k-file");
  const std::string secret_path = dir.File("signing.key");
  const std::string public_path = dir.File("signing.pub");
  ASSERT_OK(SaveSigningKey(key, secret_path));
  ASSERT_OK(SavePublicKey(key.Public(), public_path));
  struct stat st;
  ASSERT_EQ(::stat(secret_path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_OK_AND_ASSIGN(SigningKey loaded, LoadSigningKey(secret_path));
  EXPECT_EQ(loaded.key_id, "k-file");
  EXPECT_EQ(loaded.secret, key.secret);
  EXPECT_EQ(loaded.public_key, key.public_key);
  ASSERT_OK_AND_ASSIGN(PublicKey pub, LoadPublicKey(public_path));
  TokenVerifier verifier({pub});
  EXPECT_OK(verifier.Verify(TokenSigner(loaded).Sign("x", "c"), "c"));
}

TEST(SigningKeyTest, RejectsCorruptKeyText) {
  SigningKey key = MakeKey("k");
  std::string text = FormatSigningKey(key);
  text[text.size() - 5] = text[text.size() - 5] == 'A' ? 'B' : 'A';  // public half changes
  EXPECT_THAT(ParseSigningKey(text), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParsePublicKey("fh-ed25519-public:k:short"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(TokenVerifier::FromText({FormatPublicKey(key.Public()), "nonsense"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("#2")));
}

TokenClaims SampleClaims(absl::Time now) {
  TokenClaims c;
  c.audience = "storaged";
  c.subject = "account-123";
  c.token_id = "tok-1";
  c.issued_at = now;
  c.expires_at = now + absl::Minutes(15);
  c.scopes = {"read", "write"};
  c.extra = std::string("\x00\x01\xff", 3);
  return c;
}

TEST(ClaimsTest, EncodingIsCanonicalAndStrict) {
  const TokenClaims c = SampleClaims(absl::FromUnixSeconds(1700000000));
  const std::string bytes = EncodeClaims(c);
  ASSERT_OK_AND_ASSIGN(TokenClaims back, DecodeClaims(bytes));
  EXPECT_EQ(back, c);
  EXPECT_EQ(EncodeClaims(back), bytes);
  EXPECT_TRUE(back.HasScope("write"));
  EXPECT_FALSE(back.HasScope("admin"));
  EXPECT_THAT(DecodeClaims(bytes + "x"), StatusIs(absl::StatusCode::kInvalidArgument));
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(DecodeClaims(bytes.substr(0, n)).ok()) << n;
  }
}

TEST(ClaimsTest, AcceptsValidTokenWithinLifetime) {
  FakeClock clock;
  TokenSigner signer(MakeKey("acc-1"));
  TokenVerifier verifier({signer.public_key()});
  const std::string token = SignClaims(signer, SampleClaims(clock.Now()));
  clock.Advance(absl::Minutes(14));
  ASSERT_OK_AND_ASSIGN(TokenClaims claims, VerifyClaims(verifier, token, "storaged", clock.Now()));
  EXPECT_EQ(claims.subject, "account-123");
}

TEST(ClaimsTest, RejectsExpiredTokenAfterSkew) {
  FakeClock clock;
  TokenSigner signer(MakeKey("acc-1"));
  TokenVerifier verifier({signer.public_key()});
  const std::string token = SignClaims(signer, SampleClaims(clock.Now()));
  clock.Advance(absl::Minutes(15) + absl::Seconds(20));  // within 30 s skew
  EXPECT_OK(VerifyClaims(verifier, token, "storaged", clock.Now()));
  clock.Advance(absl::Seconds(11));
  EXPECT_THAT(VerifyClaims(verifier, token, "storaged", clock.Now()),
              StatusIs(absl::StatusCode::kUnauthenticated, "token expired"));
  EXPECT_THAT(VerifyClaims(verifier, token, "storaged", clock.Now(), absl::Minutes(5)),
              ::freehold::testing::IsOk());
}

TEST(ClaimsTest, RejectsTokenIssuedInTheFuture) {
  FakeClock clock;
  TokenSigner signer(MakeKey("acc-1"));
  TokenVerifier verifier({signer.public_key()});
  const std::string token = SignClaims(signer, SampleClaims(clock.Now() + absl::Minutes(2)));
  EXPECT_THAT(VerifyClaims(verifier, token, "storaged", clock.Now()),
              StatusIs(absl::StatusCode::kUnauthenticated, "token not yet valid"));
}

TEST(ClaimsTest, RejectsWrongAudience) {
  FakeClock clock;
  TokenSigner signer(MakeKey("acc-1"));
  TokenVerifier verifier({signer.public_key()});
  const std::string token = SignClaims(signer, SampleClaims(clock.Now()));
  EXPECT_THAT(VerifyClaims(verifier, token, "coordinator", clock.Now()),
              StatusIs(absl::StatusCode::kUnauthenticated, "wrong audience"));
}

TEST(ClaimsTest, PlainTokensAreNotClaimsTokens) {
  FakeClock clock;
  TokenSigner signer(MakeKey("acc-1"));
  TokenVerifier verifier({signer.public_key()});
  const std::string token = signer.Sign(EncodeClaims(SampleClaims(clock.Now())), "grant");
  EXPECT_THAT(VerifyClaims(verifier, token, "storaged", clock.Now()),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST(BearerTokenTest, TakesTheTokenOfABearerValue) {
  EXPECT_EQ(*BearerToken("Bearer abc.def", "missing"), "abc.def");
  EXPECT_EQ(*BearerToken("  bearer   abc  ", "missing"), "abc");
}

TEST(BearerTokenTest, RefusesMissingOtherSchemesEmptyAndOverlongTokens) {
  EXPECT_THAT(BearerToken("", "send a token"),
              StatusIs(absl::StatusCode::kUnauthenticated, "send a token"));
  EXPECT_THAT(BearerToken("Basic dXNlcjpwdw==", "m"),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("Bearer <token>")));
  EXPECT_THAT(BearerToken("Bearer    ", "m"),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("Bearer <token>")));
  EXPECT_THAT(BearerToken("Bearer " + std::string(8193, 'a'), "m"),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("8 KiB")));
}

}  // namespace
}  // namespace freehold
