// The orphan sweep end to end: a real coordinator (leader-only sweep every loop tick),
// six real freehold-storaged daemons with a short --orphan-grace, real PostgreSQL.
// A shard no manifest references (stored with a valid grant the coordinator never
// recorded, or a PUT grant replayed after its object was deleted) disappears from
// every disk after the grace period; referenced shards stay and still read back.
#include <gtest/gtest.h>

#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_replace.h"
#include "coordinator/core/ids.h"
#include "tests/coordinator/cluster_fixture.h"
#include "tests/support/status_matchers.h"

namespace freehold::coordinator::testing {
namespace {

class OrphanSweepClusterTest : public ClusterTest {
 protected:
  void SetUp() override {
    ClusterTest::SetUp();
    if (HasFatalFailure()) return;
    // As in production, the grace period is longer than any grant's lifetime (grants
    // live 4 s here: long enough to upload one small segment, short enough to outlive).
    daemon_args_ = {"--orphan-grace", "5s"};
    StartCluster(6, {"--orphan-sweep-interval", "500ms", "--grant-ttl", "4s"});
  }

  // Shard files of `object_id` (any segment/index) on every daemon's disk.
  int FilesOf(const std::string& object_id) {
    const std::string prefix = absl::StrReplaceAll(object_id, {{"-", ""}});
    int n = 0;
    for (const Daemon& d : daemons_) {
      std::error_code ec;
      for (auto it = std::filesystem::recursive_directory_iterator(d.data_dir + "/shards", ec);
           !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
        if (it->is_regular_file() && absl::StartsWith(it->path().filename().string(), prefix)) {
          ++n;
        }
      }
    }
    return n;
  }
  bool WaitForFiles(const std::string& object_id, int n, absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    while (absl::Now() < deadline) {
      if (FilesOf(object_id) == n) return true;
      absl::SleepFor(absl::Milliseconds(100));
    }
    return FilesOf(object_id) == n;
  }

  struct Uploaded {
    std::string object_id;
    std::vector<v1::ShardPlan> plan;
    std::vector<std::string> shards;
  };
  // One segment whose shards are `k+m` distinct byte strings (the sweep does not care
  // about erasure coding), committed.
  Uploaded UploadOneSegment(const std::string& token) {
    Uploaded out;
    v1::CreateObjectRequest create;
    create.set_encrypted_metadata("name");
    create.set_age_header("age-encryption.org/v1\n-> X25519 test\n--- mac\n");
    create.set_size_bytes(4000);
    v1::CreateObjectResponse created;
    grpc::Status s = stub_->CreateObject(Ctx(token).get(), create, &created);
    EXPECT_TRUE(s.ok()) << s.error_message();
    out.object_id = created.object_id();
    const int n = static_cast<int>(created.data_shards() + created.parity_shards());
    v1::BeginSegmentRequest begin;
    begin.set_object_id(out.object_id);
    begin.set_segment(0);
    begin.set_segment_size_bytes(4000);
    begin.set_shard_size_bytes(1000);
    for (int i = 0; i < n; ++i) {
      out.shards.push_back(PseudoRandomBytes(1000, 100 + i));
      begin.add_shard_sha256(Sha256(out.shards.back()));
    }
    v1::BeginSegmentResponse plan;
    s = stub_->BeginSegment(Ctx(token).get(), begin, &plan);
    EXPECT_TRUE(s.ok()) << s.error_message();
    v1::CommitSegmentRequest commit;
    commit.set_object_id(out.object_id);
    commit.set_segment(0);
    for (const v1::ShardPlan& p : plan.shards()) {
      out.plan.push_back(p);
      PutResult put = PutShard(p.node_address(), p.grant().token(), out.shards[p.index()]);
      EXPECT_TRUE(put.status.ok()) << put.status.error_message();
      commit.add_receipts()->set_token(put.receipt);
    }
    v1::CommitSegmentResponse committed;
    s = stub_->CommitSegment(Ctx(token).get(), commit, &committed);
    EXPECT_TRUE(s.ok()) << s.error_message();
    v1::CommitObjectRequest done;
    done.set_object_id(out.object_id);
    done.set_segment_count(1);
    v1::CommitObjectResponse resp;
    s = stub_->CommitObject(Ctx(token).get(), done, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }

  std::string NodeIdAt(const std::string& address) {
    absl::StatusOr<v1::ClusterStatusResponse> st = Status();
    EXPECT_TRUE(st.ok());
    if (!st.ok()) return "";
    for (const v1::NodeInfo& n : st->nodes()) {
      if (n.address() == address) return n.node_id();
    }
    return "";
  }
};

TEST_F(OrphanSweepClusterTest, UnreferencedShardIsSweptAndReferencedOnesStay) {
  const std::string token = Token("11111111-2222-4333-8444-555555555555");
  const Uploaded kept = UploadOneSegment(token);
  ASSERT_FALSE(HasFailure());
  const int kept_files = static_cast<int>(kept.shards.size());
  ASSERT_EQ(FilesOf(kept.object_id), kept_files);

  // A shard for an object the coordinator has never heard of, stored with a valid grant.
  const std::string ghost = "0f0e0d0c-0b0a-4908-8706-050403020100";
  const std::string bytes = PseudoRandomBytes(777, 7);
  v1::GrantClaims claims;
  claims.set_operation(v1::GRANT_OPERATION_PUT);
  claims.set_shard_key(ShardKey(ghost, 0, 0));
  claims.set_node_id(NodeIdAt(daemons_[0].address));
  claims.set_size_bytes(bytes.size());
  claims.set_sha256(Sha256(bytes));
  claims.set_expires_unix_seconds(absl::ToUnixSeconds(absl::Now() + absl::Minutes(1)));
  claims.set_object_id(ghost);
  const PutResult put = PutShard(daemons_[0].address, SignWithCoordinatorKey(claims), bytes);
  ASSERT_TRUE(put.status.ok()) << put.status.error_message();
  ASSERT_EQ(FilesOf(ghost), 1);

  // Grace 5 s, a sweep every 500 ms: gone well within 15 s.
  EXPECT_TRUE(WaitForFiles(ghost, 0, absl::Seconds(15)));
  // Referenced shards (older than the grace by now) are all still there and intact.
  EXPECT_EQ(FilesOf(kept.object_id), kept_files);
  for (const v1::ShardPlan& p : kept.plan) {
    v1::GrantClaims get;
    get.set_operation(v1::GRANT_OPERATION_GET);
    get.set_shard_key(ShardKey(kept.object_id, 0, static_cast<int>(p.index())));
    get.set_node_id(NodeIdAt(p.node_address()));
    get.set_expires_unix_seconds(absl::ToUnixSeconds(absl::Now() + absl::Minutes(1)));
    get.set_object_id(kept.object_id);
    std::string read;
    ASSERT_TRUE(GetShard(p.node_address(), SignWithCoordinatorKey(get), &read).ok());
    EXPECT_TRUE(read == kept.shards[p.index()]);
  }
}

TEST_F(OrphanSweepClusterTest, PutGrantReplayedAfterDeleteLeavesNothingBehind) {
  const std::string token = Token("11111111-2222-4333-8444-666666666666");
  const Uploaded doomed = UploadOneSegment(token);
  ASSERT_FALSE(HasFailure());
  ASSERT_EQ(FilesOf(doomed.object_id), static_cast<int>(doomed.shards.size()));

  v1::DeleteObjectRequest del;
  del.set_object_id(doomed.object_id);
  v1::DeleteObjectResponse deleted;
  grpc::Status s = stub_->DeleteObject(Ctx(token).get(), del, &deleted);
  ASSERT_TRUE(s.ok()) << s.error_message();
  // The object's PUT grants are still valid: a client replays them at once. The shard
  // deletions wait for the grants to expire, so every replay finds its shard present.
  for (const v1::ShardPlan& p : doomed.plan) {
    const PutResult again = PutShard(p.node_address(), p.grant().token(), doomed.shards[p.index()]);
    ASSERT_TRUE(again.status.ok()) << again.status.error_message();
  }
  // Every replay was still within its grant, so no deletion was due yet: all present.
  EXPECT_EQ(FilesOf(doomed.object_id), static_cast<int>(doomed.shards.size()));
  // Once the grants (4 s) expired the shards are deleted, and whatever a replay may
  // have stored is swept: nothing is left on any disk ...
  EXPECT_TRUE(WaitForFiles(doomed.object_id, 0, absl::Seconds(25)))
      << FilesOf(doomed.object_id) << " shard files left";
  // ... and a replay now is refused.
  for (const v1::ShardPlan& p : doomed.plan) {
    const PutResult late = PutShard(p.node_address(), p.grant().token(), doomed.shards[p.index()]);
    EXPECT_EQ(late.status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  }
  EXPECT_EQ(FilesOf(doomed.object_id), 0);
}

}  // namespace
}  // namespace freehold::coordinator::testing
