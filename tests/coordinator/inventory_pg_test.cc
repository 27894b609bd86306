// Inventory reconciliation over real PostgreSQL: the SQL digest of a node's HEALTHY
// shards equals the one the daemon computes (InventoryOf), a matching report lists
// nothing, and a node that no longer lists some of its shards gets exactly those marked
// MISSING (so the repair plan picks them up).
#include <gtest/gtest.h>

#include <map>

#include "coordinator/core/inventory.h"
#include "coordinator/pg/pg_inventory_store.h"
#include "tests/coordinator/coordinator_fixture.h"
#include "tests/support/status_matchers.h"

namespace freehold::coordinator::testing {
namespace {

using ::freehold::testing::StatusIs;

// Plays the daemons' ListShards: keys per address (an interaction fake).
class MapLister : public InventoryLister {
 public:
  absl::StatusOr<std::vector<std::string>> ListShards(const std::string& address) override {
    ++calls;
    return held[address];
  }
  std::map<std::string, std::vector<std::string>> held;
  int calls = 0;
};

class InventoryTest : public CoordinatorPgTest {
 protected:
  void SetUp() override {
    CoordinatorPgTest::SetUp();
    if (HasFatalFailure()) return;
    inventory_store_ = std::make_unique<PgInventoryStore>(*pool_);
    reconciler_ = std::make_unique<InventoryReconciler>(*inventory_store_, *store_, lister_,
                                                        &inventory_metrics_, log_);
  }
  std::unique_ptr<PgInventoryStore> inventory_store_;
  std::unique_ptr<InventoryReconciler> reconciler_;
  MapLister lister_;
  prometheus::Registry inventory_metrics_;
};

TEST_F(InventoryTest, SqlDigestMatchesTheDaemonsAndLostShardsAreMarkedMissing) {
  std::vector<TestNode> nodes = AddNodes(6);
  Caller owner = NewAccount();
  for (int i = 0; i < 3; ++i) ASSERT_OK(UploadObject(owner, 1000 + i).status());
  // Every node reports exactly what the manifests place on it.
  std::map<std::string, std::vector<std::string>> keys;  // node id -> keys
  for (const TestNode& n : nodes) {
    ASSERT_OK_AND_ASSIGN(keys[n.id], inventory_store_->ExpectedKeys(n.id));
    EXPECT_EQ(keys[n.id].size(), 3u) << n.id;
    ASSERT_OK_AND_ASSIGN(Inventory sql, inventory_store_->Expected(n.id));
    EXPECT_EQ(sql, InventoryOf(keys[n.id])) << "SQL and C++ digests differ for " << n.id;
    const Inventory reported = InventoryOf(keys[n.id]);
    ASSERT_OK(reconciler_->Report(n.id, reported.count, reported.digest));
    lister_.held[NodeById(n.id).address] = keys[n.id];
  }
  ASSERT_OK_AND_ASSIGN(InventoryCheckResult r, reconciler_->RunOnce());
  EXPECT_EQ(r.nodes_checked, 6);
  EXPECT_EQ(r.nodes_listed, 0);
  EXPECT_EQ(lister_.calls, 0);  // all matched: nobody was listed

  // Node 0 lost two of its three shards (and holds an orphan the manifests do not know).
  const TestNode& victim = nodes[0];
  std::vector<std::string> now = {keys[victim.id][1], "ffffffffffffffffffffffffffffffff-0-0"};
  lister_.held[victim.address] = now;
  const Inventory reported = InventoryOf(now);
  ASSERT_OK(reconciler_->Report(victim.id, reported.count, reported.digest));
  ASSERT_OK_AND_ASSIGN(r, reconciler_->RunOnce());
  EXPECT_EQ(r.nodes_checked, 1);  // the others' reports did not change
  EXPECT_EQ(r.nodes_listed, 1);
  EXPECT_EQ(r.shards_missing, 2);
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> still, inventory_store_->ExpectedKeys(victim.id));
  EXPECT_EQ(still, std::vector<std::string>({keys[victim.id][1]}));
  ASSERT_OK_AND_ASSIGN(RepairPlan plan, monitor_->Plan());
  EXPECT_EQ(plan.repairable.size(), 2u);
  // The same report again: consistent now, not listed again.
  ASSERT_OK_AND_ASSIGN(r, reconciler_->RunOnce());
  EXPECT_EQ(r.nodes_checked, 0);
  EXPECT_EQ(lister_.calls, 1);

  // Malformed reports are refused; an empty digest (an older daemon) is ignored.
  EXPECT_THAT(reconciler_->Report(victim.id, 1, "short"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_OK(reconciler_->Report(victim.id, 1, ""));
}

// The e2e failure of InventoryE2eTest: every daemon reports its empty inventory at
// start, found consistent; the puts place shards on the victim; the victim is restarted
// with its files gone BEFORE any pass saw its non-empty report. Its report is the empty
// one again, equal to the one found consistent; only the restart (a new epoch) makes the
// leader compare it with the manifests.
TEST_F(InventoryTest, ARestartedNodeReportingItsOldEmptyInventoryIsComparedAgain) {
  std::vector<TestNode> nodes = AddNodes(6);
  const Inventory empty = InventoryOf({});
  for (const TestNode& n : nodes) ASSERT_OK(reconciler_->Report(n.id, empty.count, empty.digest));
  ASSERT_OK_AND_ASSIGN(InventoryCheckResult r, reconciler_->RunOnce());
  EXPECT_EQ(r.nodes_checked, 6);
  EXPECT_EQ(r.nodes_listed, 0);

  Caller owner = NewAccount();
  for (int i = 0; i < 2; ++i) ASSERT_OK(UploadObject(owner, 2000 + i).status());
  const TestNode& victim = nodes[0];
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> placed, inventory_store_->ExpectedKeys(victim.id));
  ASSERT_EQ(placed.size(), 2u);
  // Restarted with its files gone: registers, then reports the empty inventory again.
  lister_.held[victim.address] = {};
  ASSERT_OK(reconciler_->NodeRegistered(victim.id));
  ASSERT_OK(reconciler_->Report(victim.id, empty.count, empty.digest));
  ASSERT_OK_AND_ASSIGN(r, reconciler_->RunOnce());
  EXPECT_EQ(r.nodes_checked, 1);  // only the victim; the others did not restart
  EXPECT_EQ(r.nodes_listed, 1);
  EXPECT_EQ(r.shards_missing, 2);
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> still, inventory_store_->ExpectedKeys(victim.id));
  EXPECT_TRUE(still.empty());
  // Consistent now (same report, same epoch): not listed again.
  ASSERT_OK_AND_ASSIGN(r, reconciler_->RunOnce());
  EXPECT_EQ(r.nodes_checked, 0);
  EXPECT_EQ(lister_.calls, 1);
}

}  // namespace
}  // namespace freehold::coordinator::testing
