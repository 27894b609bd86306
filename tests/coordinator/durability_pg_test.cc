// The audit, reputation and drain records over real PostgreSQL (PgDurabilityStore,
// migration 0005) and reputation feeding placement (ReputationBook, PlacementSnapshots).
#include <gtest/gtest.h>

#include "common/status.h"
#include "coordinator/core/ids.h"
#include "coordinator/core/reputation_book.h"
#include "coordinator/pg/pg_durability_store.h"
#include "tests/coordinator/coordinator_fixture.h"
#include "tests/support/status_matchers.h"

namespace freehold::coordinator::testing {
namespace {

class DurabilityPgTest : public CoordinatorPgTest {
 protected:
  void SetUp() override {
    CoordinatorPgTest::SetUp();
    durability_ = std::make_unique<PgDurabilityStore>(*pool_);
  }
  std::unique_ptr<PgDurabilityStore> durability_;
};

TEST_F(DurabilityPgTest, CommittedShardsAreDueOnceAuditedLaterAndCappedPerNode) {
  AddNodes(6);
  Caller owner = NewAccount();
  ASSERT_OK_AND_ASSIGN(std::string id, UploadObject(owner, 1000));
  const absl::Time now = clock_.Now();
  ASSERT_OK_AND_ASSIGN(std::vector<AuditCandidate> due, durability_->DueAudits(now, 10, 100));
  ASSERT_EQ(due.size(), 6u);
  EXPECT_EQ(due[0].object_id, id);
  EXPECT_EQ(due[0].shard_size_bytes, 250u);
  EXPECT_EQ(due[0].sha256.size(), 32u);
  ASSERT_OK_AND_ASSIGN(int64_t auditable, durability_->AuditableShards());
  EXPECT_EQ(auditable, 6);
  ASSERT_OK_AND_ASSIGN(std::vector<AuditCandidate> capped, durability_->DueAudits(now, 1, 3));
  EXPECT_EQ(capped.size(), 3u);

  // Audited now, due again in an hour: no longer due.
  ASSERT_OK(durability_->RecordAudit(due[0], now, now + absl::Hours(1)));
  ASSERT_OK_AND_ASSIGN(due, durability_->DueAudits(now, 10, 100));
  EXPECT_EQ(due.size(), 5u);
  ASSERT_OK_AND_ASSIGN(due, durability_->DueAudits(now + absl::Hours(2), 10, 100));
  EXPECT_EQ(due.size(), 6u);

  // Challenges are taken once each, oldest first.
  ASSERT_OK_AND_ASSIGN(std::optional<AuditChallenge> none, durability_->TakeChallenge(id, 0, 0));
  EXPECT_FALSE(none.has_value());
  const std::string k1(32, '1'), h1(32, 'a'), k2(32, '2'), h2(32, 'b');
  ASSERT_OK(durability_->AddChallenges(id, 0, 0, {{k1, h1}, {k2, h2}}));
  ASSERT_OK_AND_ASSIGN(std::optional<AuditChallenge> c, durability_->TakeChallenge(id, 0, 0));
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->key, k1);
  EXPECT_EQ(c->keyed_hash, h1);
  ASSERT_OK_AND_ASSIGN(c, durability_->TakeChallenge(id, 0, 0));
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->key, k2);
  ASSERT_OK_AND_ASSIGN(c, durability_->TakeChallenge(id, 0, 1));
  EXPECT_FALSE(c.has_value());
  ASSERT_OK_AND_ASSIGN(c, durability_->TakeChallenge(id, 0, 0));
  EXPECT_FALSE(c.has_value());
}

TEST_F(DurabilityPgTest, FailedAuditsSuspendANodeWhichPlacementThenSkips) {
  std::vector<TestNode> nodes = AddNodes(8);
  const ReputationParams params{0.5, 1.0, 0.6};
  const std::string bad = nodes[3].id;
  ASSERT_OK_AND_ASSIGN(StoredReputation r,
                       durability_->ApplyAudit(bad, AuditOutcome::kPassed, params, clock_.Now()));
  EXPECT_DOUBLE_EQ(r.reputation.Value(), 1.0);
  EXPECT_FALSE(r.suspended_at.has_value());
  ASSERT_OK_AND_ASSIGN(r, durability_->ApplyAudit(bad, AuditOutcome::kFailed, params, clock_.Now()));
  ASSERT_OK_AND_ASSIGN(r, durability_->ApplyAudit(bad, AuditOutcome::kFailed, params, clock_.Now()));
  EXPECT_LT(r.reputation.Value(), 0.6);
  ASSERT_TRUE(r.suspended_at.has_value());
  EXPECT_EQ(r.reputation.passed, 1);
  EXPECT_EQ(r.reputation.failed, 2);

  ReputationBook book(*durability_, params, nullptr);
  ASSERT_OK(book.Refresh());
  EXPECT_EQ(book.Factor(bad), 0.0);
  EXPECT_EQ(book.Factor(nodes[0].id), 1.0);  // never audited
  PlacementSnapshots with(config_.Policy(), config_.node_down_after);
  with.SetReputation(&book);
  PlacementSnapshots without(config_.Policy(), config_.node_down_after);
  std::vector<Node> listed;
  ASSERT_OK(store_->Read([&](MetadataTxn& txn) -> absl::Status {
    FH_ASSIGN_OR_RETURN(listed, txn.nodes().List());
    return absl::OkStatus();
  }));
  ASSERT_OK_AND_ASSIGN(auto map, with.For(listed, clock_.Now(), 0));
  ASSERT_OK_AND_ASSIGN(auto plain, without.For(listed, clock_.Now(), 0));
  int placed_with = 0, placed_without = 0;
  for (uint64_t s = 0; s < 200; ++s) {
    ASSERT_OK_AND_ASSIGN(std::vector<std::string> ids,
                         map->PlaceIds(placement::SegmentKey::FromUint64(s)));
    placed_with += std::count(ids.begin(), ids.end(), bad);
    ASSERT_OK_AND_ASSIGN(ids, plain->PlaceIds(placement::SegmentKey::FromUint64(s)));
    placed_without += std::count(ids.begin(), ids.end(), bad);
  }
  EXPECT_EQ(placed_with, 0) << "a suspended node got new shards";
  EXPECT_GT(placed_without, 0);

  // Passing again lifts the suspension.
  for (int i = 0; i < 4; ++i) {
    ASSERT_OK_AND_ASSIGN(r,
                         durability_->ApplyAudit(bad, AuditOutcome::kPassed, params, clock_.Now()));
  }
  EXPECT_GE(r.reputation.Value(), 0.6);
  EXPECT_FALSE(r.suspended_at.has_value());
}

TEST_F(DurabilityPgTest, LoadShardsAndDrainProgressOfANode) {
  AddNodes(6);
  Caller owner = NewAccount();
  ASSERT_OK_AND_ASSIGN(std::string id, UploadObject(owner, 1000));
  ASSERT_OK_AND_ASSIGN(ObjectManifest m, catalog_->Get(&owner, id));
  const std::string node = m.segments[0].shards[2].node_id;
  ASSERT_OK_AND_ASSIGN(NodeLoad load, durability_->LoadOf(node));
  EXPECT_EQ(load.shards, 1u);
  EXPECT_EQ(load.bytes, 250u);
  EXPECT_EQ(load.pending_deletions, 0u);
  ASSERT_OK_AND_ASSIGN(std::vector<PlacedShard> on, durability_->ShardsOn(node, {}, 10));
  ASSERT_EQ(on.size(), 1u);
  EXPECT_EQ(on[0].object_id, id);
  EXPECT_EQ(on[0].index, 2);
  ASSERT_OK_AND_ASSIGN(on, durability_->ShardsOn(node, on[0], 10));
  EXPECT_TRUE(on.empty());
  ASSERT_OK_AND_ASSIGN(auto per_node, durability_->StoredBytesPerNode());
  EXPECT_EQ(per_node.size(), 6u);
  EXPECT_EQ(per_node[node], 250u);

  const absl::Time started = clock_.Now();
  ASSERT_OK(durability_->StartDrain(node, started, load, "operator", started));
  ASSERT_OK(durability_->AddDrainProgress(node, 1, 250));
  // Starting again while unfinished keeps the record.
  clock_.Advance(absl::Minutes(1));
  ASSERT_OK(durability_->StartDrain(node, clock_.Now(), NodeLoad{}, "reputation", started));
  ASSERT_OK_AND_ASSIGN(std::vector<DrainProgress> drains, durability_->Drains());
  ASSERT_EQ(drains.size(), 1u);
  EXPECT_EQ(drains[0].initial_bytes, 250u);
  EXPECT_EQ(drains[0].moved_bytes, 250u);
  EXPECT_EQ(drains[0].reason, "operator");
  EXPECT_FALSE(drains[0].finished_at.has_value());
  // Undrained and drained again later (the node's state changed after the start): afresh.
  ASSERT_OK(durability_->StartDrain(node, clock_.Now(), NodeLoad{1, 100, 0}, "operator",
                                    clock_.Now()));
  ASSERT_OK_AND_ASSIGN(drains, durability_->Drains());
  EXPECT_EQ(drains[0].initial_bytes, 100u);
  EXPECT_EQ(drains[0].moved_bytes, 0u);
  ASSERT_OK(durability_->FinishDrain(node, clock_.Now()));
  ASSERT_OK_AND_ASSIGN(drains, durability_->Drains());
  EXPECT_TRUE(drains[0].finished_at.has_value());
}

}  // namespace
}  // namespace freehold::coordinator::testing
