// StorageNode (the core of the RPCs), Scrubber, node identity and configuration.
#include "services/storaged/core/storage_node.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sodium.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <filesystem>

#include "common/clock.h"
#include "services/storaged/core/config.h"
#include "services/storaged/core/node_identity.h"
#include "services/storaged/core/scrubber.h"
#include "tests/storaged/storaged_test_util.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace freehold::storaged {
namespace {

using ::freehold::testing::StatusIs;
using ::testing::HasSubstr;
using namespace ::freehold::storaged::testing;  // NOLINT

constexpr char kNode[] = "5b0d6a43-8f0e-4c8e-9a51-0c2d3f4e5a6b";

class StorageNodeTest : public ::testing::Test {
 protected:
  StorageNodeTest()
      : coordinator_(NewKey("coord")),
        ring_({coordinator_.public_key()}),
        grants_(ring_, kNode, clock_, 64 << 20),
        node_key_(NewKey(kNode)),
        receipts_(node_key_) {
    ShardStoreOptions options;
    options.data_dir = dir_.path();
    store_ = *ShardStore::Open(options, nullptr, Logger("test", LogLevel::kError));
    node_ = std::make_unique<StorageNode>(*store_, grants_, receipts_, clock_, nullptr);
  }

  std::string Token(GrantOperation op, const std::string& key, std::string_view data = "") {
    return SignGrant(coordinator_, MakeGrant(op, kNode, key, data, clock_.Now() + absl::Hours(1)));
  }

  absl::StatusOr<ShardUpload::Result> Put(const std::string& key, const std::string& data) {
    absl::StatusOr<std::unique_ptr<ShardUpload>> upload =
        node_->BeginPut(Token(GrantOperation::kPut, key, data));
    if (!upload.ok()) return upload.status();
    absl::Status s = (*upload)->Append(data);
    if (!s.ok()) return s;
    return (*upload)->Finish();
  }

  absl::StatusOr<std::string> Get(const std::string& key, uint64_t offset, uint64_t length) {
    absl::StatusOr<std::unique_ptr<ShardDownload>> download =
        node_->BeginGet(Token(GrantOperation::kGet, key), offset, length);
    if (!download.ok()) return download.status();
    std::string out, chunk;
    while (true) {
      absl::StatusOr<bool> more = (*download)->Next(&chunk);
      if (!more.ok()) return more.status();
      if (!*more) break;
      EXPECT_LE(chunk.size(), kReadChunkBytes);
      out += chunk;
    }
    return out;
  }

  freehold::testing::TempDir dir_;
  FakeClock clock_;
  TokenSigner coordinator_;
  CoordinatorKeyRing ring_;
  GrantChecker grants_;
  SigningKey node_key_;
  ReceiptSigner receipts_;
  std::unique_ptr<ShardStore> store_;
  std::unique_ptr<StorageNode> node_;
};

TEST_F(StorageNodeTest, PutReturnsSignedReceiptAndGetReturnsRanges) {
  const std::string data = PatternBytes(3 * kReadChunkBytes + 123);
  ASSERT_OK_AND_ASSIGN(ShardUpload::Result result, Put(ShardKey(1), data));
  EXPECT_FALSE(result.already_present);
  TokenVerifier verifier({node_key_.Public()});
  ASSERT_OK_AND_ASSIGN(std::string payload, verifier.Verify(result.receipt_token, kReceiptContext));
  ASSERT_OK_AND_ASSIGN(Receipt receipt, DecodeReceipt(payload));
  EXPECT_EQ(receipt.node_id, kNode);
  EXPECT_EQ(receipt.shard_key, ShardKey(1));
  EXPECT_EQ(receipt.size_bytes, data.size());
  EXPECT_EQ(receipt.sha256, Sha256Of(data));
  EXPECT_EQ(receipt.stored_at, clock_.Now());

  EXPECT_THAT(Get(ShardKey(1), 0, 0), IsOkAndHolds(data));
  EXPECT_THAT(Get(ShardKey(1), 1000, 2 * kReadChunkBytes),
              IsOkAndHolds(data.substr(1000, 2 * kReadChunkBytes)));
  EXPECT_THAT(Get(ShardKey(1), data.size(), 0), IsOkAndHolds(std::string()));
  EXPECT_THAT(Get(ShardKey(1), data.size() + 1, 0),
              StatusIs(absl::StatusCode::kOutOfRange, HasSubstr("offset")));
  EXPECT_THAT(Get(ShardKey(1), 10, data.size()),
              StatusIs(absl::StatusCode::kOutOfRange, HasSubstr("length")));
  EXPECT_THAT(Get(ShardKey(2), 0, 0), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(StorageNodeTest, RePutIsAlreadyPresentWithAFreshReceipt) {
  const std::string data = PatternBytes(5000);
  ASSERT_OK_AND_ASSIGN(ShardUpload::Result first, Put(ShardKey(1), data));
  clock_.Advance(absl::Minutes(3));
  ASSERT_OK_AND_ASSIGN(ShardUpload::Result second, Put(ShardKey(1), data));
  EXPECT_TRUE(second.already_present);
  EXPECT_NE(second.receipt_token, first.receipt_token);
  TokenVerifier verifier({node_key_.Public()});
  ASSERT_OK_AND_ASSIGN(std::string payload, verifier.Verify(second.receipt_token, kReceiptContext));
  EXPECT_EQ(DecodeReceipt(payload)->stored_at, clock_.Now());
}

TEST_F(StorageNodeTest, GetGrantBoundsAreEnforced) {
  const std::string data = PatternBytes(1000);
  ASSERT_OK(Put(ShardKey(1), data));
  Grant grant =
      MakeGrant(GrantOperation::kGet, kNode, ShardKey(1), "", clock_.Now() + absl::Hours(1));
  grant.size_bytes = 999;
  EXPECT_THAT(node_->BeginGet(SignGrant(coordinator_, grant), 0, 0),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("grant.size_bytes")));
  grant.size_bytes = 1000;
  grant.sha256 = Sha256Of("other");
  EXPECT_THAT(node_->BeginGet(SignGrant(coordinator_, grant), 0, 0),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("grant.sha256")));
  grant.sha256 = Sha256Of(data);
  EXPECT_OK(node_->BeginGet(SignGrant(coordinator_, grant), 0, 0));
}

TEST_F(StorageNodeTest, AuditIsKeyedBlake2bOverTheWholeShard) {
  const std::string data = PatternBytes(2 * kReadChunkBytes + 7);
  ASSERT_OK(Put(ShardKey(1), data));
  const std::string challenge = PatternBytes(32, 99);
  ASSERT_OK_AND_ASSIGN(AuditResult audit,
                       node_->Audit(Token(GrantOperation::kAudit, ShardKey(1)), challenge));
  std::string expected(32, '\0');
  crypto_generichash(reinterpret_cast<unsigned char*>(expected.data()), 32,
                     reinterpret_cast<const unsigned char*>(data.data()), data.size(),
                     reinterpret_cast<const unsigned char*>(challenge.data()), 32);
  EXPECT_EQ(audit.keyed_hash, expected);
  EXPECT_EQ(audit.size_bytes, data.size());
  EXPECT_THAT(node_->Audit(Token(GrantOperation::kAudit, ShardKey(1)), "short"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("challenge_key")));
  EXPECT_THAT(node_->Audit(Token(GrantOperation::kGet, ShardKey(1)), challenge),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(StorageNodeTest, DeleteNeedsADeleteGrant) {
  ASSERT_OK(Put(ShardKey(1), "abc"));
  EXPECT_THAT(node_->Delete(Token(GrantOperation::kPut, ShardKey(1), "abc")),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(node_->Delete(Token(GrantOperation::kDelete, ShardKey(1))), IsOkAndHolds(true));
  EXPECT_THAT(node_->Delete(Token(GrantOperation::kDelete, ShardKey(1))), IsOkAndHolds(false));
}

TEST_F(StorageNodeTest, ListPagesWithTokens) {
  for (int i = 0; i < 5; ++i) ASSERT_OK(Put(ShardKey(i), "x"));
  ASSERT_OK_AND_ASSIGN(ShardPage page, node_->List(2, ""));
  EXPECT_THAT(page.keys, ::testing::ElementsAre(ShardKey(0), ShardKey(1)));
  ASSERT_OK_AND_ASSIGN(page, node_->List(2, page.next_page_token));
  EXPECT_THAT(page.keys, ::testing::ElementsAre(ShardKey(2), ShardKey(3)));
  ASSERT_OK_AND_ASSIGN(page, node_->List(2, page.next_page_token));
  EXPECT_THAT(page.keys, ::testing::ElementsAre(ShardKey(4)));
  EXPECT_EQ(page.next_page_token, "");
  EXPECT_THAT(node_->List(2, "../etc"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("page.page_token")));
}

TEST_F(StorageNodeTest, StatusReportsIdentityAndUsage) {
  ASSERT_OK(Put(ShardKey(1), "abcd"));
  const NodeStatus status = node_->Status();
  EXPECT_EQ(status.node_id, kNode);
  EXPECT_EQ(status.node_public_key,
            std::string(reinterpret_cast<const char*>(node_key_.public_key.data()), 32));
  EXPECT_EQ(status.stats.used_bytes, 4u);
  EXPECT_EQ(status.stats.shard_count, 1u);
  EXPECT_GT(status.stats.capacity_bytes, 0u);
}

TEST_F(StorageNodeTest, ScrubberFindsFlippedByteAndReportsItOnce) {
  const std::string good = PatternBytes(300000, 1);
  const std::string bad = PatternBytes(300000, 2);
  ASSERT_OK(Put(ShardKey(1), good));
  ASSERT_OK(Put(ShardKey(2), bad));
  {  // Flip one byte of shard 2 on disk.
    const std::string path = store_->ShardPath(ShardKey(2), Sha256Of(bad), false);
    const int fd = ::open(path.c_str(), O_WRONLY);
    ASSERT_GE(fd, 0);
    const char x = static_cast<char>(bad[12345] ^ 1);
    ASSERT_EQ(::pwrite(fd, &x, 1, 12345), 1);
    ::close(fd);
  }
  Scrubber scrubber(*store_, {absl::Hours(1), 0}, nullptr, Logger("test", LogLevel::kError));
  ScrubPass pass = scrubber.ScrubOnce();
  EXPECT_EQ(pass.checked, 2u);
  EXPECT_EQ(pass.newly_corrupt, 1u);
  EXPECT_EQ(pass.bytes, 600000u);
  EXPECT_EQ(node_->Status().stats.corrupt_count, 1u);
  EXPECT_THAT(store_->TakeNewlyCorrupt(), ::testing::ElementsAre(ShardKey(2)));
  EXPECT_THAT(Get(ShardKey(2), 0, 0), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(Get(ShardKey(1), 0, 0), IsOkAndHolds(good));
  pass = scrubber.ScrubOnce();  // the corrupt one is not re-reported
  EXPECT_EQ(pass.newly_corrupt, 0u);
  EXPECT_TRUE(store_->TakeNewlyCorrupt().empty());
}

TEST_F(StorageNodeTest, ScrubberHonoursItsRateLimitAndStops) {
  ASSERT_OK(Put(ShardKey(1), PatternBytes(1 << 20)));
  Scrubber scrubber(*store_, {absl::Hours(1), 4 << 20}, nullptr, Logger("test", LogLevel::kError));
  const absl::Time start = absl::Now();
  const ScrubPass pass = scrubber.ScrubOnce();
  EXPECT_EQ(pass.bytes, uint64_t{1} << 20);
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(240));  // 1 MiB at 4 MiB/s

  // Background thread with a long interval stops promptly.
  scrubber.Start();
  const absl::Time stop_start = absl::Now();
  scrubber.Stop();
  EXPECT_LT(absl::Now() - stop_start, absl::Seconds(2));
  EXPECT_EQ(scrubber.passes_completed(), 1u);
}

TEST(NodeIdentityTest, CreatedOnceWithPrivateFilesAndKeptAcrossRestarts) {
  freehold::testing::TempDir dir;
  ASSERT_OK_AND_ASSIGN(NodeIdentity first, LoadOrCreateNodeIdentity(dir.path()));
  EXPECT_TRUE(IsUuid(first.node_id)) << first.node_id;
  EXPECT_EQ(first.key.key_id, first.node_id);
  EXPECT_EQ(FileMode(dir.File("node.key")), 0600);
  EXPECT_EQ(FileMode(dir.File("node_id")), 0600);
  ASSERT_OK_AND_ASSIGN(NodeIdentity again, LoadOrCreateNodeIdentity(dir.path()));
  EXPECT_EQ(again.node_id, first.node_id);
  EXPECT_EQ(again.key.public_key, first.key.public_key);
}

TEST(NodeIdentityTest, HalfAnIdentityIsRefused) {
  freehold::testing::TempDir dir;
  ASSERT_OK(LoadOrCreateNodeIdentity(dir.path()));
  std::filesystem::remove(dir.File("node.key"));
  EXPECT_THAT(LoadOrCreateNodeIdentity(dir.path()),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("node.key")));
}

TEST(StoragedConfigTest, ValidationNamesTheBadFlag) {
  StoragedConfig config;
  config.data_dir = "/tmp/x";
  config.coordinator_keys = "/tmp/k";
  EXPECT_OK(config.Validate());
  auto expect_bad = [](StoragedConfig c, const std::string& flag) {
    EXPECT_THAT(c.Validate(), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(flag)));
  };
  StoragedConfig c = config;
  c.data_dir = "";
  expect_bad(c, "--data-dir");
  c = config;
  c.coordinator_keys = "";
  expect_bad(c, "--coordinator-keys");
  c = config;
  c.listen = "nonsense";
  expect_bad(c, "--listen");
  c = config;
  c.capacity_bytes = 100;
  c.reserve_bytes = 100;
  expect_bad(c, "--reserve-bytes");
  c = config;
  c.heartbeat_interval = absl::ZeroDuration();
  expect_bad(c, "--heartbeat-interval");
  c = config;
  c.coordinator = "no-port";
  expect_bad(c, "--coordinator");
  c = config;
  c.log_level = "loud";
  expect_bad(c, "--log-level");
  c = config;
  c.write_buffers = 1;
  expect_bad(c, "--write-buffers");
  c = config;
  c.write_buffers = 64;
  c.write_buffer_bytes = uint64_t{8} << 20;  // 512 MiB of buffers per put
  expect_bad(c, "--write-buffer-bytes");
}

TEST(StoragedConfigTest, SizeFlagsAcceptUnits) {
  CLI::App app;
  StoragedConfig config;
  AddStoragedFlags(app, &config);
  const char* argv[] = {"storaged", "--capacity-bytes", "2GiB", "--reserve-bytes",
                        "64k",      "--scrub-interval", "90s"};
  app.parse(7, const_cast<char**>(argv));
  EXPECT_EQ(config.capacity_bytes, uint64_t{2} << 30);
  EXPECT_EQ(config.reserve_bytes, 64u * 1024);
  EXPECT_EQ(config.scrub_interval, absl::Seconds(90));
}

}  // namespace
}  // namespace freehold::storaged
