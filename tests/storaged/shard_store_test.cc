// ShardStore over a real temporary data directory.
#include "services/storaged/core/shard_store.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "common/encoding.h"
#include "tests/storaged/storaged_test_util.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace freehold::storaged {
namespace {

using ::freehold::testing::StatusIs;
using ::testing::HasSubstr;
using namespace ::freehold::storaged::testing;  // NOLINT

class ShardStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<ShardStore> OpenStore(uint64_t capacity = 0, uint64_t reserve = 0,
                                        bool direct_io = true, size_t direct_buffer = 2 << 20) {
    ShardStoreOptions options;
    options.data_dir = dir_.path();
    options.capacity_bytes = capacity;
    options.reserve_bytes = reserve;
    options.direct_io = direct_io;
    options.direct_buffer_bytes = direct_buffer;
    absl::StatusOr<std::unique_ptr<ShardStore>> store =
        ShardStore::Open(options, nullptr, Logger("test", LogLevel::kError));
    EXPECT_OK(store);
    return store.ok() ? *std::move(store) : nullptr;
  }

  // Stores `data` under `key`; returns whether it was already present.
  absl::StatusOr<bool> Put(ShardStore& store, const std::string& key, const std::string& data) {
    absl::StatusOr<PutStart> start = store.BeginPut(key, data.size(), Sha256Of(data));
    if (!start.ok()) return start.status();
    if (start->already_present) return true;
    for (size_t off = 0; off < data.size(); off += 1000) {
      absl::Status s = start->writer->Append(std::string_view(data).substr(off, 1000));
      if (!s.ok()) return s;
    }
    return start->writer->Commit();
  }

  std::string ReadAll(ShardStore& store, const std::string& key) {
    absl::StatusOr<std::unique_ptr<ShardReader>> reader = store.Open(key);
    EXPECT_OK(reader);
    if (!reader.ok()) return "";
    std::string out;
    EXPECT_OK((*reader)->ReadAt(0, (*reader)->size(), &out));
    return out;
  }

  freehold::testing::TempDir dir_;
};

TEST_F(ShardStoreTest, StoresShardDurablyUnderFanOutPath) {
  auto store = OpenStore();
  const std::string data = PatternBytes(10000);
  const std::string key = ShardKey(1);
  ASSERT_OK_AND_ASSIGN(bool already, Put(*store, key, data));
  EXPECT_FALSE(already);
  EXPECT_EQ(ReadAll(*store, key), data);

  const std::string path = store->ShardPath(key, Sha256Of(data), false);
  EXPECT_TRUE(std::filesystem::exists(path));
  // shards/<2 hex>/<2 hex>/<key>.<sha256 hex>
  const std::string rel = std::filesystem::relative(path, dir_.path()).string();
  EXPECT_THAT(rel,
              ::testing::MatchesRegex("shards/[0-9a-f]{2}/[0-9a-f]{2}/" + key + "\\.[0-9a-f]{64}"));
  EXPECT_EQ(FileMode(path), 0600);
  EXPECT_EQ(CountFiles(dir_.File("tmp")), 0u);
  const StoreStats stats = store->Stats();
  EXPECT_EQ(stats.used_bytes, data.size());
  EXPECT_EQ(stats.shard_count, 1u);
}

// Both write paths (O_DIRECT through two small buffers, and buffered) store exactly
// the bytes given, whatever the chunking, including a tail shorter than a block.
TEST_F(ShardStoreTest, DirectAndBufferedWritesStoreExactBytes) {
  for (const bool direct : {true, false}) {
    SCOPED_TRACE(direct ? "O_DIRECT" : "buffered");
    auto store = OpenStore(0, 0, direct, /*direct_buffer=*/8192);
    for (const size_t size : {size_t{1}, size_t{4096}, size_t{8192}, size_t{100003}}) {
      const std::string data = PatternBytes(size, static_cast<uint32_t>(size));
      const std::string key = ShardKey(static_cast<int>(size), direct ? 1 : 2);
      ASSERT_OK_AND_ASSIGN(PutStart start, store->BeginPut(key, data.size(), Sha256Of(data)));
      for (size_t off = 0, step = 1; off < data.size(); off += step, step = step * 3 + 1) {
        ASSERT_OK(start.writer->Append(std::string_view(data).substr(off, step)));
      }
      ASSERT_OK_AND_ASSIGN(bool already, start.writer->Commit());
      EXPECT_FALSE(already);
      EXPECT_EQ(ReadAll(*store, key), data);
      EXPECT_EQ(std::filesystem::file_size(store->ShardPath(key, Sha256Of(data), false)), size);
    }
    store.reset();
    std::filesystem::remove_all(dir_.File("shards"));
  }
}

TEST_F(ShardStoreTest, ShortStreamIsRefusedAndLeavesNothing) {
  auto store = OpenStore();
  const std::string data = PatternBytes(5000);
  const auto before = SnapshotTree(dir_.path());
  ASSERT_OK_AND_ASSIGN(PutStart start, store->BeginPut(ShardKey(2), data.size(), Sha256Of(data)));
  ASSERT_OK(start.writer->Append(std::string_view(data).substr(0, 4000)));
  EXPECT_THAT(start.writer->Commit(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("grant.size_bytes")));
  EXPECT_EQ(SnapshotTree(dir_.path()), before);
  EXPECT_EQ(store->Stats().used_bytes, 0u);
  EXPECT_FALSE(store->Find(ShardKey(2)).has_value());
}

TEST_F(ShardStoreTest, BytesPastDeclaredSizeAreRefused) {
  auto store = OpenStore();
  const std::string data = PatternBytes(100);
  const auto before = SnapshotTree(dir_.path());
  {
    ASSERT_OK_AND_ASSIGN(PutStart start, store->BeginPut(ShardKey(3), 50, Sha256Of(data)));
    EXPECT_THAT(start.writer->Append(data),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("size_bytes")));
  }
  EXPECT_EQ(SnapshotTree(dir_.path()), before);
}

TEST_F(ShardStoreTest, WrongHashIsRefusedAndLeavesNothing) {
  auto store = OpenStore();
  const std::string data = PatternBytes(3000);
  const auto before = SnapshotTree(dir_.path());
  ASSERT_OK_AND_ASSIGN(PutStart start,
                       store->BeginPut(ShardKey(4), data.size(), Sha256Of("something else")));
  ASSERT_OK(start.writer->Append(data));
  EXPECT_THAT(start.writer->Commit(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("sha256 mismatch")));
  EXPECT_EQ(SnapshotTree(dir_.path()), before);
}

TEST_F(ShardStoreTest, AbandonedWriterRemovesTempFileAndReservation) {
  auto store = OpenStore(1 << 20);
  const uint64_t free_before = store->Stats().free_bytes;
  {
    ASSERT_OK_AND_ASSIGN(PutStart start, store->BeginPut(ShardKey(5), 4096, Sha256Of("x")));
    ASSERT_OK(start.writer->Append(std::string(100, 'x')));
    EXPECT_EQ(CountFiles(dir_.File("tmp")), 1u);
    EXPECT_EQ(store->Stats().free_bytes, free_before - 4096);
  }
  EXPECT_EQ(CountFiles(dir_.File("tmp")), 0u);
  EXPECT_EQ(store->Stats().free_bytes, free_before);
}

TEST_F(ShardStoreTest, SameShardAgainIsAlreadyPresent) {
  auto store = OpenStore();
  const std::string data = PatternBytes(2000);
  ASSERT_OK(Put(*store, ShardKey(6), data));
  const auto before = SnapshotTree(dir_.path());
  ASSERT_OK_AND_ASSIGN(bool already, Put(*store, ShardKey(6), data));
  EXPECT_TRUE(already);
  EXPECT_EQ(SnapshotTree(dir_.path()), before);
}

TEST_F(ShardStoreTest, OtherBytesUnderAnExistingKeyAreAlreadyExists) {
  auto store = OpenStore();
  ASSERT_OK(Put(*store, ShardKey(7), PatternBytes(2000, 1)));
  EXPECT_THAT(Put(*store, ShardKey(7), PatternBytes(2000, 2)),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("different sha256")));
  EXPECT_EQ(ReadAll(*store, ShardKey(7)), PatternBytes(2000, 1));
}

TEST_F(ShardStoreTest, RefusesPutThatWouldEatIntoTheReserve) {
  auto store = OpenStore(/*capacity=*/100000, /*reserve=*/20000);
  EXPECT_EQ(store->Stats().free_bytes, 80000u);
  ASSERT_OK(Put(*store, ShardKey(8), PatternBytes(50000)));
  EXPECT_EQ(store->Stats().free_bytes, 30000u);
  const auto before = SnapshotTree(dir_.path());
  EXPECT_THAT(Put(*store, ShardKey(9), PatternBytes(30001)),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("30000 free")));
  EXPECT_EQ(SnapshotTree(dir_.path()), before);
  ASSERT_OK(Put(*store, ShardKey(9), PatternBytes(30000)));
  EXPECT_EQ(store->Stats().free_bytes, 0u);
}

TEST_F(ShardStoreTest, InFlightPutsCountAgainstFreeSpace) {
  auto store = OpenStore(/*capacity=*/10000, /*reserve=*/0);
  ASSERT_OK_AND_ASSIGN(PutStart first, store->BeginPut(ShardKey(10), 6000, Sha256Of("a")));
  EXPECT_THAT(store->BeginPut(ShardKey(11), 6000, Sha256Of("b")),
              StatusIs(absl::StatusCode::kResourceExhausted));
  first.writer.reset();
  EXPECT_OK(store->BeginPut(ShardKey(11), 6000, Sha256Of("b")));
}

TEST_F(ShardStoreTest, ReopenRebuildsIndexAndRemovesLeftoverTempFiles) {
  const std::string data = PatternBytes(7000);
  {
    auto store = OpenStore();
    ASSERT_OK(Put(*store, ShardKey(12), data));
  }
  dir_.WriteFile("tmp/deadbeef.part", "half a shard");
  auto store = OpenStore();
  EXPECT_EQ(CountFiles(dir_.File("tmp")), 0u);
  EXPECT_EQ(store->Stats().used_bytes, data.size());
  EXPECT_EQ(store->Stats().shard_count, 1u);
  EXPECT_EQ(ReadAll(*store, ShardKey(12)), data);
}

TEST_F(ShardStoreTest, SecondStoreOnTheSameDirectoryIsRefused) {
  auto store = OpenStore();
  ShardStoreOptions options;
  options.data_dir = dir_.path();
  EXPECT_THAT(ShardStore::Open(options, nullptr, Logger("test", LogLevel::kError)),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("in use")));
}

TEST_F(ShardStoreTest, DeleteRemovesFileAndFreesSpace) {
  auto store = OpenStore();
  const std::string data = PatternBytes(4000);
  ASSERT_OK(Put(*store, ShardKey(13), data));
  const std::string path = store->ShardPath(ShardKey(13), Sha256Of(data), false);
  ASSERT_OK_AND_ASSIGN(bool existed, store->Delete(ShardKey(13)));
  EXPECT_TRUE(existed);
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_EQ(store->Stats().used_bytes, 0u);
  ASSERT_OK_AND_ASSIGN(existed, store->Delete(ShardKey(13)));
  EXPECT_FALSE(existed);
  EXPECT_THAT(store->Open(ShardKey(13)), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(ShardStoreTest, CorruptMarkSurvivesReopenAndRepairReplacesIt) {
  const std::string data = PatternBytes(4000);
  {
    auto store = OpenStore();
    ASSERT_OK(Put(*store, ShardKey(14), data));
    ASSERT_OK_AND_ASSIGN(auto reader, store->Open(ShardKey(14)));
    EXPECT_TRUE(store->MarkCorrupt(ShardKey(14), reader->generation()));
    EXPECT_FALSE(store->MarkCorrupt(ShardKey(14), reader->generation()));
    EXPECT_THAT(store->TakeNewlyCorrupt(), ::testing::ElementsAre(ShardKey(14)));
    EXPECT_TRUE(store->TakeNewlyCorrupt().empty());
    EXPECT_THAT(store->Open(ShardKey(14)), StatusIs(absl::StatusCode::kDataLoss));
  }
  auto store = OpenStore();
  EXPECT_EQ(store->Stats().corrupt_count, 1u);
  EXPECT_TRUE(std::filesystem::exists(store->ShardPath(ShardKey(14), Sha256Of(data), true)));
  // A repair writes the same shard again: it replaces the corrupt copy.
  ASSERT_OK_AND_ASSIGN(bool already, Put(*store, ShardKey(14), data));
  EXPECT_FALSE(already);
  EXPECT_EQ(store->Stats().corrupt_count, 0u);
  EXPECT_EQ(store->Stats().used_bytes, data.size());
  EXPECT_FALSE(std::filesystem::exists(store->ShardPath(ShardKey(14), Sha256Of(data), true)));
  EXPECT_EQ(ReadAll(*store, ShardKey(14)), data);
}

TEST_F(ShardStoreTest, MarkCorruptIgnoresAShardReplacedSinceItWasRead) {
  auto store = OpenStore();
  ASSERT_OK(Put(*store, ShardKey(15), "abc"));
  ASSERT_OK_AND_ASSIGN(auto reader, store->Open(ShardKey(15)));
  const uint64_t old_generation = reader->generation();
  ASSERT_OK(store->Delete(ShardKey(15)));
  ASSERT_OK(Put(*store, ShardKey(15), "abc"));
  EXPECT_FALSE(store->MarkCorrupt(ShardKey(15), old_generation));
  EXPECT_EQ(store->Stats().corrupt_count, 0u);
}

TEST_F(ShardStoreTest, ListKeysPagesInAscendingOrder) {
  auto store = OpenStore();
  for (int i = 20; i > 15; --i) ASSERT_OK(Put(*store, ShardKey(i), "x" + std::to_string(i)));
  EXPECT_THAT(store->ListKeys("", 2), ::testing::ElementsAre(ShardKey(16), ShardKey(17)));
  EXPECT_THAT(store->ListKeys(ShardKey(17), 10),
              ::testing::ElementsAre(ShardKey(18), ShardKey(19), ShardKey(20)));
}

TEST_F(ShardStoreTest, ReaderKeepsWorkingAfterDelete) {
  auto store = OpenStore();
  const std::string data = PatternBytes(3000);
  ASSERT_OK(Put(*store, ShardKey(21), data));
  ASSERT_OK_AND_ASSIGN(auto reader, store->Open(ShardKey(21)));
  ASSERT_OK(store->Delete(ShardKey(21)));
  std::string out;
  ASSERT_OK(reader->ReadAt(1000, 500, &out));
  EXPECT_EQ(out, data.substr(1000, 500));
}

TEST_F(ShardStoreTest, ZeroByteShardIsStored) {
  auto store = OpenStore();
  ASSERT_OK_AND_ASSIGN(bool already, Put(*store, ShardKey(22), ""));
  EXPECT_FALSE(already);
  EXPECT_EQ(store->Find(ShardKey(22))->size_bytes, 0u);
}

}  // namespace
}  // namespace freehold::storaged
