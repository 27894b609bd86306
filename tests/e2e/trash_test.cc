// Fault test 9 (issue 23): the trash window end to end, real processes on loopback.
// Delete, restore from the trash (reads back byte-exactly; the orphan sweep spared the
// trashed shards meanwhile), delete again, the window passes: the shards are gone from
// every daemon's disk. A PUT grant replayed after the delete (while still valid) finds
// its shard present, and after the window, the GC and more orphan sweeps nothing of the
// object is left anywhere; a replay after the grant expired is refused.
//
// Timing: grants 10 s, --orphan-grace 12 s (longer than any grant), a sweep every
// second, a 20 s trash window. About 45 s in all.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <pqxx/pqxx>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/grpc_server.h"
#include "common/shard_claims.h"
#include "common/signed_token.h"
#include "freehold/v1/storage.grpc.pb.h"
#include "tests/e2e/e2e_fixture.h"
#include "tests/e2e/probes.h"

namespace freehold::e2e {
namespace {

using ::testing::HasSubstr;

constexpr absl::Duration kGrantTtl = absl::Seconds(10);
constexpr absl::Duration kOrphanGrace = absl::Seconds(12);
constexpr absl::Duration kTrashWindow = absl::Seconds(20);

// One shard of the object as it lies on a daemon's disk.
struct ShardCopy {
  int daemon = 0;
  std::string key;
  std::string sha256;  // raw
  std::string bytes;
};

class TrashFaultTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ClusterOptions o;
    o.storage_nodes = 6;
    o.zones = 3;
    o.coordinator_args = {"--trash-window",          absl::FormatDuration(kTrashWindow),
                          "--grant-ttl",             absl::FormatDuration(kGrantTtl),
                          "--orphan-sweep-interval", "1s"};
    o.storaged_args = {"--orphan-grace", absl::FormatDuration(kOrphanGrace)};
    absl::StatusOr<std::unique_ptr<Cluster>> c = Cluster::Start(o);
    if (c.ok()) {
      cluster_ = c->release();
    } else {
      start_error_ = new std::string(c.status().ToString());
    }
  }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
    delete start_error_;
    start_error_ = nullptr;
  }
  void SetUp() override {
    ASSERT_EQ(start_error_, nullptr) << "cluster did not start: " << *start_error_;
  }
  Cluster& cluster() { return *cluster_; }

  std::unique_ptr<CliUser> SignUp(const std::string& handle) {
    auto user = std::make_unique<CliUser>(cluster().accounts_address(),
                                          cluster().coordinator_address(), TestPassword(handle),
                                          cluster().ca_file());
    CliResult r = user->Run({"signup", "--handle", handle});
    EXPECT_EQ(r.exit_code, 0) << r.Describe();
    return user;
  }

  // Every shard file of `object_id` on every daemon, with its bytes.
  std::vector<ShardCopy> ShardsOnDisk(const std::string& object_id) {
    std::vector<ShardCopy> out;
    const std::string prefix = HexOfUuid(object_id) + "-";
    for (int i = 0; i < cluster().node_count(); ++i) {
      for (const auto& [key, path] : ShardFiles(cluster().node_data_dir(i))) {
        if (!absl::StartsWith(key, prefix)) continue;
        ShardCopy c;
        c.daemon = i;
        c.key = key;
        const std::string name = path.substr(path.rfind('/') + 1);
        const size_t dot = name.find('.');
        c.sha256 = absl::HexStringToBytes(name.substr(dot + 1, 64));
        c.bytes = ReadFile(path);
        out.push_back(std::move(c));
      }
    }
    return out;
  }

  // When the last PUT grant the coordinator issued for the object expires.
  absl::Time PutGrantsExpireAt(const std::string& object_id) {
    pqxx::connection c(cluster().database_url());
    pqxx::work w(c);
    w.exec("SET search_path = coordinator");
    pqxx::row r = w.exec_params1(
        "SELECT extract(epoch FROM put_grants_expire_at)::bigint FROM objects "
        "WHERE object_id = $1::uuid",
        object_id);
    w.commit();
    return absl::FromUnixSeconds(r[0].as<int64_t>());
  }

  std::string NodeIdOf(int daemon) {
    absl::StatusOr<v1::ClusterStatusResponse> st = cluster().Status();
    EXPECT_TRUE(st.ok()) << st.status();
    if (!st.ok()) return "";
    for (const v1::NodeInfo& n : st->nodes()) {
      if (n.address() == cluster().node_address(daemon)) return n.node_id();
    }
    return "";
  }

  // The PUT grant the coordinator issued for `shard` (same claims and expiry, signed
  // with the coordinator's key): what a client that kept it would replay.
  std::string PutGrantFor(const ShardCopy& shard, const std::string& object_id,
                          absl::Time expires_at) {
    v1::GrantClaims claims;
    claims.set_operation(v1::GRANT_OPERATION_PUT);
    claims.set_shard_key(shard.key);
    claims.set_node_id(NodeIdOf(shard.daemon));
    claims.set_size_bytes(shard.bytes.size());
    claims.set_sha256(shard.sha256);
    claims.set_expires_unix_seconds(absl::ToUnixSeconds(expires_at));
    claims.set_object_id(object_id);
    // "<32 hex>-<segment>-<index>".
    const std::vector<std::string> parts = absl::StrSplit(shard.key, '-');
    uint32_t segment = 0, index = 0;
    if (parts.size() == 3 && absl::SimpleAtoi(parts[1], &segment) &&
        absl::SimpleAtoi(parts[2], &index)) {
      claims.set_segment(segment);
      claims.set_shard_index(index);
    }
    absl::StatusOr<SigningKey> key = LoadSigningKey(cluster().dir() + "/coordinator/coordinator.key");
    EXPECT_TRUE(key.ok()) << key.status();
    if (!key.ok()) return "";
    return TokenSigner(*key).Sign(SerializeDeterministic(claims), "grant");
  }

  grpc::Status PutShard(int daemon, const std::string& grant, const std::string& bytes,
                        bool* already_present) {
    absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
        MakeChannel(cluster().node_address(daemon), cluster().client_tls());
    if (!channel.ok()) return grpc::Status(grpc::StatusCode::INTERNAL, "no channel");
    auto stub = v1::StorageNode::NewStub(*channel);
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    v1::PutShardResponse resp;
    std::unique_ptr<grpc::ClientWriter<v1::PutShardRequest>> writer = stub->PutShard(&ctx, &resp);
    v1::PutShardRequest first;
    first.mutable_grant()->set_token(grant);
    writer->Write(first);
    for (size_t off = 0; off < bytes.size(); off += 64 << 10) {
      v1::PutShardRequest chunk;
      chunk.set_data(bytes.substr(off, 64 << 10));
      if (!writer->Write(chunk)) break;
    }
    writer->WritesDone();
    grpc::Status s = writer->Finish();
    *already_present = resp.already_present();
    return s;
  }

  static inline Cluster* cluster_ = nullptr;
  static inline std::string* start_error_ = nullptr;
};

TEST_F(TrashFaultTest, DeleteRestoreDeleteWindowPassesShardsGoneAndReplaysLeaveNothing) {
  auto alice = SignUp(absl::StrCat("alice", ::getpid()));
  // 2.5 MiB: three 1 MiB segments of 4+2 shards on six daemons.
  const std::string data = WriteRandomFile(alice->File("film"), 2621440 + 11, 91);
  CliResult put = alice->Run({"--json", "put", alice->File("film"), "--name", "film"});
  ASSERT_EQ(put.exit_code, 0) << put.Describe();
  const std::string id = nlohmann::json::parse(put.out)["id"].get<std::string>();
  const absl::Time grants_expire = PutGrantsExpireAt(id);
  const std::vector<ShardCopy> shards = ShardsOnDisk(id);
  ASSERT_EQ(shards.size(), 18u);

  // 1. Delete: unreadable at once, listed in the trash, shards untouched.
  CliResult rm = alice->Run({"rm", "film"});
  ASSERT_EQ(rm.exit_code, 0) << rm.Describe();
  EXPECT_THAT(rm.out, HasSubstr("in the trash until"));
  CliResult gone = alice->Run({"get", id, "-o", alice->File("x")});
  EXPECT_EQ(gone.exit_code, 4) << gone.Describe();
  EXPECT_THAT(gone.err, HasSubstr("in the trash"));
  CliResult ls = alice->Run({"--json", "trash", "ls"});
  ASSERT_EQ(ls.exit_code, 0) << ls.Describe();
  nlohmann::json trash = nlohmann::json::parse(ls.out);
  ASSERT_EQ(trash.size(), 1u) << ls.out;
  EXPECT_EQ(trash[0]["id"], id);
  EXPECT_EQ(trash[0]["name"], "film");
  CliResult live = alice->Run({"--json", "ls"});
  ASSERT_EQ(live.exit_code, 0) << live.Describe();
  EXPECT_EQ(nlohmann::json::parse(live.out).size(), 0u) << live.out;

  // 2. PUT grants replayed after the delete, still valid: each finds its shard present.
  ASSERT_LT(absl::Now(), grants_expire) << "the put took longer than the grant TTL";
  for (const ShardCopy& s : shards) {
    bool present = false;
    grpc::Status st = PutShard(s.daemon, PutGrantFor(s, id, grants_expire), s.bytes, &present);
    ASSERT_TRUE(st.ok()) << s.key << ": " << st.error_message();
    EXPECT_TRUE(present) << s.key;
  }

  // 3. While it waits in the trash, its shards grow older than the orphan grace; the
  // sweeps (every second) must spare them: restore reads back byte-exactly.
  absl::SleepFor(std::max(absl::ZeroDuration(),
                          grants_expire + kOrphanGrace - kGrantTtl + absl::Seconds(3) -
                              absl::Now()));
  EXPECT_EQ(ShardsOnDisk(id).size(), 18u);
  CliResult restore = alice->Run({"trash", "restore", "film"});
  ASSERT_EQ(restore.exit_code, 0) << restore.Describe();
  CliResult got = alice->Run({"get", "film", "-o", alice->File("film.back")});
  ASSERT_EQ(got.exit_code, 0) << got.Describe();
  EXPECT_TRUE(ReadFile(alice->File("film.back")) == data);
  CliResult empty_ls = alice->Run({"--json", "trash", "ls"});
  EXPECT_EQ(nlohmann::json::parse(empty_ls.out).size(), 0u) << empty_ls.out;

  // 4. Delete again and let the window pass: purged, GC'd, gone from every disk.
  const absl::Time deleted_at = absl::Now();
  rm = alice->Run({"rm", id});
  ASSERT_EQ(rm.exit_code, 0) << rm.Describe();
  const absl::Time deadline = deleted_at + kTrashWindow + absl::Seconds(20);
  while (absl::Now() < deadline && !ShardsOnDisk(id).empty()) absl::SleepFor(absl::Milliseconds(250));
  EXPECT_TRUE(ShardsOnDisk(id).empty()) << ShardsOnDisk(id).size() << " shard files left";
  EXPECT_GE(absl::Now(), deleted_at + kTrashWindow) << "shards deleted before the window ended";
  CliResult restore_late = alice->Run({"trash", "restore", id});
  EXPECT_NE(restore_late.exit_code, 0) << restore_late.Describe();

  // 5. A replay now (its grant expired) is refused, and after further sweeps nothing
  // of the object exists anywhere.
  for (const ShardCopy& s : shards) {
    bool present = false;
    grpc::Status st = PutShard(s.daemon, PutGrantFor(s, id, grants_expire), s.bytes, &present);
    EXPECT_FALSE(st.ok()) << s.key;
  }
  absl::SleepFor(absl::Seconds(2));
  EXPECT_TRUE(ShardsOnDisk(id).empty());
  // The purge was counted.
  EXPECT_GE(MetricSum(cluster().coordinator_metrics_address(), "freehold_trash_purged_total", "",
                      cluster().dir()),
            1);
}

}  // namespace
}  // namespace freehold::e2e
