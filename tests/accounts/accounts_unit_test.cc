// Unit tests of accounts_core pieces that need no database: input rules, age recipients,
// server crypto, fair-use limits, token keys and access tokens.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "client/core/internal/encoding.h"
#include "client/core/keys.h"
#include "common/clock.h"
#include "common/encoding.h"
#include "common/signed_token.h"
#include "services/accounts/core/account_crypto.h"
#include "services/accounts/core/fair_use_limiter.h"
#include "services/accounts/core/token_issuer.h"
#include "services/accounts/core/token_keyring.h"
#include "services/accounts/core/validation.h"
#include "services/accounts/grpc/accounts_grpc_service.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace freehold::accounts {
namespace {

using ::freehold::testing::StatusIs;
using ::testing::HasSubstr;

// Bech32 of raw bytes, to build recipients with the wrong HRP or length.
std::string Bech32(std::string_view hrp, const std::string& bytes) {
  return client::internal::Bech32Encode(
      hrp, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()),
      false);
}

TEST(HandleTest, FoldsCaseAndAcceptsAllowedCharacters) {
  ASSERT_OK_AND_ASSIGN(std::string h, NormalizeHandle("Alice.Smith_2-x"));
  EXPECT_EQ(h, "alice.smith_2-x");
  EXPECT_OK(NormalizeHandle("abc"));
  EXPECT_OK(NormalizeHandle(std::string(32, 'a')));
}

TEST(HandleTest, RejectsMalformedHandlesNamingTheField) {
  for (const std::string& bad :
       {std::string(""), std::string("ab"), std::string(33, 'a'), std::string("al ice"),
        std::string("alice!"), std::string("al/ice"), std::string("al\nice"),
        std::string("\xe2\x84\xaa"
                    "elvin"),  // KELVIN SIGN must not fold to 'k'
        std::string("al\0ice", 6), std::string("caf\xc3\xa9")}) {
    EXPECT_THAT(NormalizeHandle(bad),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("handle")))
        << bad;
  }
}

TEST(KdfTest, EnforcesProductionBoundsAndAllowsWeakOnlyWhenAsked) {
  const KdfBounds prod = KdfBounds::Production();
  EXPECT_OK(ValidateKdf({2, 19ull << 20, "argon2id13"}, prod));
  EXPECT_OK(ValidateKdf({3, 256ull << 20, "argon2id13"}, prod));
  EXPECT_THAT(ValidateKdf({1, 64ull << 20, "argon2id13"}, prod),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("kdf.ops_limit")));
  EXPECT_THAT(ValidateKdf({2, 8192, "argon2id13"}, prod),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("kdf.mem_limit_bytes")));
  EXPECT_THAT(ValidateKdf({2, 2ull << 30, "argon2id13"}, prod),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("kdf.mem_limit_bytes")));
  EXPECT_THAT(ValidateKdf({2, 64ull << 20, "argon2i13"}, prod),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("kdf.algorithm")));
  EXPECT_OK(ValidateKdf({1, 8192, "argon2id13"}, KdfBounds::Weak()));
  EXPECT_THAT(ValidateKdf({0, 8192, "argon2id13"}, KdfBounds::Weak()),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(AgeRecipientTest, AcceptsWhatClientCoreGeneratesAndRoundTrips) {
  client::X25519Identity id = client::X25519Identity::Generate();
  ASSERT_OK_AND_ASSIGN(auto key, ParseAgeRecipient(id.Recipient()));
  EXPECT_EQ(key, id.public_key().bytes);
  EXPECT_EQ(FormatAgeRecipient(key), id.Recipient());
}

TEST(AgeRecipientTest, AcceptsTheAgeSpecTestVector) {
  // From age's documentation (age-keygen example).
  EXPECT_OK(ParseAgeRecipient("age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"));
}

TEST(AgeRecipientTest, RejectsMalformedRecipients) {
  client::X25519Identity id = client::X25519Identity::Generate();
  std::string good = id.Recipient();
  std::string flipped = good;
  flipped[10] = flipped[10] == 'q' ? 'p' : 'q';
  std::string upper = good;
  for (char& c : upper) c = static_cast<char>(std::toupper(c));
  std::string mixed = good;  // one letter of the data part upper-cased
  const size_t letter = mixed.find_first_not_of("0123456789", 4);
  mixed[letter] = static_cast<char>(std::toupper(mixed[letter]));
  // Right checksum, wrong HRP.
  std::string other_hrp = Bech32("agx", std::string(32, '\x07'));
  // 31-byte payload.
  std::string short_key = Bech32("age", std::string(31, '\x07'));
  for (const std::string& bad :
       {std::string(""), std::string("age1"), flipped, upper, mixed, other_hrp, short_key,
        good + "q", std::string(62, 'a'), std::string("ssh-ed25519 AAAA")}) {
    EXPECT_THAT(ParseAgeRecipient(bad),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("public_key")))
        << bad;
  }
  EXPECT_THAT(ParseAgeRecipient(Bech32("age", std::string(32, '\0'))),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("all-zero")));
}

TEST(FieldTest, RejectsOversizedAndControlCharacterFields) {
  EXPECT_OK(ValidateContact(""));
  EXPECT_OK(ValidateContact("alice@example.org"));
  EXPECT_OK(ValidateDeviceName("Alice's phone \xf0\x9f\x93\xb1"));
  EXPECT_THAT(ValidateContact(std::string(257, 'a')),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("contact")));
  EXPECT_THAT(ValidateDeviceName(std::string(65, 'a')),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("device_name")));
  EXPECT_THAT(ValidateDeviceName("a\x1b[31mred"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("device_name")));
  EXPECT_THAT(ValidateDeviceName("\xc0\xaf"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateWrappedIdentity(std::string(513, 'x'), "wrapped_identity"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("wrapped_identity")));
  EXPECT_THAT(ValidateFixedBytes(std::string(31, 'x'), 32, "auth_key"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("auth_key")));
}

TEST(UuidTest, GeneratesCanonicalVersion4) {
  const std::string id = NewUuid();
  EXPECT_OK(ValidateUuid(id, "id"));
  EXPECT_EQ(id[14], '4');
  EXPECT_NE(id, NewUuid());
  EXPECT_THAT(ValidateUuid("not-a-uuid", "session_id"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("session_id")));
}

TEST(UuidTest, TimeOrderedIdsAreVersion7AndSortByTime) {
  const absl::Time t = absl::FromUnixMillis(1700000000123);
  const std::string a = NewTimeOrderedUuid(t);
  const std::string b = NewTimeOrderedUuid(t + absl::Milliseconds(1));
  EXPECT_OK(ValidateUuid(a, "id"));
  EXPECT_EQ(a[14], '7');
  EXPECT_TRUE(a[19] == '8' || a[19] == '9' || a[19] == 'a' || a[19] == 'b');
  EXPECT_EQ(a.substr(0, 13), "018bcfe5-687b");  // 1700000000123 ms = 0x018bcfe5687b
  EXPECT_LT(a, b);
  EXPECT_NE(a, NewTimeOrderedUuid(t));  // 74 random bits
}

TEST(PepperTest, VerifierAndFakeSaltDependOnThePepper) {
  ASSERT_OK_AND_ASSIGN(Pepper a, Pepper::FromSecret(std::string(64, 'a')));
  ASSERT_OK_AND_ASSIGN(Pepper b, Pepper::FromSecret(std::string(64, 'b')));
  const std::string key(32, 'k');
  EXPECT_EQ(a.Verifier(key).size(), 32u);
  EXPECT_EQ(a.Verifier(key), a.Verifier(key));
  EXPECT_NE(a.Verifier(key), b.Verifier(key));
  EXPECT_NE(a.Verifier(key), a.Verifier(std::string(32, 'l')));
  EXPECT_EQ(a.FakeSalt("alice").size(), 16u);
  EXPECT_EQ(a.FakeSalt("alice"), a.FakeSalt("alice"));
  EXPECT_NE(a.FakeSalt("alice"), a.FakeSalt("bob"));
  EXPECT_NE(a.FakeSalt("alice"), b.FakeSalt("alice"));
  EXPECT_THAT(Pepper::FromSecret("short"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(RecoveryProofTest, ClientAndServerComputeTheSameProof) {
  ASSERT_OK_AND_ASSIGN(Pepper pepper, Pepper::FromSecret(std::string(40, 'p')));
  client::X25519Identity id = client::X25519Identity::Generate();
  const std::string challenge(32, 'c');
  std::array<uint8_t, 32> eph = pepper.RecoveryEphemeralSecret(challenge);
  std::array<uint8_t, 32> id_secret;
  std::copy(id.secret().begin(), id.secret().end(), id_secret.begin());
  ASSERT_OK_AND_ASSIGN(std::string server, RecoveryProof(eph, id.public_key().bytes, challenge));
  ASSERT_OK_AND_ASSIGN(std::string client, RecoveryProof(id_secret, X25519Public(eph), challenge));
  EXPECT_EQ(server, client);
  // Another identity gives another proof.
  client::X25519Identity other = client::X25519Identity::Generate();
  ASSERT_OK_AND_ASSIGN(std::string wrong, RecoveryProof(eph, other.public_key().bytes, challenge));
  EXPECT_NE(server, wrong);
  // Low-order point rejected.
  EXPECT_THAT(RecoveryProof(eph, std::array<uint8_t, 32>{}, challenge),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

class FairUseLimiterTest : public ::testing::Test {
 protected:
  FairUseConfig Config() {
    FairUseConfig c;
    c.login_free_failures_per_account = 3;
    c.login_free_failures_per_address = 10;
    c.login_backoff_base = absl::Seconds(1);
    c.login_backoff_max = absl::Seconds(10);
    c.registrations_per_address_per_hour = 2;
    return c;
  }
  FakeClock clock_;
};

TEST_F(FairUseLimiterTest, BacksOffExponentiallyAfterFreeFailuresAndResetsOnSuccess) {
  FairUseLimiter limiter(Config(), clock_);
  for (int i = 0; i < 3; ++i) {
    ASSERT_OK(limiter.CheckLogin("alice", "10.0.0.1"));
    limiter.RecordLoginFailure("alice", "10.0.0.1");
  }
  EXPECT_OK(limiter.CheckLogin("alice", "10.0.0.1"));  // 3 free failures used, no delay yet
  limiter.RecordLoginFailure("alice", "10.0.0.1");     // 4th: 1 s
  absl::Status s = limiter.CheckLogin("alice", "10.0.0.2");
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("retry in 1000 ms")));
  EXPECT_EQ(RetryAfter(s), absl::Seconds(1));
  EXPECT_OK(limiter.CheckLogin("bob", "10.0.0.2"));  // other handle, other address
  clock_.Advance(absl::Seconds(1));
  EXPECT_OK(limiter.CheckLogin("alice", "10.0.0.1"));
  limiter.RecordLoginFailure("alice", "10.0.0.1");  // 5th: 2 s
  EXPECT_EQ(RetryAfter(limiter.CheckLogin("alice", "")), absl::Seconds(2));
  for (int i = 0; i < 10; ++i) limiter.RecordLoginFailure("alice", "");
  EXPECT_EQ(RetryAfter(limiter.CheckLogin("alice", "")), absl::Seconds(10));  // capped
  limiter.RecordLoginSuccess("alice");
  EXPECT_OK(limiter.CheckLogin("alice", "10.0.0.9"));
}

TEST_F(FairUseLimiterTest, LimitsFailuresPerAddressAcrossHandles) {
  FairUseLimiter limiter(Config(), clock_);
  for (int i = 0; i < 11; ++i) {
    limiter.RecordLoginFailure(absl::StrCat("user", i), "10.0.0.1");
  }
  EXPECT_THAT(limiter.CheckLogin("someone-new", "10.0.0.1"),
              StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_OK(limiter.CheckLogin("someone-new", "10.0.0.2"));
}

TEST_F(FairUseLimiterTest, ForgetsFailuresAfterTheMemoryWindow) {
  FairUseLimiter limiter(Config(), clock_);
  for (int i = 0; i < 3; ++i) limiter.RecordLoginFailure("alice", "");
  clock_.Advance(absl::Hours(2));
  limiter.RecordLoginFailure("alice", "");  // count restarts at 1: no delay
  EXPECT_OK(limiter.CheckLogin("alice", ""));
}

TEST_F(FairUseLimiterTest, CapsRegistrationsPerAddressPerHour) {
  FairUseLimiter limiter(Config(), clock_);
  EXPECT_OK(limiter.AcquireRegistration("10.0.0.1"));
  EXPECT_OK(limiter.AcquireRegistration("10.0.0.1"));
  absl::Status s = limiter.AcquireRegistration("10.0.0.1");
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kResourceExhausted));
  ASSERT_TRUE(RetryAfter(s).has_value());
  EXPECT_NEAR(absl::ToDoubleSeconds(*RetryAfter(s)), 1800, 1);
  EXPECT_OK(limiter.AcquireRegistration("10.0.0.2"));
  clock_.Advance(absl::Minutes(30));
  EXPECT_OK(limiter.AcquireRegistration("10.0.0.1"));
}

TEST_F(FairUseLimiterTest, BoundsMemory) {
  FairUseConfig c = Config();
  c.max_tracked_keys = 100;
  FairUseLimiter limiter(c, clock_);
  for (int i = 0; i < 1000; ++i) {
    limiter.RecordLoginFailure(absl::StrCat("user", i),
                               absl::StrCat("10.0.", i / 256, ".", i % 256));
    clock_.Advance(absl::Milliseconds(1));
  }
  // The newest entries survive: user999 has 1 failure (< free), still allowed.
  EXPECT_OK(limiter.CheckLogin("user999", ""));
}

TEST(TokenKeyringTest, CreatesRotatesAndPrunesKeys) {
  freehold::testing::TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto ring, TokenKeyring::OpenOrCreate(dir.path()));
  ASSERT_EQ(ring->public_keys().size(), 1u);
  const std::string first = ring->signer().key_id();
  struct stat st;
  ASSERT_EQ(::stat((dir.path() + "/token-keys/" + first + ".key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0077, 0u);
  // Reopening keeps the same key.
  ASSERT_OK_AND_ASSIGN(auto again, TokenKeyring::OpenOrCreate(dir.path()));
  EXPECT_EQ(again->signer().key_id(), first);

  ASSERT_OK_AND_ASSIGN(std::string second, TokenKeyring::Rotate(dir.path(), 2));
  ASSERT_OK_AND_ASSIGN(std::string third, TokenKeyring::Rotate(dir.path(), 2));
  ASSERT_OK_AND_ASSIGN(auto rotated, TokenKeyring::OpenOrCreate(dir.path()));
  EXPECT_EQ(rotated->signer().key_id(), third);
  ASSERT_EQ(rotated->public_keys().size(), 2u);
  EXPECT_EQ(rotated->public_keys()[0].key_id, third);
  EXPECT_EQ(rotated->public_keys()[1].key_id, second);
  // Pruned keys stop verifying; the previous key (still kept) verifies.
  std::string token = again->signer().Sign("x", "ctx");
  EXPECT_THAT(rotated->verifier().Verify(token, "ctx"),
              StatusIs(absl::StatusCode::kUnauthenticated));  // `first` was pruned
  std::string token2 =
      TokenSigner(*LoadSigningKey(dir.path() + "/token-keys/" + second + ".key")).Sign("y", "ctx");
  EXPECT_OK(rotated->verifier().Verify(token2, "ctx"));
  EXPECT_THAT(TokenKeyring::Rotate(dir.path(), 1), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(VerificationKeysTest, FormatsAndParsesTheBriefFormat) {
  ASSERT_OK_AND_ASSIGN(SigningKey a, GenerateSigningKey("key-a"));
  ASSERT_OK_AND_ASSIGN(SigningKey b, GenerateSigningKey("key-b"));
  const std::string text = FormatVerificationKeys({a.Public(), b.Public()});
  EXPECT_THAT(text, ::testing::StartsWith("ed25519 key-a "));
  ASSERT_OK_AND_ASSIGN(auto parsed, ParseVerificationKeys("# comment\n\n" + text));
  ASSERT_EQ(parsed.size(), 2u);
  EXPECT_EQ(parsed[0].key_id, "key-a");
  EXPECT_EQ(parsed[0].key, a.public_key);
  EXPECT_EQ(parsed[1].key, b.public_key);
  EXPECT_THAT(ParseVerificationKeys("ed25519 key-a AAAA\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("line 1")));
  EXPECT_THAT(ParseVerificationKeys("rsa key-a AAAA\n"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

class TokenIssuerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    key_ = *GenerateSigningKey("current");
    other_ = *GenerateSigningKey("attacker");
    signer_ = std::make_unique<TokenSigner>(key_);
    verifier_ = TokenVerifier({key_.Public()});
    issuer_ = std::make_unique<TokenIssuer>(*signer_, verifier_, options_);
  }
  AccountsOptions options_;
  SigningKey key_, other_;
  std::unique_ptr<TokenSigner> signer_;
  TokenVerifier verifier_;
  std::unique_ptr<TokenIssuer> issuer_;
  const absl::Time now_ = absl::FromUnixSeconds(1700000000);
  const std::string account_ = NewUuid(), session_ = NewUuid();
};

TEST_F(TokenIssuerTest, IssuesTokensOtherServicesCanVerify) {
  IssuedTokens t = issuer_->Issue(account_, session_, now_);
  EXPECT_EQ(t.tokens.access_expires_at, now_ + absl::Minutes(15));
  ASSERT_OK_AND_ASSIGN(AuthContext auth, issuer_->VerifyAccessToken(t.tokens.access_token, now_));
  EXPECT_EQ(auth.account_id, account_);
  EXPECT_EQ(auth.session_id, session_);
  // What storage/coordinator do: generic claims verification with the public key.
  ASSERT_OK_AND_ASSIGN(TokenClaims c,
                       VerifyClaims(verifier_, t.tokens.access_token, "freehold", now_));
  EXPECT_EQ(c.subject, account_);
  EXPECT_TRUE(c.HasScope("storage"));
  // Refresh token: session id + 32 random bytes, stored only hashed.
  ASSERT_OK_AND_ASSIGN(DecodedRefreshToken d,
                       TokenIssuer::DecodeRefreshToken(t.tokens.refresh_token));
  EXPECT_EQ(d.raw.size(), kRefreshTokenBytes);
  EXPECT_EQ(d.session_id, session_);
  EXPECT_EQ(HashRefreshToken(d.raw), t.refresh_hash);
  // Two tokens for one session differ in their secret part.
  IssuedTokens again = issuer_->NewRefreshToken(session_, now_);
  EXPECT_NE(again.tokens.refresh_token, t.tokens.refresh_token);
  EXPECT_NE(again.refresh_hash, t.refresh_hash);
}

TEST_F(TokenIssuerTest, RejectsExpiredForgedAlteredAndWrongAudienceTokens) {
  IssuedTokens t = issuer_->Issue(account_, session_, now_);
  EXPECT_THAT(issuer_->VerifyAccessToken(t.tokens.access_token, now_ + absl::Minutes(16)),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("expired")));

  TokenClaims claims;
  claims.audience = "freehold";
  claims.subject = account_;
  claims.extra = session_;
  claims.issued_at = now_;
  claims.expires_at = now_ + absl::Minutes(5);
  // Signed by a key the service does not trust, even under the trusted key id.
  SigningKey impostor = other_;
  impostor.key_id = "current";
  EXPECT_THAT(issuer_->VerifyAccessToken(SignClaims(TokenSigner(impostor), claims), now_),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(issuer_->VerifyAccessToken(SignClaims(TokenSigner(other_), claims), now_),
              StatusIs(absl::StatusCode::kUnauthenticated));
  // Altered payload: another subject spliced in under the original signature.
  std::string good = SignClaims(*signer_, claims);
  TokenClaims evil = claims;
  evil.subject = NewUuid();
  std::string forged = SignClaims(*signer_, evil);
  std::string spliced = forged.substr(0, forged.find('.')) + good.substr(good.find('.'));
  EXPECT_THAT(issuer_->VerifyAccessToken(spliced, now_),
              StatusIs(absl::StatusCode::kUnauthenticated));
  // Wrong audience.
  TokenClaims storaged = claims;
  storaged.audience = "storaged";
  EXPECT_THAT(issuer_->VerifyAccessToken(SignClaims(*signer_, storaged), now_),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("audience")));
  // Right key and audience but not an accounts token (no session id).
  TokenClaims no_session = claims;
  no_session.extra = "";
  EXPECT_THAT(issuer_->VerifyAccessToken(SignClaims(*signer_, no_session), now_),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(issuer_->VerifyAccessToken("garbage", now_),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST(RefreshTokenTest, RejectsMalformedRefreshTokens) {
  EXPECT_THAT(TokenIssuer::DecodeRefreshToken(""), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(TokenIssuer::DecodeRefreshToken("!!!"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(TokenIssuer::DecodeRefreshToken(Base64UrlEncode("short")),
              StatusIs(absl::StatusCode::kUnauthenticated));
  // The 32-byte format of earlier versions (no session id) is refused.
  EXPECT_THAT(TokenIssuer::DecodeRefreshToken(Base64UrlEncode(std::string(32, 'x'))),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(TokenIssuer::DecodeRefreshToken(std::string(200, 'A')),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(PeerAddressTest, StripsPortsAndBrackets) {
  EXPECT_EQ(PeerAddress("ipv4:127.0.0.1:5555"), "127.0.0.1");
  EXPECT_EQ(PeerAddress("ipv6:[::1]:5555"), "::1");
  EXPECT_EQ(PeerAddress("ipv6:[2001:db8::7]:1"), "2001:db8::7");
  EXPECT_EQ(PeerAddress("unix:/tmp/sock"), "unix");
  EXPECT_EQ(PeerAddress("weird"), "weird");
}

}  // namespace
}  // namespace freehold::accounts
