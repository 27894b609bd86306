// Grant checking (with a fake clock), receipts, shard key syntax, key files.
#include "services/storaged/core/grants.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/clock.h"
#include "freehold/v1/storage.pb.h"
#include "services/storaged/core/key_ring.h"
#include "services/storaged/core/shard_key.h"
#include "tests/storaged/storaged_test_util.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace freehold::storaged {
namespace {

using ::freehold::testing::StatusIs;
using ::testing::HasSubstr;
using namespace ::freehold::storaged::testing;  // NOLINT

constexpr char kNode[] = "5b0d6a43-8f0e-4c8e-9a51-0c2d3f4e5a6b";

class GrantCheckerTest : public ::testing::Test {
 protected:
  GrantCheckerTest()
      : coordinator_(NewKey("coord-2024")),
        ring_({coordinator_.public_key()}),
        checker_(ring_, kNode, clock_, 1 << 20) {}

  std::string Sign(const Grant& grant) { return SignGrant(coordinator_, grant); }
  Grant PutGrant(const std::string& key = ShardKey(1)) {
    return MakeGrant(GrantOperation::kPut, kNode, key, "hello", clock_.Now() + absl::Minutes(5));
  }

  FakeClock clock_;
  TokenSigner coordinator_;
  CoordinatorKeyRing ring_;
  GrantChecker checker_;
};

TEST_F(GrantCheckerTest, AcceptsValidPutGrant) {
  const Grant grant = PutGrant();
  ASSERT_OK_AND_ASSIGN(Grant checked, checker_.Check(Sign(grant), GrantOperation::kPut));
  EXPECT_EQ(checked.shard_key, grant.shard_key);
  EXPECT_EQ(checked.size_bytes, 5u);
  EXPECT_EQ(checked.sha256, Sha256Of("hello"));
  EXPECT_EQ(checked.expires_at, absl::FromUnixSeconds(absl::ToUnixSeconds(grant.expires_at)));
}

TEST_F(GrantCheckerTest, RejectsGrantSignedByAnotherCoordinator) {
  TokenSigner impostor(NewKey("coord-2024"));  // same key id, different key
  EXPECT_THAT(checker_.Check(SignGrant(impostor, PutGrant()), GrantOperation::kPut),
              StatusIs(absl::StatusCode::kUnauthenticated));
  TokenSigner unknown(NewKey("other"));
  EXPECT_THAT(checker_.Check(SignGrant(unknown, PutGrant()), GrantOperation::kPut),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(GrantCheckerTest, AcceptsEveryKeyOfARotation) {
  TokenSigner old_key(NewKey("coord-2023"));
  CoordinatorKeyRing ring({coordinator_.public_key(), old_key.public_key()});
  GrantChecker checker(ring, kNode, clock_, 1 << 20);
  EXPECT_OK(checker.Check(SignGrant(old_key, PutGrant()), GrantOperation::kPut));
  EXPECT_OK(checker.Check(Sign(PutGrant()), GrantOperation::kPut));
}

TEST_F(GrantCheckerTest, RejectsTamperedAndMalformedTokens) {
  std::string token = Sign(PutGrant());
  token[3] = token[3] == 'A' ? 'B' : 'A';
  EXPECT_THAT(checker_.Check(token, GrantOperation::kPut),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(checker_.Check("not a token", GrantOperation::kPut),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(checker_.Check("", GrantOperation::kPut),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("grant")));
  // Validly signed bytes that are not GrantClaims.
  EXPECT_THAT(
      checker_.Check(coordinator_.Sign("\xff\xff\xff", kGrantContext), GrantOperation::kPut),
      StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("malformed")));
}

TEST_F(GrantCheckerTest, RejectsAReceiptPresentedAsAGrant) {
  const std::string token = coordinator_.Sign(EncodeGrant(PutGrant()), kReceiptContext);
  EXPECT_THAT(checker_.Check(token, GrantOperation::kPut),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(GrantCheckerTest, RejectsGrantForAnotherNode) {
  Grant grant = PutGrant();
  grant.node_id = "00000000-0000-4000-8000-000000000000";
  EXPECT_THAT(checker_.Check(Sign(grant), GrantOperation::kPut),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("for node")));
}

TEST_F(GrantCheckerTest, RejectsGrantForAnotherOperation) {
  EXPECT_THAT(checker_.Check(Sign(PutGrant()), GrantOperation::kDelete),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("PUT")));
  Grant get =
      MakeGrant(GrantOperation::kGet, kNode, ShardKey(1), "", clock_.Now() + absl::Hours(1));
  EXPECT_THAT(checker_.Check(Sign(get), GrantOperation::kPut),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(GrantCheckerTest, GrantIsVoidAtAndAfterItsExpiry) {
  const Grant grant = PutGrant();
  const std::string token = Sign(grant);
  clock_.Set(grant.expires_at - absl::Seconds(1));
  EXPECT_OK(checker_.Check(token, GrantOperation::kPut));
  clock_.Set(grant.expires_at);
  EXPECT_THAT(checker_.Check(token, GrantOperation::kPut),
              StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("grant expired")));
  clock_.Advance(absl::Hours(1));
  EXPECT_THAT(checker_.Check(token, GrantOperation::kPut),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
}

TEST_F(GrantCheckerTest, RejectsPathLikeAndMalformedShardKeys) {
  for (const std::string& key :
       std::vector<std::string>{"../x", "a/b", "/etc/passwd", "..", ".", "A", "a b", "a\nb",
                                std::string(129, 'a'), std::string("a\0b", 3)}) {
    EXPECT_THAT(checker_.Check(Sign(PutGrant(key)), GrantOperation::kPut),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("grant.shard_key")))
        << key;
  }
  EXPECT_THAT(checker_.Check(Sign(PutGrant("")), GrantOperation::kPut),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty")));
  EXPECT_OK(checker_.Check(Sign(PutGrant(std::string(128, 'a'))), GrantOperation::kPut));
}

TEST_F(GrantCheckerTest, PutGrantNeedsA32ByteHashAndAnAcceptableSize) {
  Grant grant = PutGrant();
  grant.sha256 = "short";
  EXPECT_THAT(checker_.Check(Sign(grant), GrantOperation::kPut),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("grant.sha256")));
  grant = PutGrant();
  grant.size_bytes = (1 << 20) + 1;
  EXPECT_THAT(checker_.Check(Sign(grant), GrantOperation::kPut),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("grant.size_bytes")));
}

TEST(GrantCodecTest, GrantBytesAreDeterministicGrantClaims) {
  Grant grant = MakeGrant(GrantOperation::kPut, kNode, ShardKey(3, 2, 5), "data",
                          absl::FromUnixSeconds(1800000000));
  grant.segment = 2;
  grant.shard_index = 5;
  v1::GrantClaims claims;
  ASSERT_TRUE(claims.ParseFromString(EncodeGrant(grant)));
  EXPECT_EQ(claims.operation(), v1::GRANT_OPERATION_PUT);
  EXPECT_EQ(claims.shard_key(), ShardKey(3, 2, 5));
  EXPECT_EQ(claims.expires_unix_seconds(), 1800000000);
  EXPECT_EQ(claims.shard_index(), 5u);
  ASSERT_OK_AND_ASSIGN(Grant back, DecodeGrant(EncodeGrant(grant)));
  EXPECT_EQ(EncodeGrant(back), EncodeGrant(grant));
}

TEST(ReceiptTest, ReceiptVerifiesWithTheNodePublicKeyOnly) {
  const SigningKey node_key = NewKey(kNode);
  ReceiptSigner signer(node_key);
  Receipt receipt{kNode, ShardKey(4), 77, Sha256Of("x"), absl::FromUnixSeconds(1700000000)};
  const std::string token = signer.Sign(receipt);
  TokenVerifier verifier({node_key.Public()});
  ASSERT_OK_AND_ASSIGN(std::string payload, verifier.Verify(token, kReceiptContext));
  ASSERT_OK_AND_ASSIGN(Receipt back, DecodeReceipt(payload));
  EXPECT_EQ(back.shard_key, ShardKey(4));
  EXPECT_EQ(back.size_bytes, 77u);
  EXPECT_EQ(back.sha256, Sha256Of("x"));
  EXPECT_EQ(back.node_id, kNode);
  EXPECT_FALSE(verifier.Verify(token, kGrantContext).ok());
  TokenVerifier other({NewKey(kNode).Public()});
  EXPECT_FALSE(other.Verify(token, kReceiptContext).ok());
}

TEST(ShardKeyTest, AcceptsCanonicalKeysAndNamesTheOffendingCharacter) {
  EXPECT_OK(ValidateShardKey("0123456789abcdef0123456789abcdef-0-5"));
  EXPECT_THAT(
      ValidateShardKey("ab/cd", "key"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("key contains '/' at position 2")));
  EXPECT_THAT(ValidateShardKey(std::string("a\x01", 2)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("byte 0x01")));
}

TEST(KeyFileTest, ParsesTeamAndCommonFormatsSkippingComments) {
  const SigningKey a = NewKey("a");
  const SigningKey b = NewKey("b");
  const std::string text = "# coordinator keys\n\n" + FormatPublicKeyFile({a.Public()}) + "  " +
                           FormatPublicKey(b.Public()) + "  \n";
  ASSERT_OK_AND_ASSIGN(std::vector<PublicKey> keys, ParsePublicKeyFile(text, "keys.pub"));
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0].key_id, "a");
  EXPECT_EQ(keys[0].key, a.public_key);
  EXPECT_EQ(keys[1].key_id, "b");
  EXPECT_EQ(keys[1].key, b.public_key);
}

TEST(KeyFileTest, NamesTheBadLine) {
  EXPECT_THAT(ParsePublicKeyFile("# x\ned25519 k1 AAAA\n", "keys.pub"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("keys.pub line 2")));
  EXPECT_THAT(ParsePublicKeyFile("rsa k1 AAAA\n", "keys.pub"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("line 1")));
  EXPECT_THAT(ParsePublicKeyFile("# only a comment\n", "keys.pub"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no public key")));
}

TEST(KeyRingTest, ReloadsWhenTheFileChangesAndKeepsOldKeysOnABadFile) {
  freehold::testing::TempDir dir;
  const SigningKey a = NewKey("a");
  const SigningKey b = NewKey("b");
  const std::string path = dir.WriteFile("coordinator.pub", FormatPublicKeyFile({a.Public()}));
  ASSERT_OK_AND_ASSIGN(auto ring, CoordinatorKeyRing::Load(path));
  TokenSigner signer_b(b);
  const std::string token_b = signer_b.Sign("payload", kGrantContext);
  EXPECT_FALSE(ring->verifier()->Verify(token_b, kGrantContext).ok());
  ASSERT_OK_AND_ASSIGN(bool changed, ring->ReloadIfChanged());
  EXPECT_FALSE(changed);

  dir.WriteFile("coordinator.pub", FormatPublicKeyFile({b.Public(), a.Public()}) + "# rotated\n");
  ASSERT_OK_AND_ASSIGN(changed, ring->ReloadIfChanged());
  EXPECT_TRUE(changed);
  EXPECT_EQ(ring->key_count(), 2u);
  EXPECT_OK(ring->verifier()->Verify(token_b, kGrantContext));

  dir.WriteFile("coordinator.pub", "garbage that is longer than before\n");
  EXPECT_THAT(ring->ReloadIfChanged(), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(ring->key_count(), 2u);
  EXPECT_OK(ring->verifier()->Verify(token_b, kGrantContext));
  ASSERT_OK_AND_ASSIGN(changed, ring->ReloadIfChanged());  // reported once
  EXPECT_FALSE(changed);
}

TEST(KeyRingTest, MissingFileIsNotFoundNamingThePath) {
  EXPECT_THAT(CoordinatorKeyRing::Load("/nonexistent/coordinator.pub"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("/nonexistent/coordinator.pub")));
}

}  // namespace
}  // namespace freehold::storaged
