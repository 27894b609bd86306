// OutageAwareStore over real PostgreSQL: heartbeats refused while the database was out
// of reach do not get nodes judged down when it comes back. The outage is injected by a
// store that answers UNAVAILABLE in front of the real one (the test's PostgreSQL serves
// every test of the run and cannot be stopped).
#include <gtest/gtest.h>

#include <atomic>

#include "coordinator/core/node_registry.h"
#include "coordinator/core/outage_aware_store.h"
#include "tests/coordinator/coordinator_fixture.h"
#include "tests/support/status_matchers.h"

namespace freehold::coordinator::testing {
namespace {

using ::freehold::testing::StatusIs;

// The real store, or UNAVAILABLE while `down` is set.
class UnreachableWhenDown final : public MetadataStore {
 public:
  explicit UnreachableWhenDown(MetadataStore& inner) : inner_(inner) {}
  absl::Status Transact(absl::FunctionRef<absl::Status(MetadataTxn&)> body) override {
    if (down) return absl::UnavailableError("database connection lost");
    return inner_.Transact(body);
  }
  absl::Status Read(absl::FunctionRef<absl::Status(MetadataTxn&)> body) override {
    if (down) return absl::UnavailableError("database connection lost");
    return inner_.Read(body);
  }
  std::atomic<bool> down{false};

 private:
  MetadataStore& inner_;
};

class OutageAwareStoreTest : public CoordinatorPgTest {
 protected:
  // Nodes that are effectively up now, read through `store`.
  int UpNodes(MetadataStore& store) {
    int up = 0;
    absl::Status s = store.Read([&](MetadataTxn& txn) -> absl::Status {
      absl::StatusOr<std::vector<Node>> nodes = txn.nodes().List();
      if (!nodes.ok()) return nodes.status();
      for (const Node& n : *nodes) {
        if (EffectiveState(n, clock_.Now(), config_.node_down_after) == NodeState::kUp) ++up;
      }
      return absl::OkStatus();
    });
    EXPECT_TRUE(s.ok()) << s;
    return up;
  }
};

TEST_F(OutageAwareStoreTest, NodesUpWhenTheOutageBeganAreForgivenItsLength) {
  std::vector<TestNode> nodes = AddNodes(6);
  // One node falls silent well before the outage: it stays down.
  clock_.Advance(config_.node_down_after / 2);
  for (size_t i = 1; i < nodes.size(); ++i) ASSERT_OK(Heartbeat(nodes[i]).status());
  clock_.Advance(config_.node_down_after / 2 + absl::Seconds(1));

  UnreachableWhenDown flaky(*store_);
  OutageAwareStore store(flaky, clock_, config_.node_down_after);
  flaky.down = true;
  EXPECT_THAT(store.Read([](MetadataTxn&) { return absl::OkStatus(); }),
              StatusIs(absl::StatusCode::kUnavailable));
  clock_.Advance(config_.node_down_after * 4);  // no heartbeat gets through
  EXPECT_THAT(store.Transact([](MetadataTxn&) { return absl::OkStatus(); }),
              StatusIs(absl::StatusCode::kUnavailable));
  flaky.down = false;

  // Judged by the recorded heartbeats alone, the whole fleet looks down...
  EXPECT_EQ(UpNodes(*store_), 0);
  // ...but the first call after the outage forgives the five that were up.
  EXPECT_EQ(UpNodes(store), 5);
  EXPECT_EQ(store.forgiven_nodes(), 5);
  EXPECT_EQ(UpNodes(*store_), 5);  // written to the database: every replica sees it

  // They still have to be heard again within node_down_after.
  clock_.Advance(config_.node_down_after + absl::Seconds(1));
  ASSERT_OK(Heartbeat(nodes[2]).status());
  EXPECT_EQ(UpNodes(store), 1);
  EXPECT_EQ(store.forgiven_nodes(), 5);  // once per outage
}

TEST_F(OutageAwareStoreTest, DrainingAndRetiredNodesThatHeartbeatAreForgivenToo) {
  std::vector<TestNode> nodes = AddNodes(6);
  ASSERT_OK(registry_->SetState(nodes[0].id, NodeState::kDraining));
  ASSERT_OK(registry_->SetState(nodes[1].id, NodeState::kRetired));
  UnreachableWhenDown flaky(*store_);
  OutageAwareStore store(flaky, clock_, config_.node_down_after);
  flaky.down = true;
  EXPECT_THAT(store.Read([](MetadataTxn&) { return absl::OkStatus(); }),
              StatusIs(absl::StatusCode::kUnavailable));
  clock_.Advance(config_.node_down_after * 4);
  flaky.down = false;
  EXPECT_EQ(UpNodes(store), 4);
  // A drain judges a draining node's silence, deletions and the orphan sweep a retired
  // one's: their heartbeats are as recent as the up nodes'.
  EXPECT_EQ(store.forgiven_nodes(), 6);
  ASSERT_OK(store.Read([&](MetadataTxn& txn) -> absl::Status {
    absl::StatusOr<std::vector<Node>> all = txn.nodes().List();
    if (!all.ok()) return all.status();
    for (const Node& n : *all) EXPECT_EQ(n.last_heartbeat, clock_.Now()) << n.node_id;
    return absl::OkStatus();
  }));
}

TEST_F(OutageAwareStoreTest, OtherErrorsAreNotAnOutage) {
  AddNodes(6);
  OutageAwareStore store(*store_, clock_, config_.node_down_after);
  EXPECT_THAT(store.Read([](MetadataTxn&) { return absl::NotFoundError("no such object"); }),
              StatusIs(absl::StatusCode::kNotFound));
  clock_.Advance(config_.node_down_after * 2);
  EXPECT_EQ(UpNodes(store), 0);
  EXPECT_EQ(store.forgiven_nodes(), 0);
}

}  // namespace
}  // namespace freehold::coordinator::testing
