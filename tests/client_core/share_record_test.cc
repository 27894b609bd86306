// The share record (who an object is shared with, owner-encrypted, bound to the
// object) and the header edits of unshare / link --disable.
#include "client/core/share_record.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "client/core/age_file.h"
#include "client/core/metadata.h"
#include "tests/support/status_matchers.h"

namespace freehold::client {
namespace {

using ::freehold::testing::StatusIs;

ShareRecord Sample() {
  ShareRecord r;
  ShareEntry bob;
  bob.kind = ShareEntry::Kind::kAccount;
  bob.handle = "bob";
  bob.account_id = "0f8fad5b-d9cb-469f-a165-70867728950e";
  bob.public_key = GenerateIdentity().Recipient();
  bob.stanza_share = "abcDEF123";
  ShareEntry link;
  link.kind = ShareEntry::Kind::kLink;
  link.public_key = GenerateIdentity().Recipient();
  link.stanza_share = "xyz789";
  r.entries = {bob, link};
  return r;
}

TEST(ShareRecordTest, RoundTripOwnerOnlyAndBoundToItsObject) {
  X25519Identity owner = GenerateIdentity();
  const SecretBytes key = ShareRecordKey(owner);
  const std::string a = NewObjectId();
  const std::string b = NewObjectId();
  const ShareRecord r = Sample();
  ASSERT_OK_AND_ASSIGN(auto blob, SealShareRecord(key, r, a));
  EXPECT_EQ(std::string(blob.begin(), blob.end()).find("bob"), std::string::npos);
  ASSERT_OK_AND_ASSIGN(ShareRecord back, OpenShareRecord(key, blob, a));
  EXPECT_EQ(back, r);
  EXPECT_THAT(OpenShareRecord(key, blob, b), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(OpenShareRecord(ShareRecordKey(GenerateIdentity()), blob, a),
              StatusIs(absl::StatusCode::kPermissionDenied));
  for (size_t i = 1; i < blob.size(); i += 7) {
    auto bad = blob;
    bad[i] ^= 1;
    EXPECT_FALSE(OpenShareRecord(key, bad, a).ok()) << i;
  }
  // The metadata key and the share record key differ.
  EXPECT_NE(MetadataKey(owner).view(), key.view());
  // Empty blob: never shared (or shared before records existed).
  ASSERT_OK_AND_ASSIGN(ShareRecord none, OpenShareRecord(key, {}, a));
  EXPECT_TRUE(none.entries.empty());
  // Fields with white space or empty are refused.
  ShareRecord bad = r;
  bad.entries[0].handle = "b b";
  EXPECT_THAT(SealShareRecord(key, bad, a), StatusIs(absl::StatusCode::kInvalidArgument));
  bad.entries[0].handle = "";
  EXPECT_THAT(SealShareRecord(key, bad, a), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ShareRecordTest, RemoveStanzasTakesOutOneRecipientAndKeepsTheOwner) {
  X25519Identity owner = GenerateIdentity();
  X25519Identity bob = GenerateIdentity();
  X25519Identity carol = GenerateIdentity();
  X25519Recipient self(owner.public_key());
  const AgeRecipient* mine[] = {&self};
  ASSERT_OK_AND_ASSIGN(NewAgeFile file, NewFileHeader(mine));
  X25519AgeIdentity opener(owner.Clone());
  const AgeIdentity* openers[] = {&opener};
  X25519Recipient to_bob(bob.public_key()), to_carol(carol.public_key());
  const AgeRecipient* add_bob[] = {&to_bob};
  const AgeRecipient* add_carol[] = {&to_carol};
  ASSERT_OK_AND_ASSIGN(AgeHeader h1, AddRecipients(file.header, openers, add_bob));
  ASSERT_OK_AND_ASSIGN(std::string bob_share, LastStanzaShare(h1));
  ASSERT_OK_AND_ASSIGN(AgeHeader h2, AddRecipients(h1, openers, add_carol));
  ASSERT_OK_AND_ASSIGN(std::string carol_share, LastStanzaShare(h2));
  EXPECT_NE(bob_share, carol_share);

  int removed = -1;
  ASSERT_OK_AND_ASSIGN(AgeHeader h3, RemoveStanzas(h2, openers, {bob_share}, &removed));
  EXPECT_EQ(removed, 1);
  EXPECT_EQ(h3.stanzas.size(), 2u);
  X25519AgeIdentity as_bob(bob.Clone()), as_carol(carol.Clone());
  const AgeIdentity* bobs[] = {&as_bob};
  const AgeIdentity* carols[] = {&as_carol};
  EXPECT_FALSE(UnwrapFileKey(h3, bobs).ok());
  ASSERT_OK_AND_ASSIGN(SecretBytes k, UnwrapFileKey(h3, carols));  // MAC checked
  EXPECT_EQ(k.view(), file.file_key.view());
  ASSERT_OK_AND_ASSIGN(SecretBytes mine_k, UnwrapFileKey(h3, openers));
  EXPECT_EQ(mine_k.view(), file.file_key.view());
  // Unknown shares change nothing; the owner's own stanza is never removed.
  ASSERT_OK_AND_ASSIGN(AgeHeader same, RemoveStanzas(h3, openers, {"nope"}, &removed));
  EXPECT_EQ(removed, 0);
  EXPECT_EQ(same.stanzas.size(), 2u);
  EXPECT_THAT(RemoveStanzas(h3, openers, {h3.stanzas[0].args[0]}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  // Someone who cannot open the header cannot edit it.
  EXPECT_FALSE(RemoveStanzas(h3, bobs, {carol_share}).ok());
}

}  // namespace
}  // namespace freehold::client
