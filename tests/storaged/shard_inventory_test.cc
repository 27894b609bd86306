// The shard store's inventory (count and XOR of SHA-256(key) over intact shards) that
// heartbeats carry for the coordinator's reconciliation: kept exact across puts,
// deletes, condemned shards and reopening (a rescan of the disk).
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "common/bulk/sha256.h"
#include "services/storaged/core/shard_store.h"
#include "tests/storaged/storaged_test_util.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace freehold::storaged {
namespace {

using namespace ::freehold::storaged::testing;  // NOLINT

bulk::Sha256Hash DigestOf(const std::set<std::string>& keys) {
  bulk::Sha256Hash d{};
  for (const std::string& k : keys) {
    const bulk::Sha256Hash h = bulk::Sha256Digest(std::string_view(k));
    for (size_t i = 0; i < d.size(); ++i) d[i] ^= h[i];
  }
  return d;
}

class ShardInventoryTest : public ::testing::Test {
 protected:
  std::unique_ptr<ShardStore> OpenStore() {
    ShardStoreOptions options;
    options.data_dir = dir_.path();
    options.direct_io = false;
    absl::StatusOr<std::unique_ptr<ShardStore>> store =
        ShardStore::Open(options, nullptr, Logger("test", LogLevel::kError));
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }
  void Put(ShardStore& store, const std::string& key, const std::string& data) {
    absl::StatusOr<PutStart> start = store.BeginPut(key, data.size(), Sha256Of(data));
    ASSERT_TRUE(start.ok()) << start.status();
    ASSERT_OK(start->writer->Append(data));
    ASSERT_OK(start->writer->Commit().status());
  }
  void ExpectInventory(ShardStore& store, const std::set<std::string>& keys) {
    const StoreStats s = store.Stats();
    EXPECT_EQ(s.inventory_count, keys.size());
    EXPECT_EQ(s.inventory_digest, DigestOf(keys));
  }
  freehold::testing::TempDir dir_;
};

TEST_F(ShardInventoryTest, CountAndDigestFollowTheIntactShards) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  ExpectInventory(*store, {});
  std::set<std::string> keys;
  for (int i = 1; i <= 5; ++i) {
    Put(*store, ShardKey(i), "data " + std::to_string(i));
    keys.insert(ShardKey(i));
  }
  ExpectInventory(*store, keys);
  ASSERT_OK(store->Delete(ShardKey(2)).status());
  keys.erase(ShardKey(2));
  ExpectInventory(*store, keys);
  // A condemned shard leaves the inventory (the coordinator learns of it as corrupt).
  absl::StatusOr<std::unique_ptr<ShardReader>> reader = store->Open(ShardKey(3));
  ASSERT_TRUE(reader.ok());
  ASSERT_TRUE(store->MarkCorrupt(ShardKey(3), (*reader)->generation()));
  keys.erase(ShardKey(3));
  ExpectInventory(*store, keys);
  // A rescan after a restart gives the same figures.
  store.reset();
  store = OpenStore();
  ASSERT_NE(store, nullptr);
  ExpectInventory(*store, keys);
}

}  // namespace
}  // namespace freehold::storaged
