// Reed-Solomon (ISA-L) erasure coding: every combination of up to m missing
// shards decodes byte-exactly; corrupted shards are caught by their hash.
#include "common/erasure/erasure.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

#include "tests/client_core/test_util.h"
#include "tests/support/status_matchers.h"

namespace freehold::erasure {
namespace {

using ::freehold::testing::StatusIs;

// Calls fn(missing) for every subset of {0..n-1} with at most `max` elements.
template <typename Fn>
void ForEachSubset(int n, int max, Fn fn) {
  std::vector<int> cur;
  std::function<void(int)> rec = [&](int start) {
    fn(cur);
    if (static_cast<int>(cur.size()) == max) return;
    for (int i = start; i < n; ++i) {
      cur.push_back(i);
      rec(i + 1);
      cur.pop_back();
    }
  };
  rec(0);
}

std::vector<std::span<const uint8_t>> Present(const EncodedSegment& seg,
                                              const std::vector<int>& missing) {
  std::vector<std::span<const uint8_t>> shards;
  for (int i = 0; i < seg.k + seg.m; ++i) {
    bool gone = std::find(missing.begin(), missing.end(), i) != missing.end();
    shards.push_back(gone ? std::span<const uint8_t>() : seg.shard(i));
  }
  return shards;
}

TEST(ErasureTest, EveryCombinationOfUpToMMissingShardsDecodes) {
  const std::vector<std::pair<int, int>> params = {{1, 1}, {2, 1}, {3, 2}, {4, 2}, {6, 3}, {10, 4}};
  for (auto [k, m] : params) {
    ASSERT_OK_AND_ASSIGN(ReedSolomon rs, ReedSolomon::Create(k, m));
    for (size_t len : {size_t{1}, size_t{4097}, size_t{1000003}}) {
      if (len % k == 0 && k > 1) continue;
      std::vector<uint8_t> data = client::testing::RandomBytes(len, len * 7 + k);
      ASSERT_OK_AND_ASSIGN(EncodedSegment seg, EncodeSegment(rs, data));
      EXPECT_EQ(seg.shard_size, (len + k - 1) / k);
      // Data shards are the segment itself.
      EXPECT_TRUE(std::equal(data.begin(), data.end(), seg.storage.begin()));
      int combos = 0;
      ForEachSubset(k + m, m, [&](const std::vector<int>& missing) {
        ++combos;
        auto decoded = DecodeSegment(rs, len, Present(seg, missing), seg.hashes);
        ASSERT_OK(decoded.status());
        ASSERT_TRUE(*decoded == data) << k << "+" << m << " len " << len;
      });
      EXPECT_GT(combos, k + m);
    }
  }
}

TEST(ErasureTest, WideCodesUpTo20Plus8DecodeFromAnyKShards) {
  ASSERT_OK_AND_ASSIGN(ReedSolomon rs, ReedSolomon::Create(20, 8));
  const size_t len = 20 * 1000 + 13;
  std::vector<uint8_t> data = client::testing::RandomBytes(len, 77);
  ASSERT_OK_AND_ASSIGN(EncodedSegment seg, EncodeSegment(rs, data));
  // Every single and double loss, then random sets of exactly 8 lost shards.
  ForEachSubset(28, 2, [&](const std::vector<int>& missing) {
    auto decoded = DecodeSegment(rs, len, Present(seg, missing), seg.hashes);
    ASSERT_OK(decoded.status());
    ASSERT_TRUE(*decoded == data);
  });
  std::mt19937 rng(5);
  for (int trial = 0; trial < 300; ++trial) {
    std::vector<int> all(28);
    std::iota(all.begin(), all.end(), 0);
    std::shuffle(all.begin(), all.end(), rng);
    std::vector<int> missing(all.begin(), all.begin() + 8);
    auto decoded = DecodeSegment(rs, len, Present(seg, missing), seg.hashes);
    ASSERT_OK(decoded.status());
    ASSERT_TRUE(*decoded == data);
  }
}

TEST(ErasureTest, MoreThanMMissingIsDataLoss) {
  ASSERT_OK_AND_ASSIGN(ReedSolomon rs, ReedSolomon::Create(4, 2));
  std::vector<uint8_t> data = client::testing::RandomBytes(1001, 3);
  ASSERT_OK_AND_ASSIGN(EncodedSegment seg, EncodeSegment(rs, data));
  EXPECT_THAT(DecodeSegment(rs, data.size(), Present(seg, {0, 2, 5}), seg.hashes),
              StatusIs(absl::StatusCode::kDataLoss));
}

TEST(ErasureTest, CorruptedShardIsDetectedByHashAndTreatedAsMissing) {
  ASSERT_OK_AND_ASSIGN(ReedSolomon rs, ReedSolomon::Create(4, 2));
  std::vector<uint8_t> data = client::testing::RandomBytes(10007, 4);
  ASSERT_OK_AND_ASSIGN(EncodedSegment seg, EncodeSegment(rs, data));
  for (int bad : {0, 3, 4, 5}) {
    std::vector<uint8_t> corrupt(seg.shard(bad).begin(), seg.shard(bad).end());
    corrupt[corrupt.size() / 2] ^= 1;
    auto shards = Present(seg, {});
    shards[bad] = corrupt;
    std::vector<int> rejected;
    ASSERT_OK_AND_ASSIGN(auto decoded,
                         DecodeSegment(rs, data.size(), shards, seg.hashes, &rejected));
    EXPECT_EQ(decoded, data);
    EXPECT_EQ(rejected, std::vector<int>{bad});
    // Corruption plus two losses is one too many.
    std::vector<int> missing = {bad == 0 ? 1 : 0, bad == 5 ? 4 : 5};
    for (int i : missing) shards[i] = {};
    EXPECT_THAT(DecodeSegment(rs, data.size(), shards, seg.hashes),
                StatusIs(absl::StatusCode::kDataLoss));
  }
  // Without hashes the corruption would slip through: the hash is what catches it.
  std::vector<uint8_t> corrupt(seg.shard(0).begin(), seg.shard(0).end());
  corrupt[0] ^= 1;
  auto shards = Present(seg, {});
  shards[0] = corrupt;
  ASSERT_OK_AND_ASSIGN(auto unchecked, DecodeSegment(rs, data.size(), shards, {}));
  EXPECT_NE(unchecked, data);
}

TEST(ErasureTest, ReconstructRebuildsMissingParityForRepair) {
  ASSERT_OK_AND_ASSIGN(ReedSolomon rs, ReedSolomon::Create(5, 3));
  std::vector<uint8_t> data = client::testing::RandomBytes(5 * 999 + 1, 6);
  ASSERT_OK_AND_ASSIGN(EncodedSegment seg, EncodeSegment(rs, data));
  std::vector<std::vector<uint8_t>> bufs(8, std::vector<uint8_t>(seg.shard_size, 0));
  bool present[8];
  std::vector<uint8_t*> ptrs;
  for (int i = 0; i < 8; ++i) {
    present[i] = !(i == 1 || i == 5 || i == 7);
    if (present[i]) std::copy(seg.shard(i).begin(), seg.shard(i).end(), bufs[i].begin());
    ptrs.push_back(bufs[i].data());
  }
  ASSERT_OK(rs.Reconstruct(ptrs, std::span<const bool>(present, 8), seg.shard_size));
  for (int i = 0; i < 8; ++i) {
    EXPECT_TRUE(std::equal(bufs[i].begin(), bufs[i].end(), seg.shard(i).begin())) << i;
    EXPECT_EQ(bulk::Sha256Digest(bufs[i]), seg.hashes[i]);
  }
}

TEST(ErasureTest, RejectsBadParameters) {
  EXPECT_THAT(ReedSolomon::Create(0, 2), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ReedSolomon::Create(4, 0), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ReedSolomon::Create(65, 2), StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_OK_AND_ASSIGN(ReedSolomon rs, ReedSolomon::Create(4, 2));
  EXPECT_THAT(EncodeSegment(rs, std::span<const uint8_t>()),
              StatusIs(absl::StatusCode::kInvalidArgument));
  std::vector<std::span<const uint8_t>> too_few(3);
  EXPECT_THAT(DecodeSegment(rs, 10, too_few, {}), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace freehold::erasure
