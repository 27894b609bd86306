// The trash window over real PostgreSQL (core/trash.h, migration 0009): a delete makes
// an object unreadable for everyone at once but keeps it (counted as used, restorable);
// restore brings it back with its shares and public link; the window's end or an
// explicit empty purges it through the GC path (shard deletions not before the last PUT
// grant expires); name collisions on restore are refused unless keep_both.
#include <gtest/gtest.h>

#include <algorithm>

#include "common/status.h"
#include "coordinator/core/small_objects.h"
#include "coordinator/core/trash.h"
#include "tests/coordinator/coordinator_fixture.h"
#include "tests/support/status_matchers.h"

namespace freehold::coordinator::testing {
namespace {

using ::testing::HasSubstr;

class TrashPgTest : public CoordinatorPgTest {
 protected:
  void SetUp() override {
    CoordinatorPgTest::SetUp();
    if (HasFatalFailure()) return;
    config_.trash_window = absl::Hours(1);
    trash_ = std::make_unique<TrashBin>(*store_, clock_, config_, metrics_.get(), log_);
    small_ = std::make_unique<SmallObjects>(*store_, clock_, config_, admission_, log_);
  }

  int64_t QueuedDeletions() {
    int64_t n = -1;
    EXPECT_OK(store_->Read([&](MetadataTxn& txn) -> absl::Status {
      FH_ASSIGN_OR_RETURN(n, txn.deletions().Size());
      return absl::OkStatus();
    }));
    return n;
  }
  StoredTotals Totals() {
    StoredTotals t;
    EXPECT_OK(store_->Read([&](MetadataTxn& txn) -> absl::Status {
      FH_ASSIGN_OR_RETURN(t, txn.stats().Totals());
      return absl::OkStatus();
    }));
    return t;
  }
  bool RowExists(const std::string& id) {
    bool found = false;
    EXPECT_OK(store_->Read([&](MetadataTxn& txn) -> absl::Status {
      FH_ASSIGN_OR_RETURN(std::optional<ObjectRecord> o, txn.objects().Get(id, false));
      found = o.has_value();
      return absl::OkStatus();
    }));
    return found;
  }
  double PurgedCounter() {
    for (const prometheus::MetricFamily& f : metrics_registry_.Collect()) {
      if (f.name == "freehold_trash_purged_total" && !f.metric.empty()) {
        return f.metric[0].counter.value;
      }
    }
    return -1;
  }
  std::string InlineObject(const Caller& owner, char name) {
    absl::StatusOr<InlineCommit> done = small_->PutInline(
        owner, {InlineObjectInput{"meta", "age-header", std::string(500, 'p'),
                                  std::string(kNameHashBytes, name)}});
    EXPECT_OK(done.status());
    return done.ok() ? done->object_ids[0] : "";
  }

  std::unique_ptr<TrashBin> trash_;
  std::unique_ptr<SmallObjects> small_;
};

TEST_F(TrashPgTest, DeleteHidesAtOnceFromEveryReaderAndRestoreBringsItBack) {
  AddNodes(6);
  Caller owner = NewAccount();
  Caller friend_ = NewAccount();
  Caller stranger = NewAccount();
  ASSERT_OK_AND_ASSIGN(std::string id, UploadObject(owner, 100000));
  ASSERT_OK(catalog_->UpdateHeader(owner, id, "age-header-2", {friend_.account_id}));
  ASSERT_OK(catalog_->SetPublicLink(owner, id, true, "age-header-3"));
  ASSERT_OK(catalog_->Get(nullptr, id).status());
  ASSERT_OK(catalog_->Get(&friend_, id).status());
  const StoredTotals before = Totals();

  absl::Time purge_at;
  ASSERT_OK(catalog_->Delete(owner, id, &purge_at));
  EXPECT_EQ(purge_at, clock_.Now() + absl::Hours(1));
  // Nobody reads it any more: owner, share, public link; the message says why.
  for (const Caller* c : std::vector<const Caller*>{&owner, &friend_, nullptr}) {
    absl::Status s = catalog_->Get(c, id).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kNotFound) << s;
    EXPECT_THAT(std::string(s.message()), HasSubstr("in the trash")) << s;
  }
  // Anyone may read a public object, so any account learns it is in the trash; of a
  // private one a stranger learns nothing: the answer of an id that does not exist.
  EXPECT_THAT(std::string(catalog_->Get(&stranger, id).status().message()),
              HasSubstr("in the trash"));
  ASSERT_OK_AND_ASSIGN(std::string private_id, UploadObject(owner, 1000));
  ASSERT_OK(catalog_->Delete(owner, private_id));
  EXPECT_EQ(catalog_->Get(&stranger, private_id).status(), ObjectNotFoundError(private_id));
  EXPECT_EQ(catalog_->Get(nullptr, private_id).status(), ObjectNotFoundError(private_id));
  ASSERT_OK(trash_->Empty(owner, {private_id}).status());
  ASSERT_OK_AND_ASSIGN(auto many, catalog_->GetMany(owner, {id}, 1 << 20));
  ASSERT_EQ(many.size(), 1u);
  EXPECT_EQ(many[0].status().code(), absl::StatusCode::kNotFound);
  ASSERT_OK_AND_ASSIGN(ObjectPage page, catalog_->List(owner, 0, ""));
  EXPECT_TRUE(page.objects.empty());
  ASSERT_OK_AND_ASSIGN(page, catalog_->List(friend_, 0, ""));
  EXPECT_TRUE(page.objects.empty());
  // Not changeable, not deletable twice; nothing is queued for deletion yet.
  EXPECT_EQ(catalog_->UpdateHeader(owner, id, "h", {}).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(catalog_->SetPublicLink(owner, id, false, "").status().code(),
            absl::StatusCode::kFailedPrecondition);
  absl::Status again = catalog_->Delete(owner, id);
  EXPECT_EQ(again.code(), absl::StatusCode::kFailedPrecondition) << again;
  EXPECT_THAT(std::string(again.message()), HasSubstr("trash"));
  EXPECT_EQ(QueuedDeletions(), 6);  // only the emptied private object's shards
  // Still counted as used (funding), and as trash.
  const StoredTotals during = Totals();
  EXPECT_EQ(during.logical_bytes, before.logical_bytes);
  EXPECT_EQ(during.objects, before.objects);
  EXPECT_EQ(during.trash_objects, 1u);
  EXPECT_EQ(during.trash_bytes, 100000u);

  ASSERT_OK_AND_ASSIGN(TrashPage listed, trash_->List(owner, 0, ""));
  ASSERT_EQ(listed.objects.size(), 1u);
  EXPECT_EQ(listed.objects[0].object.object_id, id);
  EXPECT_EQ(listed.objects[0].purge_at, purge_at);
  ASSERT_OK_AND_ASSIGN(listed, trash_->List(friend_, 0, ""));
  EXPECT_TRUE(listed.objects.empty());  // only the owner's trash

  // Only the owner restores; then everything is as before the delete.
  EXPECT_EQ(trash_->Restore(friend_, {id}, false), ObjectNotFoundError(id));
  ASSERT_OK(trash_->Restore(owner, {id}, false));
  ASSERT_OK_AND_ASSIGN(ObjectManifest m, catalog_->Get(&owner, id));
  EXPECT_EQ(m.segments.size(), 2u);
  EXPECT_EQ(m.age_header, "age-header-3");
  ASSERT_OK(catalog_->Get(nullptr, id).status());
  ASSERT_OK(catalog_->Get(&friend_, id).status());
  EXPECT_EQ(Totals().trash_objects, 0u);
  EXPECT_EQ(trash_->Restore(owner, {id}, false).code(), absl::StatusCode::kFailedPrecondition);
  // The window of a later delete starts again.
  clock_.Advance(absl::Minutes(50));
  ASSERT_OK(catalog_->Delete(owner, id, &purge_at));
  EXPECT_EQ(purge_at, clock_.Now() + absl::Hours(1));
}

TEST_F(TrashPgTest, TheWindowsEndPurgesThroughGcNotBeforeThePutGrantsExpire) {
  AddNodes(6);
  config_.trash_window = absl::Minutes(5);  // shorter than the 15 min grants
  Caller owner = NewAccount();
  ASSERT_OK_AND_ASSIGN(std::string id, UploadObject(owner, 1000));
  const absl::Time grants_expire = clock_.Now() + config_.grant_ttl;
  ASSERT_OK(catalog_->Delete(owner, id));
  const double purged_before = PurgedCounter();

  clock_.Advance(absl::Minutes(5) - absl::Seconds(1));
  ASSERT_OK_AND_ASSIGN(int purged, trash_->PurgeDue());
  EXPECT_EQ(purged, 0);
  EXPECT_TRUE(RowExists(id));

  clock_.Advance(absl::Seconds(1));
  ASSERT_OK_AND_ASSIGN(purged, trash_->PurgeDue());
  EXPECT_EQ(purged, 1);
  EXPECT_FALSE(RowExists(id));
  EXPECT_EQ(PurgedCounter(), purged_before + 1);
  EXPECT_EQ(QueuedDeletions(), 6);
  // Queued, but due only when the last PUT grant expires.
  std::vector<DeletionTask> due;
  ASSERT_OK(store_->Read([&](MetadataTxn& txn) -> absl::Status {
    FH_ASSIGN_OR_RETURN(due, txn.deletions().Due(clock_.Now(), 100));
    return absl::OkStatus();
  }));
  EXPECT_TRUE(due.empty());
  ASSERT_OK(store_->Read([&](MetadataTxn& txn) -> absl::Status {
    FH_ASSIGN_OR_RETURN(due, txn.deletions().Due(grants_expire, 100));
    return absl::OkStatus();
  }));
  EXPECT_EQ(due.size(), 6u);
  EXPECT_EQ(trash_->Restore(owner, {id}, false), ObjectNotFoundError(id));
  ASSERT_OK_AND_ASSIGN(purged, trash_->PurgeDue());
  EXPECT_EQ(purged, 0);
}

TEST_F(TrashPgTest, RestoringATakenNameIsRefusedUnlessKeepBoth) {
  Caller owner = NewAccount();
  const std::string first = InlineObject(owner, 'a');
  ASSERT_OK(catalog_->Delete(owner, first));
  EXPECT_EQ(QueuedDeletions(), 0);  // inline: no shards, row kept in the trash
  EXPECT_TRUE(RowExists(first));
  ASSERT_OK_AND_ASSIGN(std::vector<NameMatches> found,
                       small_->FindByNames(owner, {std::string(kNameHashBytes, 'a')}));
  EXPECT_TRUE(found[0].objects.empty());  // lookups by name skip the trash

  const std::string second = InlineObject(owner, 'a');  // same name, stored meanwhile
  absl::Status refused = trash_->Restore(owner, {first}, false);
  EXPECT_EQ(refused.code(), absl::StatusCode::kAlreadyExists) << refused;
  EXPECT_THAT(std::string(refused.message()), HasSubstr(second));
  EXPECT_EQ(catalog_->Get(&owner, first).status().code(), absl::StatusCode::kNotFound);

  ASSERT_OK(trash_->Restore(owner, {first}, true));
  ASSERT_OK_AND_ASSIGN(ObjectManifest m, catalog_->Get(&owner, first));
  EXPECT_EQ(m.inline_payload, std::string(500, 'p'));
  ASSERT_OK_AND_ASSIGN(found, small_->FindByNames(owner, {std::string(kNameHashBytes, 'a')}));
  EXPECT_EQ(found[0].objects.size(), 2u);

  // Two trashed objects of one name restored together: refused, all or none.
  ASSERT_OK(catalog_->Delete(owner, first));
  ASSERT_OK(catalog_->Delete(owner, second));
  const std::string other = InlineObject(owner, 'b');
  ASSERT_OK(catalog_->Delete(owner, other));
  EXPECT_EQ(trash_->Restore(owner, {other, first, second}, false).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(catalog_->Get(&owner, other).status().code(), absl::StatusCode::kNotFound);
  ASSERT_OK(trash_->Restore(owner, {other, first}, false));
  ASSERT_OK(catalog_->Get(&owner, other).status());
}

TEST_F(TrashPgTest, EmptyDeletesForGoodAndInputsAreValidated) {
  AddNodes(6);
  Caller owner = NewAccount();
  Caller other = NewAccount();
  ASSERT_OK_AND_ASSIGN(std::string a, UploadObject(owner, 1000));
  ASSERT_OK_AND_ASSIGN(std::string b, UploadObject(owner, 1000));
  const std::string c = InlineObject(owner, 'c');
  ASSERT_OK_AND_ASSIGN(std::string live, UploadObject(owner, 1000));
  ASSERT_OK_AND_ASSIGN(std::string theirs, UploadObject(other, 1000));
  for (const std::string& id : {a, b, c}) ASSERT_OK(catalog_->Delete(owner, id));
  ASSERT_OK(catalog_->Delete(other, theirs));

  // Validation: precise statuses naming the problem, nothing changed.
  absl::Status s = trash_->Restore(owner, {}, false);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  s = trash_->Restore(owner, {a, "not-a-uuid"}, false);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("object_ids[1]"));
  EXPECT_EQ(trash_->Empty(owner, {a, theirs}).status(), ObjectNotFoundError(theirs));
  s = trash_->Empty(owner, {a, live}).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("not in the trash"));
  EXPECT_EQ(trash_->Empty(owner, std::vector<std::string>(1001, a)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(trash_->List(owner, 0, "garbage").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(trash_->List(Caller{}, 0, "").status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(QueuedDeletions(), 0);

  // Paging.
  ASSERT_OK_AND_ASSIGN(TrashPage p1, trash_->List(owner, 2, ""));
  ASSERT_EQ(p1.objects.size(), 2u);
  ASSERT_FALSE(p1.next_page_token.empty());
  ASSERT_OK_AND_ASSIGN(TrashPage p2, trash_->List(owner, 2, p1.next_page_token));
  ASSERT_EQ(p2.objects.size(), 1u);
  EXPECT_TRUE(p2.next_page_token.empty());

  // One id; then the rest (sharded and inline), never another account's.
  ASSERT_OK_AND_ASSIGN(int purged, trash_->Empty(owner, {a}));
  EXPECT_EQ(purged, 1);
  EXPECT_FALSE(RowExists(a));
  EXPECT_EQ(QueuedDeletions(), 6);
  ASSERT_OK_AND_ASSIGN(purged, trash_->Empty(owner, {}));
  EXPECT_EQ(purged, 2);
  EXPECT_FALSE(RowExists(b));
  EXPECT_FALSE(RowExists(c));
  EXPECT_EQ(QueuedDeletions(), 12);  // the inline object had no shards
  EXPECT_TRUE(RowExists(theirs));
  EXPECT_TRUE(RowExists(live));
  ASSERT_OK_AND_ASSIGN(TrashPage left, trash_->List(owner, 0, ""));
  EXPECT_TRUE(left.objects.empty());
  EXPECT_EQ(Totals().trash_objects, 1u);  // the other account's
}

TEST_F(TrashPgTest, AZeroWindowDeletesAtOnce) {
  AddNodes(6);
  config_.trash_window = absl::ZeroDuration();
  Caller owner = NewAccount();
  ASSERT_OK_AND_ASSIGN(std::string id, UploadObject(owner, 1000));
  absl::Time purge_at;
  ASSERT_OK(catalog_->Delete(owner, id, &purge_at));
  EXPECT_EQ(purge_at, clock_.Now());
  EXPECT_FALSE(RowExists(id));
  EXPECT_EQ(QueuedDeletions(), 6);
}

}  // namespace
}  // namespace freehold::coordinator::testing
