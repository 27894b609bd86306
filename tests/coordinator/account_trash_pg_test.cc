// The abandoned-account trash over real PostgreSQL (core/account_trash.h, migration
// 0013): a TRASH event moves every live object of the account into the trash (in
// batches, unreadable for everyone at once, purge_at = collect_at + --trash-window), a
// RESTORE brings back exactly those objects (shares and link as they were; objects the
// owner deleted himself stay in the trash), events are applied once (cursor stored per
// event, a restarted consumer goes on where the last stopped), repeating one changes
// nothing, and the deletion outbox still removes trashed objects at collection.
#include <gtest/gtest.h>

#include <set>

#include "common/status.h"
#include "coordinator/core/account_trash.h"
#include "coordinator/core/maintenance.h"
#include "coordinator/core/small_objects.h"
#include "coordinator/core/trash.h"
#include "tests/coordinator/coordinator_fixture.h"
#include "tests/support/status_matchers.h"

namespace freehold::coordinator::testing {
namespace {

using ::testing::HasSubstr;
using Action = TrashedAccountEvent::Action;

// The accounts outbox as a list of events (the seam; the real one is
// Accounts.ListTrashedAccounts, exercised by tests/e2e/abandoned_account_e2e_test.cc).
class ListedTrashFeed : public TrashedAccountsFeed {
 public:
  absl::StatusOr<std::vector<TrashedAccountEvent>> List(int64_t after, int limit) override {
    std::vector<TrashedAccountEvent> out;
    for (const TrashedAccountEvent& e : events) {
      if (e.sequence > after && static_cast<int>(out.size()) < limit) out.push_back(e);
    }
    return out;
  }
  absl::Status Ack(int64_t up_to) override {
    acked = up_to;
    return absl::OkStatus();
  }
  std::vector<TrashedAccountEvent> events;
  int64_t acked = 0;
};

class AccountTrashPgTest : public CoordinatorPgTest {
 protected:
  void SetUp() override {
    CoordinatorPgTest::SetUp();
    if (HasFatalFailure()) return;
    config_.trash_window = absl::Hours(1);
    trash_ = std::make_unique<TrashBin>(*store_, clock_, config_, metrics_.get(), log_);
    small_ = std::make_unique<SmallObjects>(*store_, clock_, config_, admission_, log_);
  }
  std::string InlineObject(const Caller& owner, char name) {
    absl::StatusOr<InlineCommit> done = small_->PutInline(
        owner, {InlineObjectInput{"meta", "age-header", std::string(500, 'p'),
                                  std::string(kNameHashBytes, name)}});
    EXPECT_OK(done.status());
    return done.ok() ? done->object_ids[0] : "";
  }
  std::unique_ptr<AccountTrashConsumer> Consumer(ListedTrashFeed& feed) {
    return std::make_unique<AccountTrashConsumer>(*store_, feed, clock_, config_, log_,
                                                  /*batch=*/2);
  }
  std::set<std::string> TrashIds(const Caller& owner) {
    std::set<std::string> out;
    absl::StatusOr<TrashPage> page = trash_->List(owner, 0, "");
    EXPECT_OK(page.status());
    if (page.ok()) {
      for (const TrashEntry& e : page->objects) out.insert(e.object.object_id);
    }
    return out;
  }
  absl::Time PurgeAt(const Caller& owner, const std::string& id) {
    absl::StatusOr<TrashPage> page = trash_->List(owner, 0, "");
    EXPECT_OK(page.status());
    if (page.ok()) {
      for (const TrashEntry& e : page->objects) {
        if (e.object.object_id == id) return e.purge_at;
      }
    }
    return absl::InfinitePast();
  }

  std::unique_ptr<TrashBin> trash_;
  std::unique_ptr<SmallObjects> small_;
};

TEST_F(AccountTrashPgTest, TrashEventHidesEveryLiveObjectAndRestoreBringsBackOnlyThose) {
  AddNodes(6);
  Caller owner = NewAccount();
  Caller friend_ = NewAccount();
  Caller other = NewAccount();
  ASSERT_OK_AND_ASSIGN(std::string shared, UploadObject(owner, 100000));
  ASSERT_OK(catalog_->UpdateHeader(owner, shared, "age-header-2", {friend_.account_id}));
  ASSERT_OK(catalog_->SetPublicLink(owner, shared, true, "age-header-3"));
  std::set<std::string> live = {shared};
  for (char c : std::string("abcd")) live.insert(InlineObject(owner, c));  // 5: 3 batches
  const std::string deleted_before = InlineObject(owner, 'z');
  absl::Time own_purge;
  ASSERT_OK(catalog_->Delete(owner, deleted_before, &own_purge));
  ASSERT_OK_AND_ASSIGN(std::string others, UploadObject(other, 1000));

  ListedTrashFeed feed;
  const absl::Time collect_at = clock_.Now() + absl::Hours(2);
  feed.events = {{11, owner.account_id, Action::kTrash, collect_at}};
  ASSERT_OK_AND_ASSIGN(int handled, Consumer(feed)->Poll());
  EXPECT_EQ(handled, 1);
  EXPECT_EQ(feed.acked, 11);

  std::set<std::string> all = live;
  all.insert(deleted_before);
  EXPECT_EQ(TrashIds(owner), all);
  for (const std::string& id : live) {
    EXPECT_EQ(PurgeAt(owner, id), collect_at + config_.trash_window) << id;
    absl::Status s = catalog_->Get(&owner, id).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kNotFound) << id;
  }
  EXPECT_EQ(PurgeAt(owner, deleted_before), own_purge);  // its own window, untouched
  for (const Caller* c : std::vector<const Caller*>{&friend_, nullptr}) {
    EXPECT_THAT(std::string(catalog_->Get(c, shared).status().message()),
                HasSubstr("in the trash"));
  }
  ASSERT_OK_AND_ASSIGN(ObjectPage page, catalog_->List(owner, 0, ""));
  EXPECT_TRUE(page.objects.empty());
  ASSERT_OK(catalog_->Get(&other, others).status());  // other accounts untouched

  // The same TRASH again (a consumer that stopped before storing its cursor) changes
  // nothing: already trashed objects keep their times.
  clock_.Advance(absl::Minutes(5));
  feed.events.push_back({12, owner.account_id, Action::kTrash, collect_at + absl::Hours(9)});
  ASSERT_OK_AND_ASSIGN(handled, Consumer(feed)->Poll());
  EXPECT_EQ(handled, 1);
  for (const std::string& id : live) EXPECT_EQ(PurgeAt(owner, id), collect_at + config_.trash_window);

  // The owner logged in: everything the TRASH took comes back as it was; the object the
  // owner deleted stays in the trash.
  feed.events.push_back({13, owner.account_id, Action::kRestore, absl::UnixEpoch()});
  ASSERT_OK_AND_ASSIGN(handled, Consumer(feed)->Poll());
  EXPECT_EQ(handled, 1);
  EXPECT_EQ(feed.acked, 13);
  EXPECT_EQ(TrashIds(owner), std::set<std::string>{deleted_before});
  for (const std::string& id : live) ASSERT_OK(catalog_->Get(&owner, id).status()) << id;
  ASSERT_OK(catalog_->Get(&friend_, shared).status());
  ASSERT_OK(catalog_->Get(nullptr, shared).status());
  // Once restored, a later RESTORE finds nothing more to bring back.
  feed.events.push_back({14, owner.account_id, Action::kRestore, absl::UnixEpoch()});
  ASSERT_OK_AND_ASSIGN(handled, Consumer(feed)->Poll());
  EXPECT_EQ(TrashIds(owner), std::set<std::string>{deleted_before});
}

TEST_F(AccountTrashPgTest, CursorSurvivesARestartAndCollectionRemovesTrashedObjects) {
  AddNodes(6);
  Caller owner = NewAccount();
  ASSERT_OK_AND_ASSIGN(std::string a, UploadObject(owner, 1000));
  const std::string b = InlineObject(owner, 'b');
  ListedTrashFeed feed;
  feed.events = {{3, "not-a-uuid", Action::kTrash, clock_.Now()},
                 {5, owner.account_id, Action::kTrash, clock_.Now() + absl::Hours(1)}};
  // The first consumer handles one event and "stops"; a new one (a restart, or another
  // replica taking the lead) reads the stored cursor and handles only the next.
  ASSERT_OK_AND_ASSIGN(int handled, Consumer(feed)->Poll(1));
  EXPECT_EQ(handled, 1);  // the malformed one: skipped, not retried forever
  EXPECT_EQ(feed.acked, 3);
  EXPECT_TRUE(TrashIds(owner).empty());
  ASSERT_OK_AND_ASSIGN(handled, Consumer(feed)->Poll());
  EXPECT_EQ(handled, 1);
  EXPECT_EQ(TrashIds(owner), (std::set<std::string>{a, b}));
  ASSERT_OK_AND_ASSIGN(handled, Consumer(feed)->Poll());
  EXPECT_EQ(handled, 0);

  // Collection is the deletion outbox: the trashed objects go, shards queued.
  class OneDeletion : public DeletedAccountsFeed {
   public:
    explicit OneDeletion(std::string id) : id_(std::move(id)) {}
    absl::StatusOr<std::vector<DeletedAccountEvent>> List(int64_t after, int) override {
      if (after >= 1) return std::vector<DeletedAccountEvent>{};
      return std::vector<DeletedAccountEvent>{{1, id_}};
    }
    absl::Status Ack(int64_t) override { return absl::OkStatus(); }

   private:
    std::string id_;
  } deletions(owner.account_id);
  AccountDeletionConsumer collector(*store_, *catalog_, deletions, log_);
  ASSERT_OK_AND_ASSIGN(handled, collector.Poll());
  EXPECT_EQ(handled, 1);
  EXPECT_TRUE(TrashIds(owner).empty());
  EXPECT_EQ(catalog_->Get(&owner, a).status().code(), absl::StatusCode::kNotFound);
  int64_t queued = 0;
  ASSERT_OK(store_->Read([&](MetadataTxn& txn) -> absl::Status {
    FH_ASSIGN_OR_RETURN(queued, txn.deletions().Size());
    return absl::OkStatus();
  }));
  EXPECT_EQ(queued, 6);  // the sharded object's shards
}

}  // namespace
}  // namespace freehold::coordinator::testing
