// Rotation of the coordinator's grant-signing key under traffic, with the real
// pieces on both sides: the coordinator's GrantSigner and shared key file
// (--grant-key-file, core/grant_keys.h) and the daemon's GrantChecker over its
// --coordinator-keys file (services/storaged/core/key_ring.h, reloaded on change).
// The operator's order: add the new public key to the daemons, replace the shared
// key file (every replica re-reads it), remove the old public key after the longest
// grant lifetime. No grant fails during the overlap.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <cstdio>
#include <thread>
#include <vector>

#include "absl/strings/str_split.h"
#include "common/clock.h"
#include "common/signed_token.h"
#include "coordinator/core/grant_keys.h"
#include "coordinator/core/grants.h"
#include "coordinator/core/ids.h"
#include "coordinator/grpc/claims_codec.h"
#include "services/storaged/core/grants.h"
#include "services/storaged/core/key_ring.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace freehold::coordinator {
namespace {

// Replaces `path` atomically (as a Kubernetes Secret or ConfigMap update does).
void ReplaceFile(const testing::TempDir& dir, const std::string& path, const std::string& text) {
  const std::string tmp = dir.WriteFile("replace.tmp", text);
  ASSERT_EQ(std::rename(tmp.c_str(), path.c_str()), 0);
}

std::string KeyIdOf(const std::string& token) {
  std::vector<std::string> parts = absl::StrSplit(token, '.');
  return parts.size() == 3 ? parts[1] : "";
}

TEST(GrantKeyRotation, DaemonsAcceptGrantsOfBothKeysDuringTheOverlapAndNothingFails) {
  testing::TempDir dir("grant-rotation-");
  ASSERT_OK_AND_ASSIGN(SigningKey old_key, GenerateSigningKey());
  ASSERT_OK_AND_ASSIGN(SigningKey new_key, GenerateSigningKey());
  ASSERT_NE(old_key.key_id, new_key.key_id);
  const std::string key_file = dir.File("grant.key");
  ASSERT_OK(SaveSigningKey(old_key, key_file));
  const std::string data_dir = dir.File("data");
  const std::string published = dir.File("published.pub");

  // Coordinator side: the shared key file.
  ASSERT_OK_AND_ASSIGN(SigningKey loaded, LoadGrantKeyFile(key_file, data_dir, published));
  EXPECT_EQ(loaded.key_id, old_key.key_id);
  ProtoClaimsCodec codec;
  GrantSigner signer(loaded, codec);
  // Unchanged file: nothing to do.
  ASSERT_OK_AND_ASSIGN(std::optional<SigningKey> same,
                       ReloadGrantKeyFile(key_file, signer.public_key(), data_dir, published));
  EXPECT_FALSE(same.has_value());

  // Daemon side: --coordinator-keys with the old key.
  const std::string daemon_keys = dir.WriteFile(
      "coordinator-keys.pub", storaged::FormatPublicKeyFile({old_key.Public()}));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<storaged::CoordinatorKeyRing> ring,
                       storaged::CoordinatorKeyRing::Load(daemon_keys));
  RealClock clock;
  storaged::GrantChecker checker(*ring, "node-1", clock, 1 << 20);

  auto grant = [&] {
    GrantSpec g;
    g.operation = GrantOperation::kGet;
    g.shard_key = ShardKey("0190a5c2-7d4e-7000-8000-000000000001", 0, 1);
    g.node_id = "node-1";
    g.expires_at = absl::Now() + absl::Minutes(5);
    return signer.Sign(g);
  };
  const std::string signed_with_old = grant();

  // Traffic: grants signed and checked continuously on several threads.
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0}, by_old{0}, by_new{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      while (!stop.load()) {
        const std::string token = grant();
        if (!checker.Check(token, ::freehold::GrantOperation::kGet).ok()) ++failures;
        (KeyIdOf(token) == new_key.key_id ? by_new : by_old)++;
      }
    });
  }
  auto traffic_for = [](absl::Duration d) { absl::SleepFor(d); };

  traffic_for(absl::Milliseconds(100));
  // 1. The daemons learn the new public key (they reload the file on change).
  ReplaceFile(dir, daemon_keys,
              storaged::FormatPublicKeyFile({old_key.Public(), new_key.Public()}));
  ASSERT_OK_AND_ASSIGN(bool changed, ring->ReloadIfChanged());
  EXPECT_TRUE(changed);
  traffic_for(absl::Milliseconds(100));
  // 2. The shared key file is replaced; the coordinator's next re-read switches.
  ReplaceFile(dir, key_file, FormatSigningKey(new_key) + "\n");
  ASSERT_EQ(::chmod(key_file.c_str(), 0600), 0);
  ASSERT_OK_AND_ASSIGN(std::optional<SigningKey> next,
                       ReloadGrantKeyFile(key_file, signer.public_key(), data_dir, published));
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->key_id, new_key.key_id);
  signer.SetKey(*std::move(next));
  traffic_for(absl::Milliseconds(200));
  stop = true;
  for (std::thread& t : threads) t.join();

  EXPECT_EQ(failures.load(), 0);
  EXPECT_GT(by_old.load(), 0);
  EXPECT_GT(by_new.load(), 0);
  // A grant the old key signed before the switch is still accepted during the overlap.
  EXPECT_OK(checker.Check(signed_with_old, ::freehold::GrantOperation::kGet).status());
  // Published verification keys: the new one first, the old one kept.
  ASSERT_OK_AND_ASSIGN(std::vector<PublicKey> listed,
                       storaged::ParsePublicKeyFile(testing::ReadFileOrEmpty(published),
                                                    published));
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].key_id, new_key.key_id);
  EXPECT_EQ(listed[1].key_id, old_key.key_id);

  // 3. After the longest grant lifetime the old public key is removed: its grants end.
  ReplaceFile(dir, daemon_keys, storaged::FormatPublicKeyFile({new_key.Public()}));
  ASSERT_OK_AND_ASSIGN(changed, ring->ReloadIfChanged());
  EXPECT_TRUE(changed);
  EXPECT_EQ(checker.Check(signed_with_old, ::freehold::GrantOperation::kGet).status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_OK(checker.Check(grant(), ::freehold::GrantOperation::kGet).status());
}

TEST(GrantKeyRotation, AnUnreadableOrBrokenKeyFileKeepsTheCurrentKey) {
  testing::TempDir dir("grant-rotation-bad-");
  ASSERT_OK_AND_ASSIGN(SigningKey key, GenerateSigningKey());
  const std::string key_file = dir.File("grant.key");
  ASSERT_OK(SaveSigningKey(key, key_file));
  ASSERT_OK_AND_ASSIGN(SigningKey loaded, LoadGrantKeyFile(key_file, dir.File("data"), ""));
  ReplaceFile(dir, key_file, "not a key\n");
  ASSERT_EQ(::chmod(key_file.c_str(), 0600), 0);
  absl::StatusOr<std::optional<SigningKey>> next =
      ReloadGrantKeyFile(key_file, loaded.Public(), dir.File("data"), "");
  EXPECT_FALSE(next.ok());
  EXPECT_NE(next.status().message().find("--grant-key-file"), std::string::npos);
  EXPECT_FALSE(LoadGrantKeyFile(dir.File("missing.key"), dir.File("data"), "").ok());
}

}  // namespace
}  // namespace freehold::coordinator
