// age v1 header, recipients, sharing, armor and whole-file error handling.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "client/core/age_armor.h"
#include "client/core/age_file.h"
#include "client/core/age_header.h"
#include "client/core/age_stream.h"
#include "tests/client_core/test_util.h"
#include "tests/support/status_matchers.h"

namespace freehold::client {
namespace {

using ::freehold::testing::StatusIs;
using ::testing::HasSubstr;

struct Keys {
  X25519AgeIdentity id{GenerateIdentity()};
  X25519Recipient recipient{id.identity().public_key()};
};

std::string Encrypt(const std::vector<const AgeRecipient*>& rs, const std::string& plain,
                    bool armor = false) {
  std::string out;
  SpanSource src(plain);
  StringSink sink(&out);
  EncryptOptions o;
  o.armor = armor;
  EXPECT_OK(EncryptFile(rs, src, sink, o));
  return out;
}

absl::Status Decrypt(const std::vector<const AgeIdentity*>& ids, const std::string& file,
                     std::string* plain) {
  plain->clear();
  SpanSource src(file);
  StringSink sink(plain);
  return DecryptFile(ids, src, sink);
}

TEST(AgeHeaderTest, SerializeParseRoundTripIsExact) {
  AgeHeader h;
  h.stanzas.push_back({"X25519", {"abc"}, testing::RandomBytes(32, 1)});
  h.stanzas.push_back({"grease-type", {"a", "b", "c"}, {}});
  h.stanzas.push_back({"long", {}, testing::RandomBytes(48, 2)});  // full line + empty line
  h.stanzas.push_back({"longer", {}, testing::RandomBytes(100, 3)});
  h.mac[0] = 7;
  std::string bytes = SerializeHeader(h);
  size_t consumed = 0;
  ASSERT_OK_AND_ASSIGN(AgeHeader back, ParseHeader(bytes + "PAYLOAD", &consumed));
  EXPECT_EQ(consumed, bytes.size());
  EXPECT_EQ(back, h);
  EXPECT_EQ(SerializeHeader(back), bytes);
}

TEST(AgeHeaderTest, RejectsMalformedHeaders) {
  const std::string mac = " AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n";
  const std::vector<std::string> bad = {
      "",
      "age-encryption.org/v2\n---" + mac,
      "age-encryption.org/v1\r\n---" + mac,
      "age-encryption.org/v1\n---",                                            // truncated
      "age-encryption.org/v1\n-> X25519 a\n",                                  // no body line
      "age-encryption.org/v1\n-> X25519  a\n\n---" + mac,                      // empty argument
      "age-encryption.org/v1\n->\n\n---" + mac,                                // no type
      "age-encryption.org/v1\n-> a\nAA=\n---" + mac,                           // padding
      "age-encryption.org/v1\n-> a\nAB\n---" + mac,                            // non-canonical
      "age-encryption.org/v1\n-> a\n" + std::string(68, 'A') + "\n---" + mac,  // long line
      "age-encryption.org/v1\n---  AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
      "age-encryption.org/v1\n--- AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",  // short MAC
      "age-encryption.org/v1\nhello\n---" + mac,
  };
  for (const std::string& b : bad) {
    EXPECT_THAT(ParseHeader(b),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("age header")))
        << b;
  }
}

TEST(AgeFileTest, SeveralRecipientsEachDecrypt) {
  Keys a, b, c;
  std::string plain = testing::AsString(testing::RandomBytes(100000, 5));
  std::string file = Encrypt({&a.recipient, &b.recipient, &c.recipient}, plain);
  for (const AgeIdentity* id : {&a.id, &b.id, &c.id}) {
    std::string out;
    ASSERT_OK(Decrypt({id}, file, &out));
    EXPECT_EQ(out, plain);
  }
}

TEST(AgeFileTest, WrongIdentityIsPermissionDenied) {
  Keys a, b;
  std::string file = Encrypt({&a.recipient}, "secret");
  std::string out;
  EXPECT_THAT(Decrypt({&b.id}, file, &out), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_TRUE(out.empty());
}

TEST(AgeFileTest, FlippedBitAnywhereInHeaderIsRejectedWithoutPlaintext) {
  Keys a, b;
  std::string plain = "attack at dawn";
  std::string file = Encrypt({&a.recipient, &b.recipient}, plain);
  ASSERT_OK_AND_ASSIGN(AgeHeader h, ParseHeader(file));
  const size_t header_len = SerializeHeader(h).size();
  for (size_t bit = 0; bit < header_len * 8; ++bit) {
    std::string bad = file;
    bad[bit / 8] = static_cast<char>(bad[bit / 8] ^ (1 << (bit % 8)));
    std::string out;
    absl::Status s = Decrypt({&a.id}, bad, &out);
    EXPECT_FALSE(s.ok()) << "bit " << bit;
    EXPECT_TRUE(out.empty()) << "bit " << bit;
  }
}

TEST(AgeFileTest, FlippedBitInMacIsDataLoss) {
  Keys a;
  std::string file = Encrypt({&a.recipient}, "x");
  ASSERT_OK_AND_ASSIGN(AgeHeader h, ParseHeader(file));
  h.mac[5] ^= 1;
  ASSERT_OK_AND_ASSIGN(AgeHeader orig, ParseHeader(file));
  std::string bad = SerializeHeader(h) + file.substr(SerializeHeader(orig).size());
  std::string out;
  EXPECT_THAT(Decrypt({&a.id}, bad, &out), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("MAC")));
}

TEST(AgeFileTest, AddRecipientSharesWithoutTouchingPayload) {
  Keys owner, friend_, stranger;
  std::string plain = testing::AsString(testing::RandomBytes(200000, 6));
  std::string file = Encrypt({&owner.recipient}, plain);
  size_t consumed = 0;
  ASSERT_OK_AND_ASSIGN(AgeHeader h, ParseHeader(file, &consumed));
  const std::string payload = file.substr(consumed);
  const AgeIdentity* opener[] = {&owner.id};
  const AgeRecipient* added[] = {&friend_.recipient};
  ASSERT_OK_AND_ASSIGN(AgeHeader shared, AddRecipients(h, opener, added));
  EXPECT_EQ(shared.stanzas.size(), 2u);
  std::string shared_file = SerializeHeader(shared) + payload;
  std::string out;
  ASSERT_OK(Decrypt({&friend_.id}, shared_file, &out));
  EXPECT_EQ(out, plain);
  ASSERT_OK(Decrypt({&owner.id}, shared_file, &out));
  EXPECT_EQ(out, plain);
  // Only someone who can open the header can share it.
  const AgeIdentity* wrong[] = {&stranger.id};
  EXPECT_THAT(AddRecipients(h, wrong, added), StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST(AgeFileTest, PublicLinkIdentityOpensTheFile) {
  Keys owner;
  std::string plain = "public data";
  std::string file = Encrypt({&owner.recipient}, plain);
  size_t consumed = 0;
  ASSERT_OK_AND_ASSIGN(AgeHeader h, ParseHeader(file, &consumed));
  const AgeIdentity* opener[] = {&owner.id};
  ASSERT_OK_AND_ASSIGN(PublicLink link, AddPublicLink(h, opener));
  SecretBytes encoded = link.identity.Encode();
  ASSERT_OK_AND_ASSIGN(X25519Identity parsed, ParseIdentity(encoded.view()));
  X25519AgeIdentity link_id(std::move(parsed));
  std::string out;
  ASSERT_OK(Decrypt({&link_id}, SerializeHeader(link.header) + file.substr(consumed), &out));
  EXPECT_EQ(out, plain);
}

TEST(AgeFileTest, PassphraseRoundTripAndScryptMustBeAlone) {
  ScryptRecipient pass("correct horse", 10);
  std::string plain = "passphrase protected";
  std::string file = Encrypt({&pass}, plain);
  ScryptAgeIdentity good("correct horse"), bad("wrong horse");
  std::string out;
  ASSERT_OK(Decrypt({&good}, file, &out));
  EXPECT_EQ(out, plain);
  EXPECT_THAT(Decrypt({&bad}, file, &out), StatusIs(absl::StatusCode::kPermissionDenied));
  // Too expensive work factor is refused before running scrypt.
  ScryptAgeIdentity capped("correct horse", 9);
  EXPECT_THAT(Decrypt({&capped}, file, &out), StatusIs(absl::StatusCode::kInvalidArgument));

  Keys a;
  const AgeRecipient* both[] = {&pass, &a.recipient};
  EXPECT_THAT(NewFileHeader(both), StatusIs(absl::StatusCode::kInvalidArgument));
  size_t consumed = 0;
  ASSERT_OK_AND_ASSIGN(AgeHeader h, ParseHeader(file, &consumed));
  const AgeIdentity* opener[] = {&good};
  const AgeRecipient* added[] = {&a.recipient};
  EXPECT_THAT(AddRecipients(h, opener, added), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(AgeFileTest, ArmoredRoundTripAndStrictDecoding) {
  Keys a;
  for (size_t n : {0, 1, 47, 48, 49, 1000, 70000}) {
    std::string plain = testing::AsString(testing::RandomBytes(n, n + 3));
    std::string file = Encrypt({&a.recipient}, plain, /*armor=*/true);
    EXPECT_TRUE(file.starts_with(std::string(kArmorBegin) + "\n"));
    EXPECT_TRUE(file.ends_with(std::string(kArmorEnd) + "\n"));
    std::string out;
    ASSERT_OK(Decrypt({&a.id}, file, &out));
    EXPECT_EQ(out, plain);
    // Whitespace around is fine; garbage after is not.
    ASSERT_OK(Decrypt({&a.id}, "\n  \n" + file + "\n\n", &out));
    EXPECT_EQ(out, plain);
    EXPECT_THAT(Decrypt({&a.id}, file + "junk", &out),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("armor")));
  }
}

TEST(AgeFileTest, TruncatedFilesAreRejected) {
  Keys a;
  std::string plain = testing::AsString(testing::RandomBytes(3 * 65536 + 10, 8));
  std::string file = Encrypt({&a.recipient}, plain);
  for (size_t cut : {size_t{0}, size_t{10}, file.size() / 2, file.size() - 1, file.size() - 17}) {
    std::string out;
    absl::Status s = Decrypt({&a.id}, file.substr(0, cut), &out);
    EXPECT_FALSE(s.ok()) << cut;
    // Released plaintext is always an authenticated prefix.
    EXPECT_EQ(out, plain.substr(0, out.size())) << cut;
    EXPECT_LT(out.size(), plain.size());
  }
}

}  // namespace
}  // namespace freehold::client
