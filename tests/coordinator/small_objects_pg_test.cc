// Small objects over real PostgreSQL (core/small_objects.h): inline objects count
// in usage and in recent writes (funding) like sharded bytes, have no segments for
// repair, are deleted with their row (no shard deletions queued), are all-or-none
// per batch (admission refusal stores nothing), and are found by name hash.
#include <gtest/gtest.h>

#include "common/status.h"
#include "coordinator/core/ids.h"
#include "coordinator/core/small_objects.h"
#include "coordinator/core/usage_source.h"
#include "tests/coordinator/coordinator_fixture.h"
#include "tests/support/status_matchers.h"

namespace freehold::coordinator::testing {
namespace {

class RefuseAll : public AdmissionController {
 public:
  absl::Status AdmitWrite(const WriteRequest&) override {
    return absl::ResourceExhaustedError("writes are paused");
  }
};

class SmallObjectsPgTest : public CoordinatorPgTest {
 protected:
  InlineObjectInput Object(size_t payload, char hash) const {
    return InlineObjectInput{"meta", "age-header", std::string(payload, 'p'),
                             std::string(kNameHashBytes, hash)};
  }
};

TEST_F(SmallObjectsPgTest, InlineObjectsCountInUsageAndRecentWritesAndDeleteWithTheirRow) {
  AddNodes(6);
  Caller alice = NewAccount();
  ASSERT_OK(UploadObject(alice, 100000).status());  // one sharded object
  StoreUsageSource source(*store_);
  ASSERT_OK_AND_ASSIGN(UsageFigures before, source.Read(clock_.Now() - absl::Minutes(1)));

  SmallObjects small(*store_, clock_, config_, admission_, log_);
  ASSERT_OK_AND_ASSIGN(InlineCommit done,
                       small.PutInline(alice, {Object(1000, 'a'), Object(2000, 'b')}));
  ASSERT_EQ(done.object_ids.size(), 2u);
  ASSERT_OK_AND_ASSIGN(UsageFigures after, source.Read(clock_.Now() - absl::Minutes(1)));
  EXPECT_EQ(after.logical_bytes, before.logical_bytes + 3000);
  EXPECT_EQ(after.raw_bytes, before.raw_bytes + 3000);
  ASSERT_EQ(after.recent.size(), 1u);
  EXPECT_EQ(after.recent[0].bytes, before.recent[0].bytes + 3000);

  // No segments: nothing for repair; the manifest carries the payload.
  ASSERT_OK_AND_ASSIGN(ObjectManifest m, catalog_->Get(&alice, done.object_ids[1]));
  EXPECT_TRUE(m.is_inline);
  EXPECT_EQ(m.inline_payload, std::string(2000, 'p'));
  EXPECT_TRUE(m.segments.empty());

  // Found by name hash, own objects only.
  ASSERT_OK_AND_ASSIGN(std::vector<NameMatches> found,
                       small.FindByNames(alice, {std::string(kNameHashBytes, 'b')}));
  ASSERT_EQ(found.size(), 1u);
  ASSERT_EQ(found[0].objects.size(), 1u);
  EXPECT_EQ(found[0].objects[0].object_id, done.object_ids[1]);
  ASSERT_OK_AND_ASSIGN(found, small.FindByNames(NewAccount(), {std::string(kNameHashBytes, 'b')}));
  EXPECT_TRUE(found[0].objects.empty());

  int64_t queued = 0;
  ASSERT_OK(store_->Read([&](MetadataTxn& txn) -> absl::Status {
    FH_ASSIGN_OR_RETURN(queued, txn.deletions().Size());
    return absl::OkStatus();
  }));
  ASSERT_OK(catalog_->Delete(alice, done.object_ids[0]));
  int64_t queued_after = -1;
  ASSERT_OK(store_->Read([&](MetadataTxn& txn) -> absl::Status {
    FH_ASSIGN_OR_RETURN(queued_after, txn.deletions().Size());
    return absl::OkStatus();
  }));
  EXPECT_EQ(queued_after, queued);
  ASSERT_OK_AND_ASSIGN(UsageFigures deleted, source.Read(clock_.Now() - absl::Minutes(1)));
  EXPECT_EQ(deleted.logical_bytes, before.logical_bytes + 2000);
  EXPECT_EQ(catalog_->Get(&alice, done.object_ids[0]).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(SmallObjectsPgTest, RefusedOrInvalidBatchesStoreNothing) {
  Caller alice = NewAccount();
  RefuseAll refuse;
  SmallObjects refusing(*store_, clock_, config_, refuse, log_);
  EXPECT_EQ(refusing.PutInline(alice, {Object(10, 'a')}).status().code(),
            absl::StatusCode::kResourceExhausted);
  SmallObjects small(*store_, clock_, config_, admission_, log_);
  absl::Status big = small.PutInline(alice, {Object(10, 'a'), Object(65537, 'b')}).status();
  EXPECT_EQ(big.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(big.message().find("objects[1].payload"), absl::string_view::npos) << big;
  ASSERT_OK_AND_ASSIGN(ObjectPage page, catalog_->List(alice, 0, ""));
  EXPECT_TRUE(page.objects.empty());

  config_.inline_max_bytes = 0;  // inlining disabled
  EXPECT_EQ(small.PutInline(alice, {Object(10, 'a')}).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(SmallObjectsPgTest, ClientChosenIdsAreUsedAndCheckedPerEntry) {
  Caller alice = NewAccount();
  SmallObjects small(*store_, clock_, config_, admission_, log_);
  InlineObjectInput a = Object(10, 'a');
  a.object_id = NewUuid();
  InlineObjectInput b = Object(10, 'b');  // no id: the coordinator picks one
  ASSERT_OK_AND_ASSIGN(InlineCommit done, small.PutInline(alice, {a, b}));
  ASSERT_EQ(done.object_ids.size(), 2u);
  EXPECT_EQ(done.object_ids[0], a.object_id);
  EXPECT_NE(done.object_ids[1], a.object_id);
  // A taken id refuses the whole batch; so do repeated or malformed ids.
  InlineObjectInput c = Object(10, 'c');
  c.object_id = NewUuid();
  EXPECT_EQ(small.PutInline(alice, {c, a}).status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(catalog_->Get(&alice, c.object_id).status().code(), absl::StatusCode::kNotFound);
  absl::Status twice = small.PutInline(alice, {c, c}).status();
  EXPECT_EQ(twice.code(), absl::StatusCode::kInvalidArgument) << twice;
  EXPECT_NE(twice.message().find("objects[1].object_id"), absl::string_view::npos) << twice;
  c.object_id = "garbage";
  EXPECT_EQ(small.PutInline(alice, {c}).status().code(), absl::StatusCode::kInvalidArgument);
}

// GetObjects reads every row of a batch in one statement (ObjectRepository::GetMany):
// answers stay in request order, per id, and another account's object or an
// unknown id answers NOT_FOUND without failing the batch.
TEST_F(SmallObjectsPgTest, GetManyAnswersEachIdInRequestOrder) {
  Caller alice = NewAccount();
  Caller bob = NewAccount();
  SmallObjects small(*store_, clock_, config_, admission_, log_);
  ASSERT_OK_AND_ASSIGN(
      InlineCommit mine,
      small.PutInline(alice, {Object(100, 'a'), Object(200, 'b'), Object(300, 'c')}));
  ASSERT_OK_AND_ASSIGN(InlineCommit theirs, small.PutInline(bob, {Object(400, 'd')}));
  const std::string unknown = NewUuid();
  const std::vector<std::string> ids = {mine.object_ids[2], unknown, theirs.object_ids[0],
                                        mine.object_ids[0], mine.object_ids[2]};
  ASSERT_OK_AND_ASSIGN(auto got, catalog_->GetMany(alice, ids, 1 << 20));
  ASSERT_EQ(got.size(), ids.size());
  const size_t sizes[] = {300, 0, 0, 100, 300};
  for (size_t i = 0; i < ids.size(); ++i) {
    if (sizes[i] == 0) {
      EXPECT_EQ(got[i].status().code(), absl::StatusCode::kNotFound) << i;
      continue;
    }
    ASSERT_OK(got[i].status());
    EXPECT_EQ(got[i]->object.object_id, ids[i]) << i;
    EXPECT_EQ(got[i]->inline_payload, std::string(sizes[i], 'p')) << i;
  }
}

}  // namespace
}  // namespace freehold::coordinator::testing
