// freehold-bench-durability: on a real cluster of 8 freehold-storaged daemons, one
// freehold-coordinator and a private PostgreSQL on loopback (the coordinator test fixture,
// 16 MiB segments, 4+2), in one run:
//   - plain read: every shard read once with GetShard by 4 parallel readers (shard bytes/s),
//     the reference;
//   - drain: a node set DRAINING until it is RETIRED (bytes it held / seconds);
//   - repair: a daemon killed; from the moment it is marked down until no segment is
//     degraded: bytes rebuilt / seconds, and the bytes repair moved (k shards read per
//     shard rebuilt, plus the shard written) / seconds, which is what is compared with
//     the plain read (bytes moved through GetShard) as the target's figure;
//   - audit: AuditShard over every shard of one daemon; that daemon's CPU seconds per TB
//     audited, beside libsodium BLAKE2b-256 over the same bytes in this process.
// Prints `figure: NAME VALUE` lines. FREEHOLD_BENCH_MIB (default 256) is the payload.
#include <gtest/gtest.h>
#include <sodium.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "absl/strings/str_split.h"
#include "common/erasure/erasure.h"
#include "coordinator/core/ids.h"
#include "common/peer_identity.h"
#include "tests/coordinator/cluster_fixture.h"
#include "tests/support/status_matchers.h"

namespace freehold::coordinator::testing {
namespace {

double ProcessCpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  std::getline(in, stat);
  const size_t close = stat.rfind(')');
  if (close == std::string::npos || close + 2 >= stat.size()) return -1;
  std::vector<std::string> f = absl::StrSplit(stat.substr(close + 2), ' ');
  // Fields after the command: state is f[0]; utime and stime are fields 14 and 15 of stat.
  const double ticks = std::stod(f[11]) + std::stod(f[12]);
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

void Figure(const char* name, double value) { std::printf("figure: %s %.4g\n", name, value); }

struct Shard {
  std::string address, node_id, key, grant, object_id;
  int segment = 0, index = 0;
  uint64_t size = 0;
};

class DurabilityBench : public ClusterTest {
 protected:
  void Upload(const std::string& token, const std::string& payload) {
    v1::CreateObjectRequest create;
    create.set_encrypted_metadata("bench");
    create.set_age_header("age-encryption.org/v1\n-> X25519 bench\n--- mac\n");
    create.set_size_bytes(payload.size());
    v1::CreateObjectResponse created;
    ASSERT_TRUE(stub_->CreateObject(Ctx(token).get(), create, &created).ok());
    absl::StatusOr<erasure::ReedSolomon> rs = erasure::ReedSolomon::Create(4, 2);
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
      for (int i = 0; i < 6; ++i) {
        shards.emplace_back(reinterpret_cast<const char*>(e->shard(i).data()), e->shard_size);
        begin.add_shard_sha256(Sha256(shards.back()));
      }
      v1::BeginSegmentResponse plan;
      ASSERT_TRUE(stub_->BeginSegment(Ctx(token).get(), begin, &plan).ok());
      v1::CommitSegmentRequest commit;
      commit.set_object_id(created.object_id());
      commit.set_segment(segments);
      for (const v1::ShardPlan& p : plan.shards()) {
        PutResult put = PutShard(p.node_address(), p.grant().token(), shards[p.index()]);
        ASSERT_TRUE(put.status.ok()) << put.status.error_message();
        commit.add_receipts()->set_token(put.receipt);
      }
      v1::CommitSegmentResponse committed;
      ASSERT_TRUE(stub_->CommitSegment(Ctx(token).get(), commit, &committed).ok());
      ++segments;
    }
    v1::CommitObjectRequest done;
    done.set_object_id(created.object_id());
    done.set_segment_count(segments);
    v1::CommitObjectResponse resp;
    ASSERT_TRUE(stub_->CommitObject(Ctx(token).get(), done, &resp).ok());
    ids_.push_back(created.object_id());
  }

  std::vector<Shard> AllShards(const std::string& token) {
    std::vector<Shard> out;
    for (const std::string& id : ids_) {
      v1::GetObjectRequest req;
      req.set_object_id(id);
      v1::GetObjectResponse m;
      EXPECT_TRUE(stub_->GetObject(Ctx(token).get(), req, &m).ok());
      for (const auto& seg : m.segments()) {
        for (const auto& loc : seg.shards()) {
          out.push_back(Shard{loc.node_address(), loc.node_id(),
                              ShardKey(id, static_cast<int>(seg.segment()),
                                       static_cast<int>(loc.index())),
                              loc.grant().token(), id, static_cast<int>(seg.segment()),
                              static_cast<int>(loc.index()), 0});
        }
      }
    }
    return out;
  }

  std::optional<v1::NodeInfo> Info(const std::string& node_id) {
    absl::StatusOr<v1::ClusterStatusResponse> st = Status();
    if (!st.ok()) return std::nullopt;
    for (const auto& n : st->nodes()) {
      if (n.node_id() == node_id) return n;
    }
    return std::nullopt;
  }

  std::vector<std::string> ids_;
};

TEST_F(DurabilityBench, Figures) {
  const char* mib_env = std::getenv("FREEHOLD_BENCH_MIB");
  const int mib = mib_env != nullptr ? std::atoi(mib_env) : 256;
  segment_size_ = "16MiB";
  ASSERT_NO_FATAL_FAILURE(StartCluster(
      8, {"--audits=false", "--rebalance=false", "--repair-after", "0s", "--drain-parallelism",
          "4", "--move-bytes-per-second", "100GiB", "--repair-parallelism", "4",
          "--grant-ttl", "1h"}));
  const std::string token = Token(NewUuid(), absl::Hours(1));
  for (int i = 0; i < mib / 16; ++i) {
    ASSERT_NO_FATAL_FAILURE(Upload(token, PseudoRandomBytes(16 << 20, 1000 + i)));
  }

  // Plain read: every shard once, 4 readers.
  std::vector<Shard> shards = AllShards(token);
  std::atomic<size_t> next{0};
  std::atomic<uint64_t> read_bytes{0};
  const absl::Time r0 = absl::Now();
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&] {
      for (size_t i = next++; i < shards.size(); i = next++) {
        std::string bytes;
        if (GetShard(shards[i].address, shards[i].grant, &bytes).ok()) read_bytes += bytes.size();
      }
    });
  }
  for (std::thread& t : readers) t.join();
  const double read_rate = read_bytes / absl::ToDoubleSeconds(absl::Now() - r0);
  Figure("plain_read_MBps", read_rate / 1e6);

  // Drain: the node with the most shards.
  std::map<std::string, int> count;
  for (const Shard& s : shards) ++count[s.node_id];
  std::string drained;
  for (const auto& [id, n] : count) {
    if (drained.empty() || n > count[drained]) drained = id;
  }
  v1::SetNodeStateRequest set;
  set.set_node_id(drained);
  set.set_state(v1::NODE_STATE_DRAINING);
  v1::SetNodeStateResponse set_resp;
  const absl::Time d0 = absl::Now();
  ASSERT_TRUE(stub_->SetNodeState(OperatorCtx().get(), set, &set_resp).ok());
  // Moved: every byte the node held is on other nodes (then deletions, then RETIRED).
  double moved_seconds = 0;
  while (absl::Now() - d0 < absl::Minutes(10)) {
    absl::StatusOr<v1::ClusterStatusResponse> now = Status();
    bool retired = false;
    if (now.ok()) {
      for (const auto& n : now->nodes()) {
        retired |= n.node_id() == drained && n.state() == v1::NODE_STATE_RETIRED;
      }
      for (const auto& d : now->node_durability()) {
        if (moved_seconds == 0 && d.node_id() == drained && d.drain_initial_bytes() > 0 &&
            d.drain_moved_bytes() >= d.drain_initial_bytes()) {
          moved_seconds = absl::ToDoubleSeconds(absl::Now() - d0);
        }
      }
    }
    if (retired) break;
    absl::SleepFor(absl::Milliseconds(20));
  }
  const double drain_seconds = absl::ToDoubleSeconds(absl::Now() - d0);
  if (moved_seconds == 0) moved_seconds = drain_seconds;
  uint64_t drained_bytes = 0;
  absl::StatusOr<v1::ClusterStatusResponse> st = Status();
  ASSERT_TRUE(st.ok());
  for (const auto& d : st->node_durability()) {
    if (d.node_id() == drained) drained_bytes = d.drain_moved_bytes();
  }
  Figure("drain_MBps", drained_bytes / drain_seconds / 1e6);
  Figure("drain_over_plain_read", drained_bytes / drain_seconds / read_rate);
  Figure("drain_moving_MBps", drained_bytes / moved_seconds / 1e6);
  Figure("drain_moving_over_plain_read", drained_bytes / moved_seconds / read_rate);

  // Repair: kill the daemon with the most shards now.
  shards = AllShards(token);
  count.clear();
  for (const Shard& s : shards) ++count[s.node_id];
  std::string victim;
  for (const auto& [id, n] : count) {
    if (victim.empty() || n > count[victim]) victim = id;
  }
  const uint64_t shard_size = (16 << 20) / 4;
  const uint64_t lost_bytes = static_cast<uint64_t>(count[victim]) * shard_size;
  std::string victim_address;
  for (const Shard& s : shards) {
    if (s.node_id == victim) victim_address = s.address;
  }
  daemons_[DaemonIndexByAddress(victim_address)].process->KillHard();
  absl::Time p0 = absl::Now();
  while (absl::Now() - p0 < absl::Minutes(1)) {
    std::optional<v1::NodeInfo> n = Info(victim);
    if (n.has_value() && n->state() == v1::NODE_STATE_DOWN) break;
    absl::SleepFor(absl::Milliseconds(20));
  }
  p0 = absl::Now();
  // The liveness loop stores the DOWN state a tick later: wait to see the degradation.
  bool degraded = false;
  while (absl::Now() - p0 < absl::Minutes(10)) {
    st = Status();
    if (st.ok() && st->segments_degraded() > 0) degraded = true;
    if (st.ok() && degraded && st->segments_degraded() == 0) break;
    absl::SleepFor(absl::Milliseconds(20));
  }
  const double repair_seconds = absl::ToDoubleSeconds(absl::Now() - p0);
  // One node lost: every repaired segment lost one shard, rebuilt from k = 4 read.
  const double repair_read = 4.0 * lost_bytes, repair_written = lost_bytes;
  Figure("repair_MBps", lost_bytes / repair_seconds / 1e6);
  Figure("repair_over_plain_read", lost_bytes / repair_seconds / read_rate);
  Figure("repair_read_MBps", repair_read / repair_seconds / 1e6);
  Figure("repair_written_MBps", repair_written / repair_seconds / 1e6);
  Figure("repair_moved_MBps", (repair_read + repair_written) / repair_seconds / 1e6);
  Figure("repair_moved_over_plain_read",
         (repair_read + repair_written) / repair_seconds / read_rate);
  Figure("repair_seconds_to_full_redundancy", repair_seconds);

  // Audit CPU on one live daemon: every shard it holds, 3 rounds.
  shards = AllShards(token);
  const std::string audited = shards.front().node_id;
  const std::string audited_address = shards.front().address;
  std::vector<std::string> grants;
  for (const Shard& s : shards) {
    if (s.node_id != audited) continue;
    v1::GrantClaims claims;
    claims.set_operation(v1::GRANT_OPERATION_AUDIT);
    claims.set_shard_key(s.key);
    claims.set_node_id(s.node_id);
    claims.set_expires_unix_seconds(absl::ToUnixSeconds(absl::Now() + absl::Hours(1)));
    claims.set_object_id(s.object_id);
    claims.set_segment(static_cast<uint32_t>(s.segment));
    claims.set_shard_index(static_cast<uint32_t>(s.index));
    grants.push_back(SignWithCoordinatorKey(claims));
  }
  const int audited_daemon = DaemonIndexByAddress(audited_address);
  ASSERT_GE(audited_daemon, 0) << audited_address;
  const pid_t pid = daemons_[audited_daemon].process->pid();
  ASSERT_GT(ProcessCpuSeconds(pid), 0) << "no CPU time readable for pid " << pid;
  // AuditShard answers only the coordinator role: call with a coordinator certificate.
  ASSERT_OK_AND_ASSIGN(
      std::shared_ptr<grpc::Channel> audit_channel,
      MakeChannel(audited_address,
                  pki_.Issue("bench-auditor", kRoleCoordinator, "bench-auditor").Client()));
  std::unique_ptr<v1::StorageNode::Stub> auditor = v1::StorageNode::NewStub(audit_channel);
  std::string challenge(32, '\0');
  randombytes_buf(challenge.data(), challenge.size());
  uint64_t audited_bytes = 0;
  const double cpu0 = ProcessCpuSeconds(pid);
  for (int round = 0; round < 3; ++round) {
    for (const std::string& g : grants) {
      grpc::ClientContext ctx;
      ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(60)));
      v1::AuditShardRequest req;
      req.mutable_grant()->set_token(g);
      req.set_challenge_key(challenge);
      v1::AuditShardResponse resp;
      grpc::Status s = auditor->AuditShard(&ctx, req, &resp);
      ASSERT_TRUE(s.ok()) << s.error_message();
      audited_bytes += resp.size_bytes();
    }
  }
  const double daemon_cpu = ProcessCpuSeconds(pid) - cpu0;
  // Reference: BLAKE2b-256 keyed over the same number of bytes in this process.
  std::string buffer = PseudoRandomBytes(shard_size, 9);
  unsigned char out[32];
  const std::clock_t c0 = std::clock();
  for (uint64_t done = 0; done < audited_bytes; done += buffer.size()) {
    crypto_generichash(out, sizeof out, reinterpret_cast<const unsigned char*>(buffer.data()),
                       buffer.size(), reinterpret_cast<const unsigned char*>(challenge.data()),
                       challenge.size());
  }
  const double ref_cpu = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
  const double per_tb = daemon_cpu / (audited_bytes / 1e12);
  Figure("audit_daemon_cpu_seconds_per_TB", per_tb);
  Figure("blake2b_cpu_seconds_per_TB", ref_cpu / (audited_bytes / 1e12));
  Figure("audit_cpu_over_blake2b", daemon_cpu / ref_cpu);
  Figure("audited_MiB", audited_bytes / 1048576.0);
}

}  // namespace
}  // namespace freehold::coordinator::testing

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (sodium_init() < 0) return 1;
  return RUN_ALL_TESTS();
}
