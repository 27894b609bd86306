// Interoperability with the stock `age` binary (1.1.1) in both directions:
// sizes 0, 1, 65535, 65536, 65537 and several MiB, one and several
// recipients, binary and armored, and header + upload-pipeline segments.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "client/core/age_file.h"
#include "client/core/upload_pipeline.h"
#include "tests/client_core/test_util.h"
#include "tests/support/status_matchers.h"

namespace freehold::client {
namespace {

constexpr size_t kSizes[] = {0, 1, 65535, 65536, 65537, (5 << 20) + 3};

class AgeInteropTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists("/usr/bin/age") ||
        !std::filesystem::exists("/usr/bin/age-keygen")) {
      GTEST_SKIP() << "the stock age binary (/usr/bin/age) is not installed";
    }
  }

  // An identity from age-keygen, parsed by us.
  X25519Identity KeygenIdentity(const std::string& name) {
    std::string path = dir_.File(name);
    EXPECT_EQ(testing::RunCommand("age-keygen -o " + path + " 2>/dev/null"), 0);
    std::string text = testing::ReadFile(path);
    size_t pos = text.find("AGE-SECRET-KEY-1");
    EXPECT_NE(pos, std::string::npos);
    auto id = ParseIdentity(text.substr(pos, 74));
    EXPECT_OK(id.status());
    return std::move(*id);
  }

  testing::TempDir dir_;
};

TEST_F(AgeInteropTest, FilesWeEncryptDecryptWithAge) {
  std::vector<X25519Identity> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(KeygenIdentity("key" + std::to_string(i)));
  for (int nrecipients : {1, 3}) {
    std::vector<X25519Recipient> rs;
    for (int i = 0; i < nrecipients; ++i) rs.emplace_back(ids[i].public_key());
    std::vector<const AgeRecipient*> rp;
    for (auto& r : rs) rp.push_back(&r);
    for (bool armor : {false, true}) {
      for (size_t n : kSizes) {
        if (armor && n > 70000) continue;
        std::string plain = testing::AsString(testing::RandomBytes(n, n + 17));
        std::string file;
        SpanSource src(plain);
        StringSink sink(&file);
        EncryptOptions o;
        o.armor = armor;
        ASSERT_OK(EncryptFile(rp, src, sink, o));
        testing::WriteFile(dir_.File("ours.age"), file);
        // Every recipient's key decrypts with age.
        for (int i = 0; i < nrecipients; ++i) {
          std::string out;
          ASSERT_EQ(testing::RunCommand("age -d -i " + dir_.File("key" + std::to_string(i)) + " " +
                                            dir_.File("ours.age"),
                                        &out),
                    0)
              << "n=" << n << " recipients=" << nrecipients << " armor=" << armor;
          EXPECT_TRUE(out == plain) << "n=" << n;
        }
      }
    }
  }
}

TEST_F(AgeInteropTest, FilesAgeEncryptsDecryptWithOurs) {
  std::vector<X25519Identity> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(KeygenIdentity("key" + std::to_string(i)));
  for (int nrecipients : {1, 3}) {
    std::string flags;
    for (int i = 0; i < nrecipients; ++i) flags += " -r " + ids[i].Recipient();
    for (bool armor : {false, true}) {
      for (size_t n : kSizes) {
        if (armor && n > 70000) continue;
        std::string plain = testing::AsString(testing::RandomBytes(n, n + 23));
        testing::WriteFile(dir_.File("plain"), plain);
        ASSERT_EQ(testing::RunCommand("age" + flags + (armor ? " -a" : "") + " -o " +
                                      dir_.File("theirs.age") + " " + dir_.File("plain")),
                  0);
        std::string file = testing::ReadFile(dir_.File("theirs.age"));
        for (int i = 0; i < nrecipients; ++i) {
          X25519AgeIdentity id(ids[i].Clone());
          const AgeIdentity* idp[] = {&id};
          std::string out;
          SpanSource src(file);
          StringSink sink(&out);
          ASSERT_OK(DecryptFile(idp, src, sink)) << "n=" << n << " armor=" << armor;
          EXPECT_TRUE(out == plain) << "n=" << n;
        }
      }
    }
  }
}

TEST_F(AgeInteropTest, HeaderPlusPipelineSegmentsIsAnAgeFile) {
  X25519Identity id = KeygenIdentity("key");
  X25519Recipient r(id.public_key());
  const AgeRecipient* rp[] = {&r};
  ASSERT_OK_AND_ASSIGN(NewAgeFile file, NewFileHeader(rp));
  std::string plain = testing::AsString(testing::RandomBytes(3 * 65536 + 999, 5));
  std::string exported = SerializeHeader(file.header);
  UploadOptions o;
  o.segment_size = 100000;
  o.k = 3;
  o.m = 2;
  SpanSource src(plain);
  ASSERT_OK(EncodeUpload(file.file_key, src, o, [&](UploadSegment& seg) {
              exported.append(reinterpret_cast<const char*>(seg.encoded.storage.data()),
                              seg.encoded.segment_len);
              return absl::OkStatus();
            }).status());
  testing::WriteFile(dir_.File("export.age"), exported);
  std::string out;
  ASSERT_EQ(
      testing::RunCommand("age -d -i " + dir_.File("key") + " " + dir_.File("export.age"), &out),
      0);
  EXPECT_TRUE(out == plain);
}

TEST_F(AgeInteropTest, AgeDecryptsAfterWeAddARecipient) {
  X25519Identity owner = KeygenIdentity("owner");
  X25519Identity friend_ = KeygenIdentity("friend");
  std::string plain = testing::AsString(testing::RandomBytes(70000, 9));
  testing::WriteFile(dir_.File("plain"), plain);
  ASSERT_EQ(testing::RunCommand("age -r " + owner.Recipient() + " -o " + dir_.File("f.age") + " " +
                                dir_.File("plain")),
            0);
  std::string file = testing::ReadFile(dir_.File("f.age"));
  size_t consumed = 0;
  ASSERT_OK_AND_ASSIGN(AgeHeader h, ParseHeader(file, &consumed));
  X25519AgeIdentity opener(owner.Clone());
  X25519Recipient added(friend_.public_key());
  const AgeIdentity* op[] = {&opener};
  const AgeRecipient* ad[] = {&added};
  ASSERT_OK_AND_ASSIGN(AgeHeader shared, AddRecipients(h, op, ad));
  testing::WriteFile(dir_.File("shared.age"), SerializeHeader(shared) + file.substr(consumed));
  std::string out;
  ASSERT_EQ(
      testing::RunCommand("age -d -i " + dir_.File("friend") + " " + dir_.File("shared.age"), &out),
      0);
  EXPECT_TRUE(out == plain);
}

}  // namespace
}  // namespace freehold::client
