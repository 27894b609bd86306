// OrphanSweepWorker over real PostgreSQL: each live node is sent a Bloom filter
// holding every shard key the manifests place on it (uploads in progress included),
// paged by object range on large nodes; DOWN nodes are skipped; the sweep runs once
// per interval. The sender here is the daemon seam, recording what it was sent.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "common/bloom_filter.h"
#include "coordinator/core/ids.h"
#include "coordinator/core/orphan_sweep.h"
#include "coordinator/pg/pg_shard_refs.h"
#include "tests/coordinator/coordinator_fixture.h"
#include "tests/support/status_matchers.h"

namespace freehold::coordinator::testing {
namespace {

class RecordingSweepSender : public OrphanSweepSender {
 public:
  absl::StatusOr<OrphanSweepReply> Sweep(const std::string& address, const OrphanSweepCall& call,
                                         absl::Duration) override {
    calls.push_back({address, call});
    if (!fail_address.empty() && address == fail_address) {
      return absl::UnavailableError("daemon unreachable");
    }
    return OrphanSweepReply{call.key_count, 1, 10, 0};
  }
  struct Call {
    std::string address;
    OrphanSweepCall call;
  };
  std::vector<Call> calls;
  std::string fail_address;
};

class OrphanSweepPgTest : public CoordinatorPgTest {
 protected:
  OrphanSweepWorker Worker(OrphanSweepSettings settings = {}) {
    if (refs_ == nullptr) refs_ = std::make_unique<PgShardRefs>(*pool_);
    return OrphanSweepWorker(*store_, *refs_, sender_, settings, clock_, config_.node_down_after,
                             log_);
  }
  // node id -> shard keys the manifests place there.
  std::map<std::string, std::set<std::string>> Placed(const std::vector<Begun>& begun) {
    std::map<std::string, std::set<std::string>> out;
    for (const Begun& b : begun) {
      for (size_t i = 0; i < b.targets.shards.size(); ++i) {
        EXPECT_EQ(b.targets.shards[i].shard_key, ShardKey(b.object_id, 0, static_cast<int>(i)));
        out[b.targets.shards[i].node_id].insert(b.targets.shards[i].shard_key);
      }
    }
    return out;
  }
  static bool InRange(const std::string& key, const OrphanSweepCall& call) {
    return key >= call.range_start && (call.range_end.empty() || key < call.range_end);
  }
  static BloomFilter FilterOf(const OrphanSweepCall& call) {
    absl::StatusOr<BloomFilter> f =
        BloomFilter::FromParts(call.filter_bits, call.filter_hash_count, call.filter_hash_key);
    EXPECT_TRUE(f.ok()) << f.status();
    return *f;
  }

  std::unique_ptr<PgShardRefs> refs_;
  RecordingSweepSender sender_;
};

TEST_F(OrphanSweepPgTest, EveryNodeGetsAFilterHoldingEveryKeyPlacedOnIt) {
  AddNodes(6);
  Caller owner = NewAccount();
  std::vector<Begun> begun;
  for (int i = 0; i < 5; ++i) {
    ASSERT_OK_AND_ASSIGN(Begun b, BeginFirstSegment(owner, 1000));  // in progress: counts
    begun.push_back(b);
  }
  OrphanSweepWorker worker = Worker();
  ASSERT_OK_AND_ASSIGN(OrphanSweepTotals totals, worker.RunOnce());
  EXPECT_EQ(totals.nodes_swept, 6);
  EXPECT_EQ(totals.nodes_failed, 0);
  ASSERT_EQ(sender_.calls.size(), 6u);
  const auto placed = Placed(begun);
  for (const RecordingSweepSender::Call& c : sender_.calls) {
    EXPECT_EQ(NodeById(c.call.node_id).address, c.address);
    EXPECT_EQ(c.call.range_start, "");
    EXPECT_EQ(c.call.range_end, "");
    const std::set<std::string>& keys = placed.at(c.call.node_id);
    EXPECT_EQ(c.call.key_count, keys.size());
    const BloomFilter filter = FilterOf(c.call);
    for (const std::string& key : keys) EXPECT_TRUE(filter.MightContain(key)) << key;
    EXPECT_EQ(c.call.filter_hash_key.size(), BloomFilter::kKeyBytes);
  }
}

TEST_F(OrphanSweepPgTest, LargeNodesArePagedByObjectRangesThatCoverEveryKey) {
  AddNodes(6);
  Caller owner = NewAccount();
  std::vector<Begun> begun;
  for (int i = 0; i < 7; ++i) {
    ASSERT_OK_AND_ASSIGN(Begun b, BeginFirstSegment(owner, 1000));
    begun.push_back(b);
  }
  OrphanSweepSettings settings;
  settings.page_keys = 2;
  OrphanSweepWorker worker = Worker(settings);
  const std::string node = nodes_[0].id;
  Node record;
  ASSERT_OK(store_->Read([&](MetadataTxn& txn) -> absl::Status {
    absl::StatusOr<std::optional<Node>> got = txn.nodes().Get(node, false);
    if (!got.ok()) return got.status();
    record = got->value();
    return absl::OkStatus();
  }));
  ASSERT_OK(worker.SweepNode(record).status());
  const std::set<std::string> keys = Placed(begun).at(node);
  ASSERT_GE(sender_.calls.size(), 2u);
  // Consecutive ranges: the first open at the start, each next starting where the
  // previous ended, the last open at the end; every key in exactly one, and in its filter.
  EXPECT_EQ(sender_.calls.front().call.range_start, "");
  EXPECT_EQ(sender_.calls.back().call.range_end, "");
  for (size_t i = 1; i < sender_.calls.size(); ++i) {
    EXPECT_EQ(sender_.calls[i].call.range_start, sender_.calls[i - 1].call.range_end);
    EXPECT_EQ(sender_.calls[i].call.range_start.size(), 32u);
  }
  uint64_t total = 0;
  for (const RecordingSweepSender::Call& c : sender_.calls) {
    EXPECT_LE(c.call.key_count, 2u);
    total += c.call.key_count;
  }
  EXPECT_EQ(total, keys.size());
  for (const std::string& key : keys) {
    int covering = 0;
    for (const RecordingSweepSender::Call& c : sender_.calls) {
      if (InRange(key, c.call)) {
        ++covering;
        EXPECT_TRUE(FilterOf(c.call).MightContain(key)) << key;
      }
    }
    EXPECT_EQ(covering, 1) << key;
  }
}

TEST_F(OrphanSweepPgTest, DownNodesAreSkippedAndAFailingNodeDoesNotStopTheOthers) {
  AddNodes(6);
  sender_.fail_address = nodes_[1].address;
  clock_.Advance(config_.node_down_after + absl::Seconds(1));
  for (size_t i = 1; i < nodes_.size(); ++i) ASSERT_OK(Heartbeat(nodes_[i]).status());
  ASSERT_OK(registry_->MarkSilentNodesDown().status());  // nodes_[0] is down
  OrphanSweepWorker worker = Worker();
  ASSERT_OK_AND_ASSIGN(OrphanSweepTotals totals, worker.RunOnce());
  EXPECT_EQ(totals.nodes_swept, 4);
  EXPECT_EQ(totals.nodes_failed, 1);
  for (const RecordingSweepSender::Call& c : sender_.calls) {
    EXPECT_NE(c.call.node_id, nodes_[0].id);
  }
}

TEST_F(OrphanSweepPgTest, ARetiredNodeIsSweptWhileItStillAnswers) {
  AddNodes(6);
  ASSERT_OK(registry_->SetState(nodes_[0].id, NodeState::kRetired));
  OrphanSweepWorker worker = Worker();
  ASSERT_OK_AND_ASSIGN(OrphanSweepTotals totals, worker.RunOnce());
  EXPECT_EQ(totals.nodes_swept, 6);  // it heartbeats: whatever it kept is swept
  int to_retired = 0;
  for (const RecordingSweepSender::Call& c : sender_.calls) {
    if (c.call.node_id != nodes_[0].id) continue;
    ++to_retired;
    EXPECT_EQ(c.call.key_count, 0u);  // nothing placed on it: everything old goes
  }
  EXPECT_EQ(to_retired, 1);

  // Silent now: skipped (it cannot answer).
  sender_.calls.clear();
  clock_.Advance(config_.node_down_after + absl::Seconds(1));
  for (size_t i = 1; i < nodes_.size(); ++i) ASSERT_OK(Heartbeat(nodes_[i]).status());
  ASSERT_OK_AND_ASSIGN(totals, worker.RunOnce());
  EXPECT_EQ(totals.nodes_swept, 5);
  for (const RecordingSweepSender::Call& c : sender_.calls) EXPECT_NE(c.call.node_id, nodes_[0].id);
}

TEST_F(OrphanSweepPgTest, RunsOncePerIntervalAndNeverWhenDisabled) {
  AddNodes(6);
  OrphanSweepSettings settings;
  settings.interval = absl::Hours(1);
  OrphanSweepWorker worker = Worker(settings);
  const absl::Time t0 = absl::FromUnixSeconds(1800000000);
  ASSERT_OK(worker.RunIfDue(t0));  // the first run is due at once
  EXPECT_EQ(sender_.calls.size(), 6u);
  ASSERT_OK(worker.RunIfDue(t0 + absl::Minutes(59)));
  EXPECT_EQ(sender_.calls.size(), 6u);
  ASSERT_OK(worker.RunIfDue(t0 + absl::Minutes(61)));
  EXPECT_EQ(sender_.calls.size(), 12u);

  settings.interval = absl::ZeroDuration();
  OrphanSweepWorker disabled = Worker(settings);
  ASSERT_OK(disabled.RunIfDue(t0));
  EXPECT_EQ(sender_.calls.size(), 12u);
}

}  // namespace
}  // namespace freehold::coordinator::testing
