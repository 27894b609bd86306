// Audits, reputation and drains with a real coordinator, real freehold-storaged daemons
// on loopback and a real PostgreSQL (docs/ARCHITECTURE.md#10-keeping-data-alive): a daemon
// that silently lost half its shards is found by audits, suspended and drained with
// nothing lost; a drain under traffic moves every shard once and keeps every object
// readable.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "common/erasure/erasure.h"
#include "common/peer_identity.h"
#include "coordinator/core/ids.h"
#include "freehold/v1/shard_copy.grpc.pb.h"
#include "tests/coordinator/cluster_fixture.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace freehold::coordinator::testing {
namespace {

class DurabilityClusterTest : public ClusterTest {
 protected:
  // Create, per segment encode (Reed-Solomon as the client) + begin + put + commit, commit.
  std::string Upload(const std::string& token, const std::string& payload) {
    v1::CreateObjectRequest create;
    create.set_encrypted_metadata("name");
    create.set_age_header("age-encryption.org/v1\n-> X25519 test\n--- mac\n");
    create.set_size_bytes(payload.size());
    v1::CreateObjectResponse created;
    grpc::Status s = stub_->CreateObject(Ctx(token).get(), create, &created);
    EXPECT_TRUE(s.ok()) << s.error_message();
    if (!s.ok()) return "";
    const int k = static_cast<int>(created.data_shards());
    const int m = static_cast<int>(created.parity_shards());
    absl::StatusOr<erasure::ReedSolomon> rs = erasure::ReedSolomon::Create(k, m);
    int segments = 0;
    for (uint64_t off = 0; off < payload.size(); off += created.segment_size_bytes()) {
      const std::string part = payload.substr(off, created.segment_size_bytes());
      absl::StatusOr<erasure::EncodedSegment> e = erasure::EncodeSegment(
          *rs, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(part.data()),
                                        part.size()));
      std::vector<std::string> shards;
      v1::BeginSegmentRequest begin;
      begin.set_object_id(created.object_id());
      begin.set_segment(segments);
      begin.set_segment_size_bytes(part.size());
      begin.set_shard_size_bytes(e->shard_size);
      for (int i = 0; i < k + m; ++i) {
        shards.emplace_back(reinterpret_cast<const char*>(e->shard(i).data()), e->shard_size);
        begin.add_shard_sha256(Sha256(shards.back()));
      }
      v1::BeginSegmentResponse plan;
      s = stub_->BeginSegment(Ctx(token).get(), begin, &plan);
      EXPECT_TRUE(s.ok()) << s.error_message();
      if (!s.ok()) return "";
      v1::CommitSegmentRequest commit;
      commit.set_object_id(created.object_id());
      commit.set_segment(segments);
      for (const v1::ShardPlan& p : plan.shards()) {
        PutResult put = PutShard(p.node_address(), p.grant().token(), shards[p.index()]);
        EXPECT_TRUE(put.status.ok()) << put.status.error_message();
        commit.add_receipts()->set_token(put.receipt);
      }
      v1::CommitSegmentResponse committed;
      s = stub_->CommitSegment(Ctx(token).get(), commit, &committed);
      EXPECT_TRUE(s.ok()) << s.error_message();
      ++segments;
    }
    v1::CommitObjectRequest done;
    done.set_object_id(created.object_id());
    done.set_segment_count(segments);
    v1::CommitObjectResponse resp;
    s = stub_->CommitObject(Ctx(token).get(), done, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return created.object_id();
  }

  // As a client reads: any k good shards per segment (a failed read or a wrong hash counts
  // as missing), rebuilt with Reed-Solomon when a data shard is missing.
  absl::StatusOr<std::string> Download(const std::string& token, const std::string& id) {
    v1::GetObjectRequest req;
    req.set_object_id(id);
    v1::GetObjectResponse m;
    grpc::Status s = stub_->GetObject(Ctx(token).get(), req, &m);
    if (!s.ok()) return absl::UnavailableError(s.error_message());
    const int k = static_cast<int>(m.data_shards()), n = k + static_cast<int>(m.parity_shards());
    absl::StatusOr<erasure::ReedSolomon> rs = erasure::ReedSolomon::Create(k, n - k);
    std::string payload;
    for (const v1::SegmentManifest& seg : m.segments()) {
      std::vector<std::string> shards(n);
      std::unique_ptr<bool[]> present(new bool[n]()), wanted(new bool[n]());
      int good = 0;
      size_t len = 0;
      for (const v1::ShardLocation& loc : seg.shards()) {
        if (good == k) break;
        if (loc.state() != v1::SHARD_STATE_HEALTHY) continue;
        std::string bytes;
        if (!GetShard(loc.node_address(), loc.grant().token(), &bytes).ok()) continue;
        if (Sha256(bytes) != loc.sha256()) continue;
        len = bytes.size();
        shards[loc.index()] = std::move(bytes);
        present[loc.index()] = true;
        ++good;
      }
      if (good < k) return absl::DataLossError(absl::StrCat("only ", good, " good shards"));
      std::vector<uint8_t*> ptrs(n);
      for (int i = 0; i < n; ++i) {
        shards[i].resize(len);
        ptrs[i] = reinterpret_cast<uint8_t*>(shards[i].data());
        wanted[i] = i < k && !present[i];
      }
      absl::Status r = rs->Reconstruct(std::span<uint8_t* const>(ptrs.data(), n),
                                       std::span<const bool>(present.get(), n), len,
                                       std::span<const bool>(wanted.get(), n));
      if (!r.ok()) return r;
      std::string data;
      for (int i = 0; i < k; ++i) data += shards[i];
      data.resize(seg.segment_size_bytes());
      payload += data;
    }
    return payload;
  }

  std::map<std::string, v1::NodeDurability> Durability() {
    std::map<std::string, v1::NodeDurability> out;
    absl::StatusOr<v1::ClusterStatusResponse> st = Status();
    if (st.ok()) {
      for (const auto& d : st->node_durability()) out[d.node_id()] = d;
    }
    return out;
  }

  std::optional<v1::NodeInfo> NodeInfoOf(const std::string& node_id) {
    absl::StatusOr<v1::ClusterStatusResponse> st = Status();
    if (!st.ok()) return std::nullopt;
    for (const auto& n : st->nodes()) {
      if (n.node_id() == node_id) return n;
    }
    return std::nullopt;
  }

  // Shard files under a daemon's data directory.
  static std::vector<std::filesystem::path> ShardFiles(const std::string& data_dir) {
    std::vector<std::filesystem::path> out;
    const std::filesystem::path root = std::filesystem::path(data_dir) / "shards";
    if (!std::filesystem::exists(root)) return out;
    for (const auto& e : std::filesystem::recursive_directory_iterator(root)) {
      if (e.is_regular_file()) out.push_back(e.path());
    }
    return out;
  }

  // Node id -> daemon index, from ClusterStatus addresses.
  std::map<std::string, int> DaemonsById() {
    std::map<std::string, int> out;
    absl::StatusOr<v1::ClusterStatusResponse> st = Status();
    if (!st.ok()) return out;
    for (const auto& n : st->nodes()) out[n.node_id()] = DaemonIndexByAddress(n.address());
    return out;
  }

  // Sum of a counter's samples whose label set contains every one of `labels`.
  static double MetricSum(const std::string& metrics, const std::string& name,
                          const std::vector<std::string>& labels) {
    double sum = 0;
    for (absl::string_view line : absl::StrSplit(metrics, '\n')) {
      if (!absl::StartsWith(line, name + "{")) continue;
      bool all = true;
      for (const std::string& l : labels) all &= absl::StrContains(line, l);
      if (!all) continue;
      double v = 0;
      if (absl::SimpleAtod(line.substr(line.rfind(' ') + 1), &v)) sum += v;
    }
    return sum;
  }

  // Polls `done` every 100 ms until it holds or `limit` passes.
  static bool WaitFor(absl::Duration limit, const std::function<bool()>& done) {
    const absl::Time deadline = absl::Now() + limit;
    while (absl::Now() < deadline) {
      if (done()) return true;
      absl::SleepFor(absl::Milliseconds(100));
    }
    return done();
  }
};

// Issue 23, fault 4: a daemon answers but silently lost half its shards.
TEST_F(DurabilityClusterTest, AuditsFindANodeThatLostHalfItsShardsWhichIsThenDrained) {
  ASSERT_NO_FATAL_FAILURE(StartCluster(
      7, {"--audit-period", "3s", "--audits-per-second", "500", "--audits-per-node-per-second",
          "100", "--reputation-lambda", "0.8", "--suspended-drain-after", "0s",
          "--repair-after", "0s"}));
  const std::string owner = Token(NewUuid());
  std::map<std::string, std::string> objects;
  for (int i = 0; i < 24; ++i) {
    const std::string payload = PseudoRandomBytes((20 << 10) + i, 100 + i);
    objects[Upload(owner, payload)] = payload;
  }
  // The daemon with the most shards loses every other shard file behind everyone's back.
  int victim = 0;
  for (int i = 1; i < static_cast<int>(daemons_.size()); ++i) {
    if (ShardFiles(daemons_[i].data_dir).size() > ShardFiles(daemons_[victim].data_dir).size()) {
      victim = i;
    }
  }
  std::vector<std::filesystem::path> files = ShardFiles(daemons_[victim].data_dir);
  ASSERT_GE(files.size(), 10u);
  for (size_t i = 0; i < files.size(); i += 2) std::filesystem::remove(files[i]);
  std::string victim_id;
  for (const auto& [id, index] : DaemonsById()) {
    if (index == victim) victim_id = id;
  }
  ASSERT_FALSE(victim_id.empty());

  // Audits find it, its reputation falls below the threshold, it is drained and retired.
  ASSERT_TRUE(WaitFor(absl::Seconds(40), [&] {
    std::optional<v1::NodeInfo> n = NodeInfoOf(victim_id);
    return n.has_value() && n->state() == v1::NODE_STATE_RETIRED;
  })) << "the node that lost shards was not drained and retired";
  std::map<std::string, v1::NodeDurability> d = Durability();
  ASSERT_TRUE(d.count(victim_id));
  EXPECT_LT(d[victim_id].reputation(), 0.6);
  EXPECT_GE(d[victim_id].audits_failed(), 1u);
  EXPECT_TRUE(d[victim_id].suspended());
  EXPECT_TRUE(d[victim_id].drain_finished());
  // The honest nodes pass every audit, and more audits pass than there are copies (at
  // most 24 * 6): the later ones answer stored keyed challenges.
  auto honest_passed = [&] {
    uint64_t passed = 0;
    for (const auto& [id, nd] : Durability()) {
      if (id != victim_id) passed += nd.audits_passed();
    }
    return passed;
  };
  EXPECT_TRUE(WaitFor(absl::Seconds(20), [&] { return honest_passed() > 24u * 6; }))
      << honest_passed();
  for (const auto& [id, nd] : Durability()) {
    if (id == victim_id) continue;
    EXPECT_EQ(nd.audits_failed(), 0u) << id;
    EXPECT_GE(nd.reputation(), 0.99) << id;
  }

  // Nothing lost: repair and the drain restored full redundancy away from the node.
  ASSERT_TRUE(WaitFor(absl::Seconds(15), [&] {
    absl::StatusOr<v1::ClusterStatusResponse> st = Status();
    return st.ok() && st->segments_degraded() == 0;
  }));
  ASSERT_OK_AND_ASSIGN(v1::ClusterStatusResponse st, Status());
  EXPECT_EQ(st.segments_lost(), 0u);
  for (const auto& [id, payload] : objects) {
    v1::GetObjectRequest req;
    req.set_object_id(id);
    v1::GetObjectResponse m;
    ASSERT_TRUE(stub_->GetObject(Ctx(owner).get(), req, &m).ok());
    for (const auto& seg : m.segments()) {
      for (const auto& loc : seg.shards()) {
        EXPECT_NE(loc.node_id(), victim_id);
        EXPECT_EQ(loc.state(), v1::SHARD_STATE_HEALTHY);
      }
    }
    ASSERT_OK_AND_ASSIGN(std::string back, Download(owner, id));
    EXPECT_EQ(back, payload);
  }
  const std::string metrics = FetchMetrics(coordinator_metrics_address_);
  EXPECT_GE(MetricSum(metrics, "freehold_audits_total",
                      {"node=\"" + victim_id + "\"", "result=\"failed\""}),
            1);
  EXPECT_THAT(metrics, ::testing::HasSubstr("freehold_node_reputation{node=\"" + victim_id));
}

// Issue 23, fault 5: drain a node under traffic.
TEST_F(DurabilityClusterTest, DrainUnderTrafficMovesEveryShardOnceAndKeepsObjectsReadable) {
  ASSERT_NO_FATAL_FAILURE(StartCluster(7, {"--audits=false", "--drain-parallelism", "4"}));
  const std::string owner = Token(NewUuid());
  std::map<std::string, std::string> objects;
  for (int i = 0; i < 20; ++i) {
    const std::string payload = PseudoRandomBytes((90 << 10) + i, 300 + i);  // 2 segments
    objects[Upload(owner, payload)] = payload;
  }
  // Drain the daemon holding the most shards.
  int target = 0;
  for (int i = 1; i < static_cast<int>(daemons_.size()); ++i) {
    if (ShardFiles(daemons_[i].data_dir).size() > ShardFiles(daemons_[target].data_dir).size()) {
      target = i;
    }
  }
  uint64_t held_bytes = 0;
  const size_t held_shards = ShardFiles(daemons_[target].data_dir).size();
  for (const auto& f : ShardFiles(daemons_[target].data_dir)) {
    held_bytes += std::filesystem::file_size(f);
  }
  std::string node_id;
  for (const auto& [id, index] : DaemonsById()) {
    if (index == target) node_id = id;
  }
  ASSERT_FALSE(node_id.empty());

  // Readers and a writer run throughout the drain; every read must succeed.
  std::atomic<bool> stop{false};
  std::atomic<int> reads{0}, read_failures{0};
  std::vector<std::pair<std::string, std::string>> list(objects.begin(), objects.end());
  std::thread reader([&] {
    for (size_t i = 0; !stop; ++i) {
      const auto& [id, payload] = list[i % list.size()];
      absl::StatusOr<std::string> back = Download(owner, id);
      ++reads;
      if (!back.ok() || *back != payload) {
        ++read_failures;
        ADD_FAILURE() << "read of " << id << " failed during the drain: "
                      << (back.ok() ? "wrong bytes" : back.status().ToString());
      }
    }
  });
  v1::SetNodeStateRequest drain;
  drain.set_node_id(node_id);
  drain.set_state(v1::NODE_STATE_DRAINING);
  v1::SetNodeStateResponse drained;
  ASSERT_TRUE(stub_->SetNodeState(OperatorCtx().get(), drain, &drained).ok());
  std::map<std::string, std::string> written;
  for (int i = 0; i < 4; ++i) {
    const std::string payload = PseudoRandomBytes((30 << 10) + i, 500 + i);
    written[Upload(owner, payload)] = payload;
  }
  const bool retired = WaitFor(absl::Seconds(40), [&] {
    std::optional<v1::NodeInfo> n = NodeInfoOf(node_id);
    return n.has_value() && n->state() == v1::NODE_STATE_RETIRED;
  });
  stop = true;
  reader.join();
  ASSERT_TRUE(retired) << "the drained node was not retired";
  EXPECT_GT(reads.load(), 0);
  EXPECT_EQ(read_failures.load(), 0);

  // Every shard left: no manifest names the node, its disk holds no shard.
  objects.insert(written.begin(), written.end());
  for (const auto& [id, payload] : objects) {
    v1::GetObjectRequest req;
    req.set_object_id(id);
    v1::GetObjectResponse m;
    ASSERT_TRUE(stub_->GetObject(Ctx(owner).get(), req, &m).ok());
    for (const auto& seg : m.segments()) {
      std::set<std::string> nodes;
      for (const auto& loc : seg.shards()) {
        EXPECT_NE(loc.node_id(), node_id);
        EXPECT_EQ(loc.state(), v1::SHARD_STATE_HEALTHY);
        nodes.insert(loc.node_id());
      }
      EXPECT_EQ(nodes.size(), 6u) << "one shard per failure domain";
    }
    ASSERT_OK_AND_ASSIGN(std::string back, Download(owner, id));
    EXPECT_EQ(back, payload);
  }
  EXPECT_TRUE(ShardFiles(daemons_[target].data_dir).empty());
  // Bytes moved: every byte the node held, within 1.05x.
  const std::string metrics = FetchMetrics(coordinator_metrics_address_);
  const double moved = MetricSum(metrics, "freehold_shard_bytes_moved_total",
                                 {"node=\"" + node_id + "\"", "reason=\"drain\""});
  EXPECT_GE(moved, static_cast<double>(held_bytes));
  EXPECT_LE(moved, 1.05 * static_cast<double>(held_bytes));
  EXPECT_EQ(MetricSum(metrics, "freehold_shards_moved_total",
                      {"node=\"" + node_id + "\"", "method=\"rebuild\""}),
            0);
  // Daemon to daemon (--direct-copy, the default): no byte crossed the coordinator.
  EXPECT_EQ(MetricSum(metrics, "freehold_shards_moved_total",
                      {"node=\"" + node_id + "\"", "method=\"direct\""}),
            static_cast<double>(held_shards));
  EXPECT_EQ(MetricSum(metrics, "freehold_shards_moved_total",
                      {"node=\"" + node_id + "\"", "method=\"copy\""}),
            0);
  std::map<std::string, v1::NodeDurability> d = Durability();
  ASSERT_TRUE(d.count(node_id));
  EXPECT_EQ(d[node_id].drain_initial_bytes(), held_bytes);
  EXPECT_EQ(d[node_id].drain_moved_bytes(), held_bytes);
  EXPECT_TRUE(d[node_id].drain_finished());
  ASSERT_OK_AND_ASSIGN(v1::ClusterStatusResponse st, Status());
  EXPECT_EQ(st.segments_degraded(), 0u);
  EXPECT_EQ(st.segments_lost(), 0u);

  // freehold-admin nodes shows the drain's progress in its DRAIN column.
  freehold::testing::TempDir out("admin-out-");
  const TlsConfig op = pki_.Issue("admin-cli", kRoleOperator, "admin-cli");
  freehold::testing::ProcessOptions admin;
  admin.binary = freehold::testing::BinaryPath("freehold-admin");
  admin.args = {"--coordinator", coordinator_address_, "--ca-file", op.ca_file, "--tls-cert",
                op.cert_file, "--tls-key", op.key_file, "nodes"};
  admin.stdout_path = out.File("stdout");
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<freehold::testing::Process> p,
                       freehold::testing::Process::Start(admin));
  ASSERT_OK_AND_ASSIGN(int code, p->Wait(absl::Seconds(30)));
  EXPECT_EQ(code, 0) << p->ReadStderr();
  std::ifstream in(admin.stdout_path);
  const std::string table((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_THAT(table, ::testing::HasSubstr("REPUT"));
  EXPECT_THAT(table, ::testing::HasSubstr("AUDITS OK/BAD"));
  bool found = false;
  for (absl::string_view line : absl::StrSplit(table, '\n')) {
    if (!absl::StartsWith(line, node_id)) continue;
    found = true;
    EXPECT_THAT(std::string(line), ::testing::HasSubstr("retired"));
    EXPECT_THAT(std::string(line), ::testing::HasSubstr(" done"));
  }
  EXPECT_TRUE(found) << table;
}

// ShardCopy.CopyShard on a real daemon: the coordinator's certificate only, every field
// required, a source that refuses is FAILED_PRECONDITION naming it with nothing stored,
// and a good request stores the source's exact bytes under a receipt from the target.
TEST_F(DurabilityClusterTest, CopyShardPullsAShardFromAnotherDaemonForTheCoordinatorOnly) {
  ASSERT_NO_FATAL_FAILURE(StartCluster(7, {"--audits=false", "--drains=false",
                                           "--rebalance=false", "--repair=false"}));
  const std::string owner = Token(NewUuid());
  const std::string id = Upload(owner, PseudoRandomBytes(20 << 10, 77));  // one segment
  ASSERT_FALSE(id.empty());
  v1::GetObjectRequest req;
  req.set_object_id(id);
  v1::GetObjectResponse m;
  ASSERT_TRUE(stub_->GetObject(Ctx(owner).get(), req, &m).ok());
  ASSERT_EQ(m.segments_size(), 1);
  const v1::ShardLocation& source = m.segments(0).shards(0);
  std::string bytes;
  ASSERT_TRUE(GetShard(source.node_address(), source.grant().token(), &bytes).ok());
  // The daemon that holds no shard of the segment is the target.
  std::set<std::string> used;
  for (const auto& loc : m.segments(0).shards()) used.insert(loc.node_id());
  std::string target_id, target_address;
  ASSERT_OK_AND_ASSIGN(v1::ClusterStatusResponse st, Status());
  for (const auto& n : st.nodes()) {
    if (!used.count(n.node_id())) target_id = n.node_id(), target_address = n.address();
  }
  ASSERT_FALSE(target_id.empty());
  const std::string key = ShardKey(id, 0, static_cast<int>(source.index()));
  auto grant = [&](v1::GrantOperation op, const std::string& node_id) {
    v1::GrantClaims claims;
    claims.set_operation(op);
    claims.set_shard_key(key);
    claims.set_node_id(node_id);
    claims.set_size_bytes(bytes.size());
    if (op == v1::GRANT_OPERATION_PUT) claims.set_sha256(Sha256(bytes));
    claims.set_expires_unix_seconds(absl::ToUnixSeconds(absl::Now() + absl::Minutes(10)));
    claims.set_object_id(id);
    claims.set_segment(0);
    claims.set_shard_index(source.index());
    return SignWithCoordinatorKey(claims);
  };
  v1::CopyShardRequest copy;
  copy.mutable_put_grant()->set_token(grant(v1::GRANT_OPERATION_PUT, target_id));
  copy.set_source_address(source.node_address());
  copy.mutable_source_grant()->set_token(grant(v1::GRANT_OPERATION_GET, source.node_id()));
  auto call = [&](const ClientTlsOptions& tls, const v1::CopyShardRequest& r,
                  v1::PutShardResponse* resp) {
    absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = MakeChannel(target_address, tls);
    if (!channel.ok()) return grpc::Status(grpc::StatusCode::INTERNAL, "no channel");
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
    return v1::ShardCopy::NewStub(*channel)->CopyShard(&ctx, r, resp);
  };
  const ClientTlsOptions coordinator =
      pki_.Issue("copy-test", kRoleCoordinator, "copy-test").Client();
  v1::PutShardResponse resp;
  // The operator's certificate is not the coordinator's.
  EXPECT_EQ(call(client_tls_, copy, &resp).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  v1::CopyShardRequest no_source = copy;
  no_source.clear_source_address();
  grpc::Status s = call(coordinator, no_source, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), ::testing::HasSubstr("source_address"));
  // A GET grant for another node: the source refuses; nothing is stored on the target.
  v1::CopyShardRequest refused = copy;
  refused.mutable_source_grant()->set_token(grant(v1::GRANT_OPERATION_GET, target_id));
  s = call(coordinator, refused, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_THAT(s.error_message(), ::testing::HasSubstr(source.node_address()));
  std::string none;
  EXPECT_EQ(GetShard(target_address, grant(v1::GRANT_OPERATION_GET, target_id), &none)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
  // The real thing: the target holds the source's exact bytes, with a receipt to prove it.
  s = call(coordinator, copy, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_FALSE(resp.receipt().token().empty());
  EXPECT_FALSE(resp.already_present());
  std::string copied;
  ASSERT_TRUE(GetShard(target_address, grant(v1::GRANT_OPERATION_GET, target_id), &copied).ok());
  EXPECT_EQ(copied, bytes);
}

// A node joins placement (here: a node kept out while the data was written comes back UP,
// which changes the map as a join does): only shards whose placement now names it move,
// each onto it, at most --rebalance-shards-per-tick per tick, and no segment ever has
// fewer than k+m healthy shards in distinct failure domains.
TEST_F(DurabilityClusterTest, ANodeJoiningReceivesOnlyShardsWhosePlacementChangedAtABoundedRate) {
  ASSERT_NO_FATAL_FAILURE(StartCluster(
      7, {"--audits=false", "--drains=false", "--rebalance-shards-per-tick", "1"}));
  std::string joining;
  for (const auto& [id, index] : DaemonsById()) {
    if (index == 6) joining = id;
  }
  ASSERT_FALSE(joining.empty());
  auto set_state = [&](v1::NodeState state) {
    v1::SetNodeStateRequest req;
    req.set_node_id(joining);
    req.set_state(state);
    v1::SetNodeStateResponse resp;
    return stub_->SetNodeState(OperatorCtx().get(), req, &resp);
  };
  ASSERT_TRUE(set_state(v1::NODE_STATE_DRAINING).ok());
  const std::string owner = Token(NewUuid());
  std::map<std::string, std::string> objects;
  for (int i = 0; i < 20; ++i) {
    const std::string payload = PseudoRandomBytes((40 << 10) + i, 700 + i);
    objects[Upload(owner, payload)] = payload;
  }
  ASSERT_TRUE(ShardFiles(daemons_[6].data_dir).empty());

  auto moves = [&] {
    return MetricSum(FetchMetrics(coordinator_metrics_address_), "freehold_shards_moved_total",
                     {"reason=\"rebalance\""});
  };
  auto check_redundancy = [&] {
    for (const auto& [id, payload] : objects) {
      v1::GetObjectRequest req;
      req.set_object_id(id);
      v1::GetObjectResponse m;
      ASSERT_TRUE(stub_->GetObject(Ctx(owner).get(), req, &m).ok());
      for (const auto& seg : m.segments()) {
        std::set<std::string> hosts;
        for (const auto& loc : seg.shards()) {
          EXPECT_EQ(loc.state(), v1::SHARD_STATE_HEALTHY);
          hosts.insert(daemons_[DaemonIndexByAddress(loc.node_address())].host);
        }
        EXPECT_EQ(hosts.size(), 6u) << "a segment lost a failure domain while moving";
      }
    }
  };
  const absl::Time joined = absl::Now();
  ASSERT_TRUE(set_state(v1::NODE_STATE_UP).ok());
  // Bounded: one move per 200 ms tick at most.
  double last = 0;
  absl::Time last_change = absl::Now();
  while (absl::Now() - joined < absl::Seconds(40)) {
    absl::SleepFor(absl::Milliseconds(500));
    const double now_moves = moves();
    const double elapsed = absl::ToDoubleSeconds(absl::Now() - joined);
    EXPECT_LE(now_moves, elapsed / 0.2 + 1) << "more moves than --rebalance-shards-per-tick allows";
    ASSERT_NO_FATAL_FAILURE(check_redundancy());
    if (now_moves != last) {
      last = now_moves;
      last_change = absl::Now();
    } else if (last > 0 && absl::Now() - last_change > absl::Seconds(3)) {
      break;  // settled
    }
  }
  ASSERT_GT(last, 0) << "nothing was rebalanced onto the joining node";
  // Every move went onto the joining node: it holds exactly the moved shards.
  uint64_t on_joining = 0;
  for (const auto& [id, payload] : objects) {
    v1::GetObjectRequest req;
    req.set_object_id(id);
    v1::GetObjectResponse m;
    ASSERT_TRUE(stub_->GetObject(Ctx(owner).get(), req, &m).ok());
    for (const auto& seg : m.segments()) {
      for (const auto& loc : seg.shards()) on_joining += loc.node_id() == joining;
    }
    ASSERT_OK_AND_ASSIGN(std::string back, Download(owner, id));
    EXPECT_EQ(back, payload);
  }
  EXPECT_EQ(static_cast<double>(on_joining), last);
  // Short of the 1/7 it would get at placement (120 shards), within the overfull slack.
  EXPECT_GE(on_joining, 8u);
  EXPECT_LE(on_joining, 18u);
}

// Issue 23, re-spreading: with one of six hosts out of placement, segments are placed
// degraded (six shards on five hosts, one host holding two). When the sixth host is
// eligible again, one shard of each such segment moves to it, at most
// --respread-shards-per-tick per tick, never lowering redundancy (six HEALTHY shards
// throughout), and every object reads back byte-exactly.
TEST_F(DurabilityClusterTest, DoubledShardsAreReSpreadWhenADomainBecomesEligible) {
  ASSERT_NO_FATAL_FAILURE(StartCluster(6, {"--audits=false", "--drains=false", "--rebalance=false",
                                           "--respread-shards-per-tick", "1"}));
  std::string away;
  for (const auto& [id, index] : DaemonsById()) {
    if (index == 5) away = id;
  }
  ASSERT_FALSE(away.empty());
  auto set_state = [&](v1::NodeState state) {
    v1::SetNodeStateRequest req;
    req.set_node_id(away);
    req.set_state(state);
    v1::SetNodeStateResponse resp;
    return stub_->SetNodeState(OperatorCtx().get(), req, &resp);
  };
  ASSERT_TRUE(set_state(v1::NODE_STATE_DRAINING).ok());
  const std::string owner = Token(NewUuid());
  std::map<std::string, std::string> objects;
  for (int i = 0; i < 6; ++i) {
    const std::string payload = PseudoRandomBytes((40 << 10) + i, 900 + i);
    objects[Upload(owner, payload)] = payload;
  }
  // Hosts per segment, each segment's shards all HEALTHY (checked on every call).
  auto hosts_per_segment = [&](std::vector<size_t>* out) {
    out->clear();
    for (const auto& [id, payload] : objects) {
      v1::GetObjectRequest req;
      req.set_object_id(id);
      v1::GetObjectResponse m;
      ASSERT_TRUE(stub_->GetObject(Ctx(owner).get(), req, &m).ok());
      for (const auto& seg : m.segments()) {
        std::set<std::string> hosts;
        int healthy = 0;
        for (const auto& loc : seg.shards()) {
          healthy += loc.state() == v1::SHARD_STATE_HEALTHY;
          hosts.insert(daemons_[DaemonIndexByAddress(loc.node_address())].host);
        }
        EXPECT_EQ(healthy, 6) << "a segment lost a shard while re-spreading";
        out->push_back(hosts.size());
      }
    }
  };
  std::vector<size_t> hosts;
  ASSERT_NO_FATAL_FAILURE(hosts_per_segment(&hosts));
  ASSERT_EQ(hosts.size(), objects.size());
  for (size_t h : hosts) ASSERT_EQ(h, 5u) << "placed degraded: two shards share a host";
  EXPECT_TRUE(ShardFiles(daemons_[5].data_dir).empty());

  auto moves = [&] {
    return MetricSum(FetchMetrics(coordinator_metrics_address_), "freehold_shards_moved_total",
                     {"reason=\"respread\""});
  };
  const absl::Time back = absl::Now();
  ASSERT_TRUE(set_state(v1::NODE_STATE_UP).ok());
  bool spread = false;
  while (absl::Now() - back < absl::Seconds(30)) {
    absl::SleepFor(absl::Milliseconds(300));
    const double elapsed = absl::ToDoubleSeconds(absl::Now() - back);
    EXPECT_LE(moves(), elapsed / 0.2 + 1) << "more moves than --respread-shards-per-tick allows";
    ASSERT_NO_FATAL_FAILURE(hosts_per_segment(&hosts));
    spread = std::all_of(hosts.begin(), hosts.end(), [](size_t h) { return h == 6; });
    if (spread) break;
  }
  ASSERT_TRUE(spread) << "segments still share a failure domain";
  // One move per segment, each onto the host that came back; nothing more moves after.
  absl::SleepFor(absl::Seconds(1));
  EXPECT_EQ(moves(), static_cast<double>(objects.size()));
  EXPECT_EQ(ShardFiles(daemons_[5].data_dir).size(), objects.size());
  for (const auto& [id, payload] : objects) {
    ASSERT_OK_AND_ASSIGN(std::string got, Download(owner, id));
    EXPECT_EQ(got, payload);
  }
  // The copies left behind are deleted: every daemon holds exactly its manifest's shards.
  EXPECT_TRUE(WaitFor(absl::Seconds(10), [&] {
    size_t files = 0;
    for (const Daemon& d : daemons_) files += ShardFiles(d.data_dir).size();
    return files == 6 * objects.size();
  })) << "the shared domain's old copies were not deleted";
}

}  // namespace
}  // namespace freehold::coordinator::testing
