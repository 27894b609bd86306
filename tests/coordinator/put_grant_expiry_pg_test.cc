// Deleting an object schedules its shard deletions no earlier than the expiry of the
// last PUT grant issued for it (objects.put_grants_expire_at, migration 0007), so a
// replayed grant finds its shard still there rather than leaving an orphan.
#include <gtest/gtest.h>

#include "coordinator/core/maintenance.h"
#include "tests/coordinator/coordinator_fixture.h"
#include "tests/support/status_matchers.h"

namespace freehold::coordinator::testing {
namespace {

class CountingNodeClient : public StorageNodeClient {
 public:
  absl::Status DeleteShard(const std::string&, const std::string&, absl::Duration) override {
    ++calls;
    return absl::OkStatus();
  }
  int calls = 0;
};

class PutGrantExpiryTest : public CoordinatorPgTest {
 protected:
  void SetUp() override {
    CoordinatorPgTest::SetUp();
    if (HasFatalFailure()) return;
    gc_ = std::make_unique<GarbageCollector>(*store_, clock_, config_, *grants_, client_, log_);
  }
  absl::Time RecordedExpiry(const std::string& object_id) {
    absl::Time at = absl::InfinitePast();
    EXPECT_OK(store_->Read([&](MetadataTxn& txn) -> absl::Status {
      absl::StatusOr<absl::Time> t = txn.objects().PutGrantsExpireAt(object_id);
      if (!t.ok()) return t.status();
      at = *t;
      return absl::OkStatus();
    }));
    return at;
  }

  CountingNodeClient client_;
  std::unique_ptr<GarbageCollector> gc_;
};

TEST_F(PutGrantExpiryTest, DeleteWaitsForTheLastPutGrantToExpire) {
  AddNodes(6);
  Caller owner = NewAccount();
  const absl::Time first_issue = clock_.Now();
  ASSERT_OK_AND_ASSIGN(std::string id, UploadObject(owner, 1000));
  EXPECT_EQ(RecordedExpiry(id), first_issue + config_.grant_ttl);

  clock_.Advance(absl::Minutes(1));
  ASSERT_OK(catalog_->Delete(owner, id));
  for (const TestNode& n : nodes_) ASSERT_OK(Heartbeat(n).status());
  ASSERT_OK_AND_ASSIGN(int done, gc_->RunDeletions());
  EXPECT_EQ(done, 0);  // the grants are still valid: nothing is deleted yet
  EXPECT_EQ(client_.calls, 0);

  clock_.Advance(config_.grant_ttl - absl::Minutes(1));  // exactly at the expiry
  for (const TestNode& n : nodes_) ASSERT_OK(Heartbeat(n).status());
  ASSERT_OK_AND_ASSIGN(done, gc_->RunDeletions());
  EXPECT_EQ(done, 6);
  EXPECT_EQ(client_.calls, 6);
}

TEST_F(PutGrantExpiryTest, TheLatestGrantCountsAndLongExpiredGrantsDoNotDelay) {
  AddNodes(6);
  Caller owner = NewAccount();
  ASSERT_OK_AND_ASSIGN(Begun b, BeginFirstSegment(owner, 1000));
  const absl::Time first = RecordedExpiry(b.object_id);
  clock_.Advance(absl::Minutes(5));
  // Beginning the same segment again re-issues its grants: the later expiry counts.
  ASSERT_OK(writer_->BeginSegment(owner, b.input).status());
  EXPECT_EQ(RecordedExpiry(b.object_id), first + absl::Minutes(5));

  // Long after every grant expired, a delete is queued due at once.
  clock_.Advance(config_.grant_ttl + absl::Hours(1));
  ASSERT_OK(catalog_->Delete(owner, b.object_id));
  for (const TestNode& n : nodes_) ASSERT_OK(Heartbeat(n).status());
  ASSERT_OK_AND_ASSIGN(int done, gc_->RunDeletions());
  EXPECT_EQ(done, 6);
}

}  // namespace
}  // namespace freehold::coordinator::testing
