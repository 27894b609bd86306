// Batched segments (ObjectWriter::BeginSegments / CommitSegments) over real
// PostgreSQL: several objects per batch, all or nothing, per-item validation
// naming the item, the batch limit, idempotent retries and degraded commits.
#include <gtest/gtest.h>

#include <set>

#include "common/status.h"
#include "coordinator/core/ids.h"
#include "tests/coordinator/coordinator_fixture.h"
#include "tests/support/status_matchers.h"

namespace freehold::coordinator::testing {
namespace {

using ::freehold::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr uint64_t kSeg = 64 << 10;

class SegmentBatchTest : public CoordinatorPgTest {
 protected:
  // A fresh uploading object of `segments` full segments.
  std::string NewObject(const Caller& owner, int segments) {
    CreateObjectInput create{"meta", "hdr", kSeg * static_cast<uint64_t>(segments)};
    absl::StatusOr<CreatedObject> created = writer_->CreateObject(owner, create);
    EXPECT_TRUE(created.ok()) << created.status();
    return created.ok() ? created->object_id : "";
  }
  BeginSegmentInput Item(const std::string& object_id, int segment, char seed) const {
    BeginSegmentInput in;
    in.object_id = object_id;
    in.segment = segment;
    in.segment_size_bytes = kSeg;
    in.shard_size_bytes = kSeg / 4;
    in.shard_sha256 = Hashes(6, seed);
    return in;
  }
  std::vector<CommitSegmentInput> CommitsFor(const std::vector<BeginSegmentInput>& begun,
                                             const std::vector<SegmentTargets>& targets) const {
    std::vector<CommitSegmentInput> out;
    for (size_t i = 0; i < begun.size(); ++i) {
      out.push_back({begun[i].object_id, begun[i].segment,
                     ReceiptsFor(targets[i], begun[i].shard_size_bytes, begun[i].shard_sha256)});
    }
    return out;
  }
};

TEST_F(SegmentBatchTest, BeginsAndCommitsSegmentsOfSeveralObjectsInOneBatch) {
  AddNodes(8);
  Caller owner = NewAccount();
  const std::string a = NewObject(owner, 3);
  const std::string b = NewObject(owner, 2);
  // Interleaved, out of order: each answer belongs to its item.
  std::vector<BeginSegmentInput> items = {Item(a, 2, 'a'), Item(b, 0, 'b'), Item(a, 0, 'c'),
                                          Item(b, 1, 'd'), Item(a, 1, 'e')};
  ASSERT_OK_AND_ASSIGN(std::vector<SegmentTargets> targets, writer_->BeginSegments(owner, items));
  ASSERT_EQ(targets.size(), items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    ASSERT_EQ(targets[i].shards.size(), 6u);
    EXPECT_EQ(targets[i].min_shards_to_commit, 5);
    std::set<std::string> hosts;
    for (const ShardTarget& t : targets[i].shards) {
      EXPECT_EQ(t.shard_key,
                ShardKey(items[i].object_id, static_cast<int>(items[i].segment), t.index));
      EXPECT_EQ(t.node_address, NodeById(t.node_id).address);
      hosts.insert(NodeById(t.node_id).domain.host);
    }
    EXPECT_EQ(hosts.size(), 6u) << "item " << i;
  }
  // Nothing visible before CommitObject; CommitObject needs every segment committed.
  EXPECT_THAT(writer_->CommitObject(owner, a, 3),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("not committed")));
  ASSERT_OK_AND_ASSIGN(CommittedBatch done,
                       writer_->CommitSegments(owner, CommitsFor(items, targets)));
  EXPECT_EQ(done.missing_shards, std::vector<int>(5, 0));
  EXPECT_TRUE(done.committed_at.empty());
  ASSERT_OK(writer_->CommitObject(owner, a, 3).status());
  ASSERT_OK(writer_->CommitObject(owner, b, 2).status());
  ASSERT_OK_AND_ASSIGN(ObjectManifest m, catalog_->Get(&owner, a));
  ASSERT_EQ(m.segments.size(), 3u);
  for (const SegmentManifest& s : m.segments) {
    ASSERT_EQ(s.shards.size(), 6u);
    for (const auto& shard : s.shards) EXPECT_EQ(shard.state, ShardState::kHealthy);
  }
  // The hashes of item 0 (segment 2 of a) are where they were begun.
  EXPECT_EQ(m.segments[2].shards[3].sha256, items[0].shard_sha256[3]);
  ASSERT_OK_AND_ASSIGN(ObjectManifest mb, catalog_->Get(&owner, b));
  EXPECT_EQ(mb.segments.size(), 2u);
}

TEST_F(SegmentBatchTest, ABadBeginItemRejectsTheBatchAndStoresNothing) {
  AddNodes(8);
  Caller owner = NewAccount();
  const std::string a = NewObject(owner, 3);
  std::vector<BeginSegmentInput> items = {Item(a, 0, 'a'), Item(a, 1, 'b'), Item(a, 2, 'c')};
  items[2].shard_size_bytes = 7;  // not the layout's shard size
  EXPECT_THAT(writer_->BeginSegments(owner, items),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("segments[2]"), HasSubstr("shard_size"))));
  items[2].shard_sha256.pop_back();  // and too few hashes
  items[2].shard_size_bytes = kSeg / 4;
  EXPECT_THAT(writer_->BeginSegments(owner, items),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("segments[2]")));
  // Nothing was begun: committing segment 0 finds no segment.
  EXPECT_THAT(writer_->CommitSegment(owner, {a, 0, {}}),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("not begun")));
}

TEST_F(SegmentBatchTest, ABadReceiptRejectsTheCommitBatchAndCommitsNothing) {
  AddNodes(8);
  Caller owner = NewAccount();
  const std::string a = NewObject(owner, 2);
  const std::string b = NewObject(owner, 1);
  std::vector<BeginSegmentInput> items = {Item(a, 0, 'a'), Item(a, 1, 'b'), Item(b, 0, 'c')};
  ASSERT_OK_AND_ASSIGN(std::vector<SegmentTargets> targets, writer_->BeginSegments(owner, items));
  std::vector<CommitSegmentInput> commits = CommitsFor(items, targets);
  // Item 1 carries item 2's receipt: signed, but for another shard key.
  commits[1].receipts[0] = commits[2].receipts[0];
  EXPECT_THAT(writer_->CommitSegments(owner, commits),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("segments[1]"), HasSubstr("receipts[0]"))));
  // Too few receipts for item 2 (fewer than k+1).
  commits = CommitsFor(items, targets);
  commits[2].receipts.resize(3);
  EXPECT_THAT(writer_->CommitSegments(owner, commits),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("segments[2]"), HasSubstr("at least 5"))));
  // Item 0 was valid both times, yet is not committed.
  EXPECT_THAT(writer_->CommitObject(owner, a, 2),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("segment 0 is not")));
}

TEST_F(SegmentBatchTest, ValidationNamesTheItemAndField) {
  AddNodes(8);
  Caller owner = NewAccount();
  const std::string a = NewObject(owner, 3);
  EXPECT_THAT(writer_->BeginSegments(owner, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty")));
  EXPECT_THAT(writer_->CommitSegments(owner, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty")));
  EXPECT_THAT(writer_->CommitSegments(owner, {}, {{a, 3}, {"nope", 3}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("objects[1].object_id")));
  EXPECT_THAT(writer_->CommitSegments(owner, {}, {{a, 3}, {a, 3}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("objects[1] repeats")));
  std::vector<BeginSegmentInput> items = {Item(a, 0, 'a'), Item("not-a-uuid", 1, 'b')};
  EXPECT_THAT(writer_->BeginSegments(owner, items),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("segments[1].object_id")));
  items = {Item(a, 0, 'a'), Item(a, -1, 'b')};
  EXPECT_THAT(writer_->BeginSegments(owner, items),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("segments[1].segment")));
  items = {Item(a, 0, 'a'), Item(a, 1, 'b'), Item(a, 0, 'a')};
  EXPECT_THAT(
      writer_->BeginSegments(owner, items),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("segments[2] repeats segments[0]")));
  EXPECT_THAT(
      writer_->CommitSegments(owner, {{a, 1, {}}, {a, 1, {}}}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("segments[1] repeats segments[0]")));
  // Another account's object answers as an unknown one, naming the item.
  Caller stranger = NewAccount();
  const std::string theirs = NewObject(stranger, 1);
  items = {Item(a, 0, 'a'), Item(theirs, 0, 'b')};
  EXPECT_THAT(writer_->BeginSegments(owner, items),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("segments[1]")));
  // A segment beyond the object's size.
  items = {Item(a, 3, 'a')};
  EXPECT_THAT(writer_->BeginSegments(owner, items),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("segments[0]")));
  // Nothing of all that was stored.
  EXPECT_THAT(writer_->CommitSegment(owner, {a, 0, {}}),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("not begun")));
}

TEST_F(SegmentBatchTest, BatchesAboveTheLimitAreRefused) {
  AddNodes(8);
  config_.max_segments_per_batch = 4;  // the writer reads the config it was given
  Caller owner = NewAccount();
  const std::string a = NewObject(owner, 5);
  std::vector<BeginSegmentInput> items;
  for (int s = 0; s < 5; ++s) items.push_back(Item(a, s, static_cast<char>('a' + s)));
  EXPECT_THAT(writer_->BeginSegments(owner, items),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("5 items"), HasSubstr("at most 4"))));
  items.pop_back();
  ASSERT_OK_AND_ASSIGN(std::vector<SegmentTargets> targets, writer_->BeginSegments(owner, items));
  std::vector<CommitSegmentInput> commits = CommitsFor(items, targets);
  commits.push_back(commits.back());
  commits.back().segment = 4;
  EXPECT_THAT(writer_->CommitSegments(owner, commits),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("at most 4")));
  // Objects count too: 4 segments and an object are 5 items.
  commits.pop_back();
  EXPECT_THAT(writer_->CommitSegments(owner, commits, {{a, 5}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("at most 4")));
}

TEST_F(SegmentBatchTest, CommitsTheLastSegmentsAndTheirObjectsInOneTransaction) {
  AddNodes(8);
  Caller owner = NewAccount();
  const std::string a = NewObject(owner, 2);
  const std::string b = NewObject(owner, 1);
  std::vector<BeginSegmentInput> items = {Item(a, 0, 'a'), Item(a, 1, 'b'), Item(b, 0, 'c')};
  ASSERT_OK_AND_ASSIGN(std::vector<SegmentTargets> targets, writer_->BeginSegments(owner, items));
  std::vector<CommitSegmentInput> commits = CommitsFor(items, targets);
  // An object whose segments are not all in the batch (b's segment missing) fails
  // the whole batch, naming the object: nothing is committed.
  std::vector<CommitSegmentInput> partial = {commits[0], commits[1]};
  EXPECT_THAT(writer_->CommitSegments(owner, partial, {{a, 2}, {b, 1}}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("objects[1]"), HasSubstr("segment 0 is not committed"))));
  EXPECT_THAT(writer_->CommitObject(owner, a, 2),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("not committed")));
  // A wrong segment count names the object and the field.
  EXPECT_THAT(writer_->CommitSegments(owner, commits, {{a, 3}}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("objects[0]"), HasSubstr("segment_count"))));
  // Another account's object is unknown.
  Caller stranger = NewAccount();
  const std::string theirs = NewObject(stranger, 1);
  EXPECT_THAT(writer_->CommitSegments(owner, commits, {{theirs, 1}}),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("objects[0]")));
  ASSERT_OK_AND_ASSIGN(CommittedBatch done,
                       writer_->CommitSegments(owner, commits, {{a, 2}, {b, 1}}));
  ASSERT_EQ(done.committed_at.size(), 2u);
  EXPECT_EQ(done.committed_at[0], clock_.Now());
  ASSERT_OK(catalog_->Get(&owner, a).status());
  ASSERT_OK(catalog_->Get(&owner, b).status());
  // Retried later: the first commit time.
  clock_.Advance(absl::Seconds(3));
  ASSERT_OK_AND_ASSIGN(CommittedBatch again,
                       writer_->CommitSegments(owner, commits, {{a, 2}, {b, 1}}));
  EXPECT_EQ(again.committed_at, done.committed_at);
}

TEST_F(SegmentBatchTest, RetriedBatchesAreIdempotent) {
  AddNodes(8);
  Caller owner = NewAccount();
  const std::string a = NewObject(owner, 2);
  const std::string b = NewObject(owner, 1);
  std::vector<BeginSegmentInput> items = {Item(a, 0, 'a'), Item(a, 1, 'b'), Item(b, 0, 'c')};
  ASSERT_OK_AND_ASSIGN(std::vector<SegmentTargets> first, writer_->BeginSegments(owner, items));
  // Begun again (a lost answer): the same nodes, fresh grants.
  clock_.Advance(absl::Seconds(5));
  ASSERT_OK_AND_ASSIGN(std::vector<SegmentTargets> again, writer_->BeginSegments(owner, items));
  for (size_t i = 0; i < items.size(); ++i) {
    for (size_t s = 0; s < 6; ++s) {
      EXPECT_EQ(again[i].shards[s].node_id, first[i].shards[s].node_id);
    }
    EXPECT_EQ(again[i].grants_expire_at, first[i].grants_expire_at + absl::Seconds(5));
  }
  // The same segment begun with other hashes is refused, naming the item.
  std::vector<BeginSegmentInput> changed = items;
  changed[1].shard_sha256 = Hashes(6, 'z');
  EXPECT_THAT(writer_->BeginSegments(owner, changed),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("segments[1]"), HasSubstr("cannot change"))));
  const std::vector<CommitSegmentInput> commits = CommitsFor(items, first);
  ASSERT_OK(writer_->CommitSegments(owner, commits).status());
  ASSERT_OK_AND_ASSIGN(CommittedBatch done, writer_->CommitSegments(owner, commits));  // a retry
  EXPECT_EQ(done.missing_shards, std::vector<int>(3, 0));
  // A batch mixing committed and new segments commits the new ones only.
  const std::string c = NewObject(owner, 1);
  std::vector<BeginSegmentInput> more = {Item(c, 0, 'd')};
  ASSERT_OK_AND_ASSIGN(std::vector<SegmentTargets> t2, writer_->BeginSegments(owner, more));
  std::vector<CommitSegmentInput> mixed = commits;
  mixed.push_back(CommitsFor(more, t2)[0]);
  ASSERT_OK_AND_ASSIGN(done, writer_->CommitSegments(owner, mixed));
  EXPECT_EQ(done.missing_shards, std::vector<int>(4, 0));
  // Committed segments cannot be begun again.
  EXPECT_THAT(writer_->BeginSegments(owner, items),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("segments[0]"), HasSubstr("already committed"))));
  ASSERT_OK(writer_->CommitObject(owner, a, 2).status());
  ASSERT_OK(writer_->CommitObject(owner, b, 1).status());
  ASSERT_OK(writer_->CommitObject(owner, c, 1).status());
}

TEST_F(SegmentBatchTest, DegradedItemsReportTheirMissingShards) {
  AddNodes(8);
  Caller owner = NewAccount();
  const std::string a = NewObject(owner, 2);
  std::vector<BeginSegmentInput> items = {Item(a, 0, 'a'), Item(a, 1, 'b')};
  ASSERT_OK_AND_ASSIGN(std::vector<SegmentTargets> targets, writer_->BeginSegments(owner, items));
  std::vector<CommitSegmentInput> commits = CommitsFor(items, targets);
  commits[1].receipts.pop_back();  // shard 5 of segment 1 was not stored
  ASSERT_OK_AND_ASSIGN(CommittedBatch done, writer_->CommitSegments(owner, commits));
  EXPECT_EQ(done.missing_shards, (std::vector<int>{0, 1}));
  ASSERT_OK(writer_->CommitObject(owner, a, 2).status());
  ASSERT_OK_AND_ASSIGN(ObjectManifest m, catalog_->Get(&owner, a));
  ASSERT_EQ(m.segments.size(), 2u);
  int healthy = 0;
  for (const auto& shard : m.segments[1].shards) healthy += shard.state == ShardState::kHealthy;
  EXPECT_EQ(healthy, 5);
}

}  // namespace
}  // namespace freehold::coordinator::testing
