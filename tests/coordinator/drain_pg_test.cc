// Drains and concurrent shard moves over real PostgreSQL: the defects issue 23's fault
// tests found (tests/e2e/durability_fault2_test.cc), each shown here deterministically
// with a FakeClock:
//  - a drain pass that lasts longer than --node-down-after retired the node it drained,
//    although it heartbeat throughout, with the deletions the pass had just queued; they
//    were then dropped (retired node) and the moved shards stayed on its disk for good;
//  - the pending shards of an upload that stopped held a drain until --upload-ttl (24 h):
//    they are re-targeted once the upload's PUT grants have expired;
//  - two moves of one segment's shards at once (a drain and a rebalance, a repair and a
//    drain, each in its own loop) could both commit onto one node: two shards of a
//    segment on one node (a double placement).
// The daemons are the ShardTransfer / ShardRebuilder / StorageNodeClient seams below,
// answering as daemons would (receipts signed with the node's key, recorded deletions).
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <set>

#include "absl/synchronization/mutex.h"
#include "common/signed_token.h"
#include "coordinator/core/drain_worker.h"
#include "coordinator/core/ids.h"
#include "coordinator/core/repair_worker.h"
#include "coordinator/core/shard_mover.h"
#include "coordinator/pg/pg_durability_store.h"
#include "freehold/v1/storage.pb.h"
#include "tests/coordinator/coordinator_fixture.h"
#include "tests/support/status_matchers.h"

namespace freehold::coordinator::testing {
namespace {

using ::freehold::testing::StatusIs;

// Daemons as the coordinator's own data-path calls see them: reads return bytes,
// writes and rebuilds return receipts signed by the target node. `on_write` (if set)
// runs once, in the middle of the next write or rebuild: what happens meanwhile.
class FakeDaemons : public ShardTransfer, public ShardRebuilder {
 public:
  using Sign = std::function<std::string(const std::string& node_id, const std::string& key,
                                         uint64_t size, const std::string& sha256)>;
  FakeDaemons(Sign sign, std::vector<PublicKey> grant_keys)
      : sign_(std::move(sign)), grant_keys_(std::move(grant_keys)) {}

  absl::StatusOr<AuditAnswer> Audit(const std::string&, const std::string&,
                                    const std::string&) override {
    return absl::UnimplementedError("no audits here");
  }
  absl::StatusOr<std::string> Read(const std::string&, const std::string&, uint64_t size_bytes,
                                   const std::string&) override {
    return std::string(size_bytes, 's');
  }
  absl::StatusOr<std::string> Write(const std::string&, const std::string& grant,
                                    const std::string&) override {
    Meanwhile();
    v1::GrantClaims claims;
    TokenVerifier v(grant_keys_);
    absl::StatusOr<std::string> payload = v.Verify(grant, kGrantContext);
    if (!payload.ok() || !claims.ParseFromString(*payload)) {
      return absl::PermissionDeniedError("bad grant");
    }
    {
      absl::MutexLock lock(&mu_);
      writes.push_back(claims.node_id() + " " + claims.shard_key());
    }
    return sign_(claims.node_id(), claims.shard_key(), claims.size_bytes(), claims.sha256());
  }
  absl::StatusOr<std::vector<std::string>> Rebuild(const RebuildRequest& request) override {
    {
      absl::MutexLock lock(&mu_);
      rebuilds.push_back(request);
    }
    Meanwhile();
    std::vector<std::string> receipts;
    for (const RebuildTarget& t : request.targets) {
      receipts.push_back(sign_(t.node_id, ShardKey(request.object_id, request.segment, t.index),
                               request.shard_size_bytes, t.sha256));
    }
    return receipts;
  }

  // Set only while no call runs (tests that use it run the workers one move at a time).
  std::function<void()> on_write;
  std::vector<std::string> writes;  // "<node> <key>"
  std::vector<RebuildRequest> rebuilds;

 private:
  void Meanwhile() {
    std::function<void()> once;
    {
      absl::MutexLock lock(&mu_);
      once = std::move(on_write);
      on_write = nullptr;
    }
    if (once) once();
  }
  absl::Mutex mu_;
  Sign sign_;
  std::vector<PublicKey> grant_keys_;
};

// Records DeleteShard calls (the daemons' side of the deletion queue).
class RecordingDeletes : public StorageNodeClient {
 public:
  absl::Status DeleteShard(const std::string& address, const std::string&,
                           absl::Duration) override {
    absl::MutexLock lock(&mu_);
    addresses.push_back(address);
    return absl::OkStatus();
  }
  int To(const std::string& address) {
    absl::MutexLock lock(&mu_);
    return static_cast<int>(std::count(addresses.begin(), addresses.end(), address));
  }
  absl::Mutex mu_;
  std::vector<std::string> addresses;
};

class DrainPgTest : public CoordinatorPgTest {
 protected:
  void SetUp() override {
    CoordinatorPgTest::SetUp();
    if (HasFatalFailure()) return;
    WireWorkers();
  }
  // After Wire() (which replaces the registry and placement they use).
  void WireWorkers() {
    gc_.reset();
    drains_.reset();
    mover_.reset();
    durability_ = std::make_unique<PgDurabilityStore>(*pool_);
    daemons_ = std::make_unique<FakeDaemons>(
        [this](const std::string& node_id, const std::string& key, uint64_t size,
               const std::string& sha) { return Receipt(NodeById(node_id), key, size, sha); },
        std::vector<PublicKey>{coordinator_key_.Public()});
    mover_ = std::make_unique<ShardMover>(*store_, clock_, config_, *placement_, *grants_,
                                          *daemons_, *daemons_, limiter_, nullptr);
    drains_ = std::make_unique<DrainWorker>(*store_, *durability_, clock_, config_, *mover_,
                                            *registry_, nullptr, log_);
    gc_ = std::make_unique<GarbageCollector>(*store_, clock_, config_, *grants_, deletes_, log_);
  }
  void TearDown() override {
    gc_.reset();
    drains_.reset();
    mover_.reset();
    durability_.reset();
    CoordinatorPgTest::TearDown();
  }

  void HeartbeatAll() {
    for (const TestNode& n : nodes_) ASSERT_OK(Heartbeat(n).status());
  }
  NodeState StateOf(const std::string& node_id) {
    absl::StatusOr<std::vector<Node>> nodes = registry_->List();
    EXPECT_OK(nodes.status());
    if (nodes.ok()) {
      for (const Node& n : *nodes) {
        if (n.node_id == node_id) return n.state;
      }
    }
    return NodeState::kDown;
  }
  // The node with the most manifest entries, and how many.
  std::pair<std::string, uint64_t> Busiest() {
    std::pair<std::string, uint64_t> best{"", 0};
    for (const TestNode& n : nodes_) {
      absl::StatusOr<NodeLoad> load = durability_->LoadOf(n.id);
      EXPECT_OK(load.status());
      if (load.ok() && load->shards > best.second) best = {n.id, load->shards};
    }
    return best;
  }
  SegmentRecord SegmentOf(const std::string& object_id) {
    std::optional<SegmentRecord> out;
    EXPECT_OK(store_->Read([&](MetadataTxn& txn) -> absl::Status {
      absl::StatusOr<std::optional<SegmentRecord>> s = txn.segments().Get(object_id, 0);
      if (!s.ok()) return s.status();
      out = *s;
      return absl::OkStatus();
    }));
    EXPECT_TRUE(out.has_value());
    return out.value_or(SegmentRecord{});
  }
  // "" when no node holds two shards of the segment, else which.
  static std::string DoublePlaced(const SegmentRecord& s) {
    std::map<std::string, int> per_node;
    for (const ShardRecord& r : s.shards) {
      if (++per_node[r.node_id] > 1) return "two shards on node " + r.node_id;
    }
    return "";
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

  std::unique_ptr<PgDurabilityStore> durability_;
  std::unique_ptr<FakeDaemons> daemons_;
  ByteRateLimiter limiter_{1e12};
  std::unique_ptr<ShardMover> mover_;
  std::unique_ptr<DrainWorker> drains_;
  RecordingDeletes deletes_;
  std::unique_ptr<GarbageCollector> gc_;
};

TEST_F(DrainPgTest, APassLongerThanDownAfterDoesNotRetireANodeThatHeartbeatsWithDeletionsQueued) {
  config_.durability.drain_parallelism = 1;  // one copy after the other, each slow
  Wire();
  WireWorkers();
  AddNodes(7);
  Caller owner = NewAccount();
  for (int i = 0; i < 5; ++i) ASSERT_OK(UploadObject(owner, 1000).status());
  const auto [node_id, held] = Busiest();
  ASSERT_GE(held, 3u);
  const std::string address = NodeById(node_id).address;
  ASSERT_OK(registry_->SetState(node_id, NodeState::kDraining));

  // Every copy takes half of --node-down-after, and every node (the drained one too)
  // heartbeats meanwhile: the pass outlasts --node-down-after, nobody is ever silent.
  int copies = 0;
  std::function<void()> slow = [&] {
    ++copies;
    clock_.Advance(config_.node_down_after / 2);
    HeartbeatAll();
    daemons_->on_write = slow;
  };
  daemons_->on_write = slow;
  ASSERT_OK_AND_ASSIGN(DrainReport report, drains_->RunOnce());
  daemons_->on_write = nullptr;
  EXPECT_EQ(report.moved_shards, static_cast<int>(held));
  EXPECT_GE(copies, static_cast<int>(held));
  // Not retired: it answers, and the deletions of the moved shards are queued on it.
  EXPECT_EQ(report.retired_nodes, 0);
  EXPECT_EQ(StateOf(node_id), NodeState::kDraining);
  EXPECT_EQ(QueueSize(), static_cast<int64_t>(held));

  ASSERT_OK_AND_ASSIGN(int done, gc_->RunDeletions());
  EXPECT_EQ(done, static_cast<int>(held));
  EXPECT_EQ(deletes_.To(address), static_cast<int>(held));  // every moved copy deleted there
  ASSERT_OK_AND_ASSIGN(report, drains_->RunOnce());
  EXPECT_EQ(report.retired_nodes, 1);
  EXPECT_EQ(StateOf(node_id), NodeState::kRetired);
  ASSERT_OK_AND_ASSIGN(std::vector<DrainProgress> drains, durability_->Drains());
  ASSERT_EQ(drains.size(), 1u);
  EXPECT_TRUE(drains[0].finished_at.has_value());
}

TEST_F(DrainPgTest, ASilentDrainingNodeRetiresWithDeletionsQueuedWhichReachItIfItAnswersAgain) {
  AddNodes(7);
  Caller owner = NewAccount();
  for (int i = 0; i < 3; ++i) ASSERT_OK(UploadObject(owner, 1000).status());
  const auto [node_id, held] = Busiest();
  ASSERT_GE(held, 1u);
  const std::string address = NodeById(node_id).address;
  ASSERT_OK(registry_->SetState(node_id, NodeState::kDraining));
  ASSERT_OK_AND_ASSIGN(DrainReport report, drains_->RunOnce());
  EXPECT_EQ(report.moved_shards, static_cast<int>(held));
  EXPECT_EQ(report.retired_nodes, 0);

  // It stops answering: retired although its deletions wait (it cannot delete).
  clock_.Advance(config_.node_down_after + absl::Seconds(1));
  for (const TestNode& n : nodes_) {
    if (n.id != node_id) ASSERT_OK(Heartbeat(n).status());
  }
  ASSERT_OK_AND_ASSIGN(report, drains_->RunOnce());
  EXPECT_EQ(report.retired_nodes, 1);
  EXPECT_EQ(StateOf(node_id), NodeState::kRetired);
  EXPECT_EQ(QueueSize(), static_cast<int64_t>(held));
  // It answers again (heartbeats are accepted from a retired node): the deletions go to
  // it, "retired" meaning it holds nothing.
  ASSERT_OK(Heartbeat(NodeById(node_id)).status());
  ASSERT_OK_AND_ASSIGN(int done, gc_->RunDeletions());
  EXPECT_EQ(done, static_cast<int>(held));
  EXPECT_EQ(deletes_.To(address), static_cast<int>(held));
}

TEST_F(DrainPgTest, AStoppedUploadsPendingShardsAreRetargetedOnceItsGrantsExpireNotAfterUploadTtl) {
  AddNodes(7);
  Caller owner = NewAccount();
  ASSERT_OK_AND_ASSIGN(Begun b, BeginFirstSegment(owner, 1000));  // never committed
  const std::string node_id = b.targets.shards[0].node_id;
  const std::string address = NodeById(node_id).address;
  ASSERT_OK(registry_->SetState(node_id, NodeState::kDraining));
  ASSERT_GT(config_.upload_ttl, config_.grant_ttl + absl::Minutes(1));

  // Its grants are valid: a PutShard may be running there; the drain waits.
  ASSERT_OK_AND_ASSIGN(DrainReport report, drains_->RunOnce());
  EXPECT_EQ(report.retargeted_pending, 0);
  EXPECT_EQ(report.retired_nodes, 0);
  EXPECT_EQ(SegmentOf(b.object_id).shards[0].node_id, node_id);

  // The grants expired (the upload's upload_ttl is far off): re-targeted, the old copy
  // queued for deletion, the node retired once that is done.
  clock_.Advance(config_.grant_ttl + absl::Seconds(1));
  HeartbeatAll();
  ASSERT_OK_AND_ASSIGN(report, drains_->RunOnce());
  EXPECT_EQ(report.retargeted_pending, 1);
  EXPECT_EQ(report.retired_nodes, 0);
  SegmentRecord moved = SegmentOf(b.object_id);
  EXPECT_NE(moved.shards[0].node_id, node_id);
  EXPECT_EQ(moved.shards[0].state, ShardState::kPending);
  EXPECT_EQ(DoublePlaced(moved), "");
  ASSERT_OK_AND_ASSIGN(int done, gc_->RunDeletions());
  EXPECT_EQ(done, 1);
  EXPECT_EQ(deletes_.To(address), 1);
  ASSERT_OK_AND_ASSIGN(report, drains_->RunOnce());
  EXPECT_EQ(report.retired_nodes, 1);
  EXPECT_EQ(StateOf(node_id), NodeState::kRetired);

  // The upload can still finish: beginning again hands out the new target.
  ASSERT_OK_AND_ASSIGN(SegmentTargets again, writer_->BeginSegment(owner, b.input));
  for (const ShardTarget& t : again.shards) EXPECT_NE(t.node_id, node_id);
  EXPECT_EQ(again.shards[0].node_id, moved.shards[0].node_id);
  ASSERT_OK(writer_->CommitSegment(
      owner, {b.object_id, 0,
              ReceiptsFor(again, b.input.shard_size_bytes, b.input.shard_sha256)}));
  ASSERT_OK(writer_->CommitObject(owner, b.object_id, 1).status());
}

// Issue 23: a client that stored every shard, but commits only after its PUT grants
// expired and a drain re-targeted one pending shard, used to get INVALID_ARGUMENT for the
// whole commit ("not signed by node ..."). The stale receipt proves a copy that is queued
// for deletion: it does not count, the rest commit degraded (>= --commit-min-shards) and
// the re-targeted shard is MISSING, which the repair loop rebuilds.
TEST_F(DrainPgTest, ACommitWithAStaleReceiptOfARetargetedShardCommitsDegradedAndRepairRebuildsIt) {
  config_.repair_after = absl::ZeroDuration();
  Wire();
  WireWorkers();
  AddNodes(8);
  Caller owner = NewAccount();
  ASSERT_OK_AND_ASSIGN(Begun b, BeginFirstSegment(owner, 1000));
  // Every shard stored on the nodes first chosen: receipts signed by them.
  const std::vector<std::string> stale =
      ReceiptsFor(b.targets, b.input.shard_size_bytes, b.input.shard_sha256);
  const std::string node_id = b.targets.shards[0].node_id;
  ASSERT_OK(registry_->SetState(node_id, NodeState::kDraining));
  clock_.Advance(config_.grant_ttl + absl::Seconds(1));
  HeartbeatAll();
  ASSERT_OK_AND_ASSIGN(DrainReport report, drains_->RunOnce());
  ASSERT_EQ(report.retargeted_pending, 1);
  const std::string moved_to = SegmentOf(b.object_id).shards[0].node_id;
  ASSERT_NE(moved_to, node_id);

  int missing = -1;
  ASSERT_OK(writer_->CommitSegment(owner, {b.object_id, 0, stale}, &missing));
  EXPECT_EQ(missing, 1);
  ASSERT_OK(writer_->CommitObject(owner, b.object_id, 1).status());
  SegmentRecord committed = SegmentOf(b.object_id);
  EXPECT_TRUE(committed.committed);
  EXPECT_EQ(committed.shards[0].state, ShardState::kMissing);
  EXPECT_EQ(committed.shards[0].node_id, moved_to);
  for (size_t i = 1; i < committed.shards.size(); ++i) {
    EXPECT_EQ(committed.shards[i].state, ShardState::kHealthy) << i;
    EXPECT_EQ(committed.shards[i].node_id, b.targets.shards[i].node_id) << i;
  }
  // The repair loop rebuilds it, never onto the node being drained.
  RepairWorker repair(*store_, clock_, config_, *placement_, *grants_, *monitor_, *daemons_,
                      log_);
  ASSERT_OK_AND_ASSIGN(RepairReport repaired, repair.RunOnce());
  EXPECT_EQ(repaired.rebuilt_shards, 1);
  committed = SegmentOf(b.object_id);
  EXPECT_EQ(committed.shards[0].state, ShardState::kHealthy);
  EXPECT_NE(committed.shards[0].node_id, node_id);
  EXPECT_EQ(DoublePlaced(committed), "");
}

// Below --commit-min-shards once the stale receipts are not counted: a precise
// FAILED_PRECONDITION naming each re-targeted shard and its new node, nothing committed;
// the client begins again and commits with receipts from the new nodes.
TEST_F(DrainPgTest, TooFewValidReceiptsAfterRetargetingAreFailedPreconditionNamingTheShards) {
  AddNodes(8);
  Caller owner = NewAccount();
  ASSERT_OK_AND_ASSIGN(Begun b, BeginFirstSegment(owner, 1000));
  const std::vector<std::string> stale =
      ReceiptsFor(b.targets, b.input.shard_size_bytes, b.input.shard_sha256);
  // k+1 of k+m needed: two drained nodes leave k valid receipts.
  ASSERT_EQ(b.targets.shards.size(), 6u);
  ASSERT_EQ(config_.CommitMinShards(), 5);
  const std::string first = b.targets.shards[0].node_id;
  const std::string second = b.targets.shards[1].node_id;
  ASSERT_OK(registry_->SetState(first, NodeState::kDraining));
  ASSERT_OK(registry_->SetState(second, NodeState::kDraining));
  clock_.Advance(config_.grant_ttl + absl::Seconds(1));
  HeartbeatAll();
  ASSERT_OK_AND_ASSIGN(DrainReport report, drains_->RunOnce());
  ASSERT_EQ(report.retargeted_pending, 2);
  const SegmentRecord moved = SegmentOf(b.object_id);

  absl::Status s = writer_->CommitSegment(owner, {b.object_id, 0, stale});
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_NE(s.message().find("shard 0 (moved from node " + first + " to node " +
                             moved.shards[0].node_id + ")"),
            std::string::npos)
      << s;
  EXPECT_NE(s.message().find("shard 1 (moved from node " + second + " to node " +
                             moved.shards[1].node_id + ")"),
            std::string::npos)
      << s;
  EXPECT_FALSE(SegmentOf(b.object_id).committed);

  // A receipt signed by a node the shard never was on is still INVALID_ARGUMENT.
  std::vector<std::string> forged = stale;
  forged[2] = Receipt(NodeById(first), ShardKey(b.object_id, 0, 2), b.input.shard_size_bytes,
                      b.input.shard_sha256[2]);
  EXPECT_THAT(writer_->CommitSegment(owner, {b.object_id, 0, forged}),
              StatusIs(absl::StatusCode::kInvalidArgument));

  // Retrying as the message says: fresh grants for the new nodes, then a full commit.
  ASSERT_OK_AND_ASSIGN(SegmentTargets again, writer_->BeginSegment(owner, b.input));
  int missing = -1;
  ASSERT_OK(writer_->CommitSegment(
      owner,
      {b.object_id, 0, ReceiptsFor(again, b.input.shard_size_bytes, b.input.shard_sha256)},
      &missing));
  EXPECT_EQ(missing, 0);
}

TEST_F(DrainPgTest, AnUploadThatBeganAgainKeepsItsPendingShardsOnADrainingNode) {
  AddNodes(7);
  Caller owner = NewAccount();
  ASSERT_OK_AND_ASSIGN(Begun b, BeginFirstSegment(owner, 1000));
  const std::string node_id = b.targets.shards[0].node_id;
  ASSERT_OK(registry_->SetState(node_id, NodeState::kDraining));
  clock_.Advance(config_.grant_ttl + absl::Seconds(1));
  HeartbeatAll();
  // The client comes back just in time: fresh grants, for the node it was placed on.
  ASSERT_OK(writer_->BeginSegment(owner, b.input).status());
  ASSERT_OK_AND_ASSIGN(DrainReport report, drains_->RunOnce());
  EXPECT_EQ(report.retargeted_pending, 0);
  EXPECT_EQ(SegmentOf(b.object_id).shards[0].node_id, node_id);
}

TEST_F(DrainPgTest, TwoMovesOntoOneNodeAtOnceTheSecondToCommitIsRefusedAndItsCopyDeleted) {
  AddNodes(8);
  Caller owner = NewAccount();
  ASSERT_OK_AND_ASSIGN(std::string id, UploadObject(owner, 1000));
  const SegmentRecord before = SegmentOf(id);
  std::set<std::string> used;
  for (const ShardRecord& s : before.shards) used.insert(s.node_id);
  std::string free_node;
  for (const TestNode& n : nodes_) {
    if (!used.count(n.id)) free_node = n.id;
  }
  ASSERT_FALSE(free_node.empty());
  const uint64_t size = before.shard_size_bytes;

  // A rebalance copies shard 0 onto the free node; while it copies, a drain moves shard
  // 1 onto the same node and commits first.
  absl::StatusOr<MoveResult> drained;
  daemons_->on_write = [&] {
    drained = mover_->Move(before.shards[1].node_id, PlacedShard{id, 0, 1, size}, free_node,
                           "drain");
  };
  absl::StatusOr<MoveResult> rebalanced =
      mover_->Move(before.shards[0].node_id, PlacedShard{id, 0, 0, size}, free_node, "rebalance");
  ASSERT_OK(drained.status());
  EXPECT_TRUE(drained->moved);
  EXPECT_THAT(rebalanced.status(), StatusIs(absl::StatusCode::kAborted));
  const SegmentRecord after = SegmentOf(id);
  EXPECT_EQ(DoublePlaced(after), "");
  EXPECT_EQ(after.shards[1].node_id, free_node);
  EXPECT_EQ(after.shards[0].node_id, before.shards[0].node_id);
  // The refused copy is queued for deletion (once its grant expired), the moved one too.
  EXPECT_EQ(QueueSize(), 2);
  clock_.Advance(config_.grant_ttl + absl::Seconds(1));
  HeartbeatAll();
  ASSERT_OK(gc_->RunDeletions().status());
  EXPECT_EQ(deletes_.To(NodeById(free_node).address), 1);
  EXPECT_EQ(deletes_.To(NodeById(before.shards[1].node_id).address), 1);
  EXPECT_EQ(QueueSize(), 0);
}

TEST_F(DrainPgTest, ARepairWhoseTargetReceivedAnotherShardMeanwhileIsRefusedAndRetried) {
  config_.repair_after = absl::ZeroDuration();
  Wire();
  WireWorkers();
  AddNodes(8);
  Caller owner = NewAccount();
  ASSERT_OK_AND_ASSIGN(std::string id, UploadObject(owner, 1000));
  const SegmentRecord before = SegmentOf(id);
  const uint64_t size = before.shard_size_bytes;
  // Shard 2's node reports it corrupt: repair rebuilds it elsewhere.
  const std::string rotten = before.shards[2].node_id;
  ASSERT_OK(Heartbeat(NodeById(rotten), 0, uint64_t{1} << 39,
                      {ShardKey(id, 0, 2)})
                .status());
  RepairWorker repair(*store_, clock_, config_, *placement_, *grants_, *monitor_, *daemons_,
                      log_);
  // While it rebuilds, a drain moves shard 1 onto the repair's target and commits first.
  absl::StatusOr<MoveResult> drained;
  std::string target;
  daemons_->on_write = [&] {
    target = daemons_->rebuilds.back().targets[0].node_id;
    drained = mover_->Move(before.shards[1].node_id, PlacedShard{id, 0, 1, size}, target,
                           "drain");
  };
  EXPECT_THAT(repair.RepairSegment(id, 0), StatusIs(absl::StatusCode::kAborted));
  ASSERT_OK(drained.status());
  EXPECT_TRUE(drained->moved);
  SegmentRecord after = SegmentOf(id);
  EXPECT_EQ(DoublePlaced(after), "");
  EXPECT_EQ(after.shards[1].node_id, target);
  EXPECT_EQ(after.shards[2].node_id, rotten);
  EXPECT_EQ(after.shards[2].state, ShardState::kMissing);

  // The next pass rebuilds it on another node.
  ASSERT_OK_AND_ASSIGN(int rebuilt, repair.RepairSegment(id, 0));
  EXPECT_EQ(rebuilt, 1);
  after = SegmentOf(id);
  EXPECT_EQ(DoublePlaced(after), "");
  EXPECT_EQ(after.shards[2].state, ShardState::kHealthy);
  EXPECT_NE(after.shards[2].node_id, target);
  EXPECT_NE(after.shards[2].node_id, rotten);
}

// Repair runs up to --repair-parallelism segments at once (here 3 of the segments a node
// that went down held): never more, every one repaired once, none double-placed.
class ConcurrencyProbe : public ShardRebuilder {
 public:
  explicit ConcurrencyProbe(ShardRebuilder& inner) : inner_(inner) {}
  absl::StatusOr<std::vector<std::string>> Rebuild(const RebuildRequest& request) override {
    {
      absl::MutexLock lock(&mu_);
      ++active_;
      ++calls_;
      max_active_ = std::max(max_active_, active_);
    }
    absl::SleepFor(absl::Milliseconds(150));  // a rebuild takes a while: they overlap
    absl::StatusOr<std::vector<std::string>> out = inner_.Rebuild(request);
    absl::MutexLock lock(&mu_);
    --active_;
    return out;
  }
  int max_active() {
    absl::MutexLock lock(&mu_);
    return max_active_;
  }
  int calls() {
    absl::MutexLock lock(&mu_);
    return calls_;
  }

 private:
  ShardRebuilder& inner_;
  absl::Mutex mu_;
  int active_ ABSL_GUARDED_BY(mu_) = 0;
  int max_active_ ABSL_GUARDED_BY(mu_) = 0;
  int calls_ ABSL_GUARDED_BY(mu_) = 0;
};

TEST_F(DrainPgTest, RepairRebuildsAtMostRepairParallelismSegmentsAtOnceAndEachOnce) {
  config_.repair_after = absl::ZeroDuration();
  config_.durability.repair_parallelism = 3;
  Wire();
  WireWorkers();
  AddNodes(8);
  Caller owner = NewAccount();
  std::vector<std::string> ids;
  for (int i = 0; i < 12; ++i) {
    ASSERT_OK_AND_ASSIGN(std::string id, UploadObject(owner, 1000));
    ids.push_back(id);
  }
  const auto [dead, held] = Busiest();
  ASSERT_GE(held, 4u);  // more segments than threads
  // It goes silent; the others heartbeat: its shards are due for repair at once.
  clock_.Advance(config_.node_down_after + absl::Seconds(1));
  for (const TestNode& n : nodes_) {
    if (n.id != dead) ASSERT_OK(Heartbeat(n).status());
  }
  ASSERT_OK(registry_->MarkSilentNodesDown().status());
  ASSERT_EQ(StateOf(dead), NodeState::kDown);
  ConcurrencyProbe probe(*daemons_);
  RepairWorker repair(*store_, clock_, config_, *placement_, *grants_, *monitor_, probe, log_);
  ASSERT_OK_AND_ASSIGN(RepairReport report, repair.RunOnce());
  EXPECT_EQ(report.repaired_segments, static_cast<int>(held));
  EXPECT_EQ(report.rebuilt_shards, static_cast<int>(held));
  EXPECT_EQ(report.failed_segments, 0);
  EXPECT_EQ(probe.calls(), static_cast<int>(held));
  EXPECT_LE(probe.max_active(), 3);
  EXPECT_GE(probe.max_active(), 2) << "no two segments were rebuilt at once";
  for (const std::string& id : ids) {
    const SegmentRecord s = SegmentOf(id);
    EXPECT_EQ(DoublePlaced(s), "") << id;
    for (const ShardRecord& r : s.shards) {
      EXPECT_NE(r.node_id, dead) << id;
      EXPECT_EQ(r.state, ShardState::kHealthy) << id;
    }
  }
  // Nothing left to do.
  ASSERT_OK_AND_ASSIGN(report, repair.RunOnce());
  EXPECT_EQ(report.repaired_segments, 0);
  EXPECT_EQ(probe.calls(), static_cast<int>(held));
}

}  // namespace
}  // namespace freehold::coordinator::testing
