// Background work over real PostgreSQL: garbage collection of abandoned
// uploads and deleted objects (DELETE grants to daemons, retried), the
// accounts deletion outbox, and segment health / repair planning / metrics.
#include <gtest/gtest.h>

#include <functional>
#include <set>

#include "absl/synchronization/mutex.h"
#include "common/metrics.h"
#include "coordinator/core/ids.h"
#include "coordinator/core/repair_worker.h"
#include "freehold/v1/storage.pb.h"
#include "tests/coordinator/coordinator_fixture.h"
#include "tests/support/status_matchers.h"

namespace freehold::coordinator::testing {
namespace {

using ::freehold::testing::StatusIs;

// Records DeleteShard calls; answers with `result` (an interaction fake).
class RecordingNodeClient : public StorageNodeClient {
 public:
  absl::Status DeleteShard(const std::string& address, const std::string& grant,
                           absl::Duration) override {
    absl::MutexLock lock(&mu_);
    calls.push_back({address, grant});
    return result;
  }
  struct Call {
    std::string address;
    std::string grant;
  };
  absl::Mutex mu_;
  std::vector<Call> calls;
  absl::Status result;
};

class FakeFeed : public DeletedAccountsFeed {
 public:
  absl::StatusOr<std::vector<DeletedAccountEvent>> List(int64_t after, int limit) override {
    std::vector<DeletedAccountEvent> out;
    for (const DeletedAccountEvent& e : events) {
      if (e.sequence > after && static_cast<int>(out.size()) < limit) out.push_back(e);
    }
    return out;
  }
  absl::Status Ack(int64_t up_to) override {
    acked = up_to;
    return absl::OkStatus();
  }
  std::vector<DeletedAccountEvent> events;
  int64_t acked = 0;
};

class MaintenanceTest : public CoordinatorPgTest {
 protected:
  void SetUp() override {
    CoordinatorPgTest::SetUp();
    if (HasFatalFailure()) return;
    gc_ = std::make_unique<GarbageCollector>(*store_, clock_, config_, *grants_, client_, log_);
  }
  v1::GrantClaims Claims(const std::string& token) {
    TokenVerifier v({coordinator_key_.Public()});
    absl::StatusOr<std::string> payload = v.Verify(token, kGrantContext);
    EXPECT_TRUE(payload.ok()) << payload.status();
    v1::GrantClaims claims;
    EXPECT_TRUE(payload.ok() && claims.ParseFromString(*payload));
    return claims;
  }
  int64_t QueueSize() {
    int64_t n = -1;
    EXPECT_OK(store_->Read([&](MetadataTxn& txn) -> absl::Status {
      absl::StatusOr<int64_t> size = txn.deletions().Size();
      if (!size.ok()) return size.status();
      n = *size;
      return absl::OkStatus();
    }));
    return n;
  }
  // Takes `node` down: the others heartbeat, time passes, the liveness loop runs.
  void TakeDown(const std::vector<TestNode>& down) {
    clock_.Advance(config_.node_down_after + absl::Seconds(1));
    for (const TestNode& n : nodes_) {
      bool is_down = false;
      for (const TestNode& d : down) is_down |= d.id == n.id;
      if (!is_down) {
        ASSERT_OK(Heartbeat(n).status());
      }
    }
    ASSERT_OK(registry_->MarkSilentNodesDown().status());
  }

  RecordingNodeClient client_;
  std::unique_ptr<GarbageCollector> gc_;
};

TEST_F(MaintenanceTest, AbandonedUploadIsCollectedAndItsShardsDeletedOnDaemons) {
  AddNodes(6);
  Caller owner = NewAccount();
  ASSERT_OK_AND_ASSIGN(Begun b, BeginFirstSegment(owner, 1000));
  ASSERT_OK_AND_ASSIGN(int collected, gc_->CollectAbandonedUploads());
  EXPECT_EQ(collected, 0);  // not expired yet
  clock_.Advance(config_.upload_ttl + absl::Seconds(1));
  EXPECT_THAT(writer_->CommitSegment(
                  owner, {b.object_id, 0,
                          ReceiptsFor(b.targets, b.input.shard_size_bytes, b.input.shard_sha256)}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_OK_AND_ASSIGN(collected, gc_->CollectAbandonedUploads());
  EXPECT_EQ(collected, 1);
  EXPECT_THAT(writer_->BeginSegment(owner, b.input), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(QueueSize(), 6);
  for (const TestNode& n : nodes_) ASSERT_OK(Heartbeat(n).status());  // still alive
  ASSERT_OK_AND_ASSIGN(int done, gc_->RunDeletions());
  EXPECT_EQ(done, 6);
  ASSERT_EQ(client_.calls.size(), 6u);
  for (const RecordingNodeClient::Call& call : client_.calls) {
    v1::GrantClaims claims = Claims(call.grant);
    EXPECT_EQ(claims.operation(), v1::GRANT_OPERATION_DELETE);
    EXPECT_EQ(NodeById(claims.node_id()).address, call.address);
    ASSERT_OK_AND_ASSIGN(ParsedShardKey key, ParseShardKey(claims.shard_key()));
    EXPECT_EQ(key.object_id, b.object_id);
    EXPECT_EQ(b.targets.shards[key.index].node_id, claims.node_id());
  }
  EXPECT_EQ(QueueSize(), 0);
}

TEST_F(MaintenanceTest, FailedDeletionsAreRetriedWithBackoff) {
  AddNodes(6);
  Caller owner = NewAccount();
  ASSERT_OK_AND_ASSIGN(std::string id, UploadObject(owner, 1000));
  clock_.Advance(config_.grant_ttl);  // deletions wait for the PUT grants to expire
  for (const TestNode& n : nodes_) ASSERT_OK(Heartbeat(n).status());
  ASSERT_OK(catalog_->Delete(owner, id));
  EXPECT_THAT(catalog_->Get(&owner, id), StatusIs(absl::StatusCode::kNotFound));
  client_.result = absl::UnavailableError("node unreachable");
  ASSERT_OK_AND_ASSIGN(int done, gc_->RunDeletions());
  EXPECT_EQ(done, 0);
  EXPECT_EQ(client_.calls.size(), 6u);
  ASSERT_OK(gc_->RunDeletions().status());
  EXPECT_EQ(client_.calls.size(), 6u);  // not due again yet
  clock_.Advance(absl::Seconds(2));
  client_.result = absl::OkStatus();
  ASSERT_OK_AND_ASSIGN(done, gc_->RunDeletions());
  EXPECT_EQ(done, 6);
  EXPECT_EQ(client_.calls.size(), 12u);
  EXPECT_EQ(QueueSize(), 0);
}

TEST_F(MaintenanceTest, DeletionsReachRetiredNodesThatAnswerAreDroppedForSilentOnesDownNodesWait) {
  std::vector<TestNode> nodes = AddNodes(6);
  Caller owner = NewAccount();
  ASSERT_OK_AND_ASSIGN(std::string id, UploadObject(owner, 1000));
  clock_.Advance(config_.grant_ttl);  // deletions wait for the PUT grants to expire
  ASSERT_OK(registry_->SetState(nodes[0].id, NodeState::kRetired));
  ASSERT_OK(registry_->SetState(nodes[2].id, NodeState::kRetired));
  // nodes[0] is retired and still heartbeats; nodes[2] is retired and silent.
  TakeDown({nodes[1], nodes[2]});
  ASSERT_OK(catalog_->Delete(owner, id));
  ASSERT_OK_AND_ASSIGN(int done, gc_->RunDeletions());
  EXPECT_EQ(done, 5);  // 3 up + the retired one that answers sent, the silent retired dropped
  ASSERT_EQ(client_.calls.size(), 4u);
  std::set<std::string> reached;
  for (const RecordingNodeClient::Call& c : client_.calls) reached.insert(c.address);
  EXPECT_TRUE(reached.count(nodes[0].address));   // "retired" means it holds nothing
  EXPECT_FALSE(reached.count(nodes[1].address));  // down: waits
  EXPECT_FALSE(reached.count(nodes[2].address));  // retired and silent: dropped
  EXPECT_EQ(QueueSize(), 1);
}

TEST_F(MaintenanceTest, AccountDeletionOutboxRemovesTheAccountsDataAndAcks) {
  AddNodes(6);
  Caller gone = NewAccount();
  Caller stays = NewAccount();
  ASSERT_OK_AND_ASSIGN(std::string a1, UploadObject(gone, 1000));
  ASSERT_OK_AND_ASSIGN(std::string a2, UploadObject(gone, 2000));
  ASSERT_OK_AND_ASSIGN(std::string b1, UploadObject(stays, 1000));
  ASSERT_OK(catalog_->UpdateHeader(stays, b1, "h", {gone.account_id}));
  FakeFeed feed;
  feed.events = {{7, gone.account_id}};
  AccountDeletionConsumer consumer(*store_, *catalog_, feed, log_);
  ASSERT_OK_AND_ASSIGN(int handled, consumer.Poll());
  EXPECT_EQ(handled, 1);
  EXPECT_EQ(feed.acked, 7);
  EXPECT_THAT(catalog_->Get(&gone, a1), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(catalog_->Get(&gone, a2), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(catalog_->Get(&gone, b1), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK(catalog_->Get(&stays, b1).status());
  EXPECT_EQ(QueueSize(), 12);
  // The cursor is stored: the same event is not handled twice.
  ASSERT_OK_AND_ASSIGN(handled, consumer.Poll());
  EXPECT_EQ(handled, 0);
}

TEST_F(MaintenanceTest, SegmentHealthCountsDegradedAndLostAndPlansRepairs) {
  std::vector<TestNode> nodes = AddNodes(6);
  Caller owner = NewAccount();
  ASSERT_OK_AND_ASSIGN(std::string id, UploadObject(owner, 1000));
  ASSERT_OK(monitor_->Refresh());
  EXPECT_EQ(ReadMetric(metrics_registry_, "freehold_segments_degraded", {}), 0.0);
  EXPECT_EQ(ReadMetric(metrics_registry_, "freehold_objects", {}), 1.0);
  EXPECT_EQ(ReadMetric(metrics_registry_, "freehold_stored_bytes", {{"kind", "logical"}}), 1000.0);
  EXPECT_EQ(ReadMetric(metrics_registry_, "freehold_stored_bytes", {{"kind", "raw"}}), 6.0 * 250);
  EXPECT_EQ(ReadMetric(metrics_registry_, "freehold_nodes", {{"state", "up"}}), 6.0);

  // A scrubber report makes one shard missing.
  ASSERT_OK_AND_ASSIGN(ObjectManifest m, catalog_->Get(&owner, id));
  const ShardLocation& victim = m.segments[0].shards[0];
  ASSERT_OK(Heartbeat(NodeById(victim.node_id), 0, 1 << 30, {victim.shard_key}).status());
  ASSERT_OK_AND_ASSIGN(ClusterSnapshot snap, monitor_->Snapshot());
  EXPECT_EQ(snap.health.degraded, 1u);
  EXPECT_EQ(snap.health.lost, 0u);
  ASSERT_OK_AND_ASSIGN(RepairPlan plan, monitor_->Plan());
  ASSERT_EQ(plan.repairable.size(), 1u);
  EXPECT_EQ(plan.repairable[0].missing_shards, 1);

  // Two more nodes down: 3 of 6 healthy < k = 4 on up nodes, but 5 exist: unavailable,
  // NOT lost (down is not lost).
  std::vector<TestNode> down;
  for (const ShardLocation& l : m.segments[0].shards) {
    if (l.index == 1 || l.index == 2) down.push_back(NodeById(l.node_id));
  }
  TakeDown(down);
  ASSERT_OK(monitor_->Refresh());
  EXPECT_EQ(ReadMetric(metrics_registry_, "freehold_segments_degraded", {}), 1.0);
  EXPECT_EQ(ReadMetric(metrics_registry_, "freehold_segments_lost", {}), 0.0);
  EXPECT_EQ(ReadMetric(metrics_registry_, "freehold_segments_unavailable", {}), 1.0);
  EXPECT_EQ(ReadMetric(metrics_registry_, "freehold_nodes", {{"state", "down"}}), 2.0);
  ASSERT_OK_AND_ASSIGN(snap, monitor_->Snapshot());
  EXPECT_EQ(snap.health.unavailable, 1u);
  EXPECT_EQ(snap.health.lost, 0u);
  ASSERT_OK_AND_ASSIGN(plan, monitor_->Plan());
  EXPECT_TRUE(plan.repairable.empty());
  EXPECT_TRUE(plan.lost.empty());
  ASSERT_EQ(plan.unavailable.size(), 1u);
  EXPECT_EQ(plan.unavailable[0].healthy_shards, 3);
  EXPECT_EQ(plan.unavailable[0].existing_shards, 5);
  // The manifest no longer offers grants for shards on down nodes, and says they are
  // unavailable (not missing).
  ASSERT_OK_AND_ASSIGN(m, catalog_->Get(&owner, id));
  int with_grant = 0, unavailable = 0;
  for (const ShardLocation& l : m.segments[0].shards) {
    with_grant += l.grant.empty() ? 0 : 1;
    unavailable += l.state == ShardState::kUnavailable ? 1 : 0;
  }
  EXPECT_EQ(with_grant, 3);
  EXPECT_EQ(unavailable, 2);

  // One of the down nodes is removed for good: 4 exist... the other removed too: 3 < k.
  ASSERT_OK(registry_->SetState(down[0].id, NodeState::kRetired));
  ASSERT_OK(registry_->SetState(down[1].id, NodeState::kRetired));
  ASSERT_OK(monitor_->Refresh());
  EXPECT_EQ(ReadMetric(metrics_registry_, "freehold_segments_lost", {}), 1.0);
  EXPECT_EQ(ReadMetric(metrics_registry_, "freehold_segments_unavailable", {}), 0.0);
  ASSERT_OK_AND_ASSIGN(plan, monitor_->Plan());
  ASSERT_EQ(plan.lost.size(), 1u);
  EXPECT_TRUE(plan.unavailable.empty());
}

// Plays the daemons of a repair: "stores" each target and signs its receipt
// with the target node's key (the fixture holds every node key).
class SigningRebuilder : public ShardRebuilder {
 public:
  explicit SigningRebuilder(
      std::function<std::string(const TestNode&, const std::string&, uint64_t, const std::string&)>
          sign)
      : sign_(std::move(sign)) {}
  absl::StatusOr<std::vector<std::string>> Rebuild(const RebuildRequest& request) override {
    requests.push_back(request);
    std::vector<std::string> receipts;
    for (const RebuildTarget& t : request.targets) {
      receipts.push_back(sign_(node_of(t.node_id),
                               ShardKey(request.object_id, request.segment, t.index),
                               request.shard_size_bytes, t.sha256));
    }
    return receipts;
  }
  std::function<const TestNode&(const std::string&)> node_of;
  std::vector<RebuildRequest> requests;

 private:
  std::function<std::string(const TestNode&, const std::string&, uint64_t, const std::string&)>
      sign_;
};

TEST_F(MaintenanceTest, RepairWaitsForRepairAfterThenMovesShardsToNewDomains) {
  config_.repair_after = absl::Minutes(10);
  Wire();
  std::vector<TestNode> nodes = AddNodes(8);
  Caller owner = NewAccount();
  ASSERT_OK_AND_ASSIGN(std::string id, UploadObject(owner, 1000));
  ASSERT_OK_AND_ASSIGN(ObjectManifest m, catalog_->Get(&owner, id));
  const TestNode dead = NodeById(m.segments[0].shards[2].node_id);
  SigningRebuilder rebuilder([this](const TestNode& n, const std::string& key, uint64_t size,
                                    const std::string& sha) { return Receipt(n, key, size, sha); });
  rebuilder.node_of = [this](const std::string& id) -> const TestNode& { return NodeById(id); };
  RepairWorker worker(*store_, clock_, config_, *placement_, *grants_, *monitor_, rebuilder, log_);

  TakeDown({dead});
  ASSERT_OK_AND_ASSIGN(RepairReport report, worker.RunOnce());
  EXPECT_EQ(report.rebuilt_shards, 0);  // down, but not for repair_after yet
  EXPECT_TRUE(rebuilder.requests.empty());

  clock_.Advance(absl::Minutes(10));
  for (const TestNode& n : nodes) {
    if (n.id != dead.id) {
      ASSERT_OK(Heartbeat(n).status());
    }
  }
  ASSERT_OK_AND_ASSIGN(report, worker.RunOnce());
  EXPECT_EQ(report.repaired_segments, 1);
  EXPECT_EQ(report.rebuilt_shards, 1);
  ASSERT_EQ(rebuilder.requests.size(), 1u);
  const RebuildRequest& req = rebuilder.requests[0];
  EXPECT_EQ(req.sources.size(), 5u);
  ASSERT_EQ(req.targets.size(), 1u);
  EXPECT_EQ(req.targets[0].index, 2);
  std::set<std::string> hosts;
  for (const ShardLocation& l : m.segments[0].shards) {
    if (l.index != 2) hosts.insert(NodeById(l.node_id).domain.host);
  }
  EXPECT_FALSE(hosts.count(NodeById(req.targets[0].node_id).domain.host));

  ASSERT_OK_AND_ASSIGN(ObjectManifest after, catalog_->Get(&owner, id));
  EXPECT_EQ(after.segments[0].shards[2].node_id, req.targets[0].node_id);
  EXPECT_EQ(after.segments[0].shards[2].state, ShardState::kHealthy);
  ASSERT_OK_AND_ASSIGN(ClusterSnapshot snap, monitor_->Snapshot());
  EXPECT_EQ(snap.health.degraded, 0u);
  EXPECT_EQ(QueueSize(), 1);  // the dead node's copy is deleted if it ever returns
}

TEST_F(MaintenanceTest, RepairRefusesAReceiptThatDoesNotAttestTheShard) {
  config_.repair_after = absl::ZeroDuration();
  Wire();
  AddNodes(7);
  Caller owner = NewAccount();
  ASSERT_OK_AND_ASSIGN(std::string id, UploadObject(owner, 1000));
  ASSERT_OK_AND_ASSIGN(ObjectManifest m, catalog_->Get(&owner, id));
  const ShardLocation victim = m.segments[0].shards[1];
  ASSERT_OK(Heartbeat(NodeById(victim.node_id), 0, 1 << 30, {victim.shard_key}).status());
  SigningRebuilder rebuilder(
      [this](const TestNode& n, const std::string& key, uint64_t size, const std::string&) {
        return Receipt(n, key, size, std::string(32, 'w'));  // wrong bytes stored
      });
  rebuilder.node_of = [this](const std::string& id) -> const TestNode& { return NodeById(id); };
  RepairWorker worker(*store_, clock_, config_, *placement_, *grants_, *monitor_, rebuilder, log_);
  EXPECT_THAT(worker.RepairSegment(id, 0), StatusIs(absl::StatusCode::kDataLoss));
  ASSERT_OK_AND_ASSIGN(ObjectManifest after, catalog_->Get(&owner, id));
  EXPECT_EQ(after.segments[0].shards[1].node_id, victim.node_id);  // unchanged
  EXPECT_EQ(after.segments[0].shards[1].state, ShardState::kMissing);
}

}  // namespace
}  // namespace freehold::coordinator::testing
