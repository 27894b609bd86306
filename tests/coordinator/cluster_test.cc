// The coordinator as a real process with real freehold-storaged daemons on
// loopback and a real PostgreSQL: the whole upload/download protocol driven
// through the RPCs, failures mid-upload, commit refusals, visibility,
// isolation between accounts and grant checks on the daemons.
#include <gtest/gtest.h>

#include <set>

#include "absl/strings/match.h"
#include "common/erasure/erasure.h"
#include "coordinator/core/ids.h"
#include "coordinator/grpc/claims_codec.h"
#include "tests/coordinator/cluster_fixture.h"
#include "tests/support/status_matchers.h"

namespace freehold::coordinator::testing {
namespace {

using ::testing::HasSubstr;

struct EncodedSegment {
  uint64_t segment_size = 0;
  uint64_t shard_size = 0;
  std::vector<std::string> shards;  // k data (padded) + m parity stand-ins
  std::vector<std::string> hashes;
};

// Reed-Solomon k+m as the client encodes (client_core), so the coordinator's
// repair can rebuild any shard.
EncodedSegment Encode(const std::string& segment, int k, int m) {
  EncodedSegment e;
  absl::StatusOr<erasure::ReedSolomon> rs = erasure::ReedSolomon::Create(k, m);
  EXPECT_TRUE(rs.ok());
  absl::StatusOr<erasure::EncodedSegment> encoded = erasure::EncodeSegment(
      *rs,
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(segment.data()), segment.size()));
  EXPECT_TRUE(encoded.ok()) << encoded.status();
  e.segment_size = segment.size();
  e.shard_size = encoded->shard_size;
  for (int i = 0; i < k + m; ++i) {
    std::span<const uint8_t> shard = encoded->shard(i);
    e.shards.emplace_back(reinterpret_cast<const char*>(shard.data()), shard.size());
    e.hashes.push_back(Sha256(e.shards.back()));
  }
  return e;
}

class CoordinatorClusterTest : public ClusterTest {
 protected:
  absl::StatusOr<v1::CreateObjectResponse> Create(const std::string& token, uint64_t size) {
    v1::CreateObjectRequest req;
    req.set_encrypted_metadata("encrypted-name");
    req.set_age_header("age-encryption.org/v1\n-> X25519 test\n--- mac\n");
    req.set_size_bytes(size);
    v1::CreateObjectResponse resp;
    grpc::Status s = stub_->CreateObject(Ctx(token).get(), req, &resp);
    if (!s.ok())
      return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
    return resp;
  }

  grpc::Status Begin(const std::string& token, const std::string& id, int segment,
                     const EncodedSegment& e, v1::BeginSegmentResponse* resp) {
    v1::BeginSegmentRequest req;
    req.set_object_id(id);
    req.set_segment(segment);
    req.set_segment_size_bytes(e.segment_size);
    req.set_shard_size_bytes(e.shard_size);
    for (const std::string& h : e.hashes) req.add_shard_sha256(h);
    return stub_->BeginSegment(Ctx(token).get(), req, resp);
  }

  grpc::Status Commit(const std::string& token, const std::string& id, int segment,
                      const std::vector<std::string>& receipts) {
    v1::CommitSegmentRequest req;
    req.set_object_id(id);
    req.set_segment(segment);
    for (const std::string& r : receipts) req.add_receipts()->set_token(r);
    v1::CommitSegmentResponse resp;
    return stub_->CommitSegment(Ctx(token).get(), req, &resp);
  }

  grpc::Status CommitObject(const std::string& token, const std::string& id, int segments) {
    v1::CommitObjectRequest req;
    req.set_object_id(id);
    req.set_segment_count(segments);
    v1::CommitObjectResponse resp;
    return stub_->CommitObject(Ctx(token).get(), req, &resp);
  }

  // The whole protocol: create, per segment begin + put + commit, commit object.
  std::string Upload(const std::string& token, const std::string& payload) {
    absl::StatusOr<v1::CreateObjectResponse> created = Create(token, payload.size());
    EXPECT_TRUE(created.ok()) << created.status();
    if (!created.ok()) return "";
    const uint64_t seg = created->segment_size_bytes();
    int segments = 0;
    for (uint64_t off = 0; off < payload.size(); off += seg, ++segments) {
      EncodedSegment e =
          Encode(payload.substr(off, seg), created->data_shards(), created->parity_shards());
      v1::BeginSegmentResponse plan;
      grpc::Status s = Begin(token, created->object_id(), segments, e, &plan);
      EXPECT_TRUE(s.ok()) << s.error_message();
      std::vector<std::string> receipts;
      for (const v1::ShardPlan& p : plan.shards()) {
        PutResult put = PutShard(p.node_address(), p.grant().token(), e.shards[p.index()]);
        EXPECT_TRUE(put.status.ok()) << put.status.error_message();
        receipts.push_back(put.receipt);
      }
      s = Commit(token, created->object_id(), segments, receipts);
      EXPECT_TRUE(s.ok()) << s.error_message();
    }
    grpc::Status s = CommitObject(token, created->object_id(), segments);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return created->object_id();
  }

  // GetObject, then any k shards per segment with their GET grants.
  absl::StatusOr<std::string> Download(const std::string& token, const std::string& id) {
    v1::GetObjectRequest req;
    req.set_object_id(id);
    v1::GetObjectResponse m;
    grpc::Status s = stub_->GetObject(Ctx(token).get(), req, &m);
    if (!s.ok())
      return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
    std::string payload;
    for (const v1::SegmentManifest& seg : m.segments()) {
      std::string data;
      for (uint32_t i = 0; i < m.data_shards(); ++i) {
        const v1::ShardLocation& loc = seg.shards(i);
        std::string bytes;
        grpc::Status g = GetShard(loc.node_address(), loc.grant().token(), &bytes);
        if (!g.ok()) return absl::UnavailableError(g.error_message());
        if (Sha256(bytes) != loc.sha256()) return absl::DataLossError("hash mismatch");
        data += bytes;
      }
      data.resize(seg.segment_size_bytes());
      payload += data;
    }
    return payload;
  }
};

TEST_F(CoordinatorClusterTest, UploadsAndDownloadsThroughRealDaemons) {
  ASSERT_NO_FATAL_FAILURE(StartCluster(6));
  const std::string owner = Token(NewUuid());
  const std::string payload = PseudoRandomBytes((150 << 10) + 7, 1);  // 3 segments
  const std::string id = Upload(owner, payload);
  ASSERT_FALSE(id.empty());
  ASSERT_OK_AND_ASSIGN(std::string downloaded, Download(owner, id));
  EXPECT_EQ(downloaded, payload);

  // Every shard of the manifest is readable with its grant: any k will do.
  v1::GetObjectRequest req;
  req.set_object_id(id);
  v1::GetObjectResponse m;
  ASSERT_TRUE(stub_->GetObject(Ctx(owner).get(), req, &m).ok());
  ASSERT_EQ(m.segments_size(), 3);
  for (const v1::SegmentManifest& seg : m.segments()) {
    std::set<std::string> nodes;
    for (const v1::ShardLocation& loc : seg.shards()) {
      std::string bytes;
      ASSERT_TRUE(GetShard(loc.node_address(), loc.grant().token(), &bytes).ok());
      EXPECT_EQ(Sha256(bytes), loc.sha256());
      EXPECT_EQ(loc.state(), v1::SHARD_STATE_HEALTHY);
      nodes.insert(loc.node_id());
    }
    EXPECT_EQ(nodes.size(), 6u) << "one shard per failure domain";
  }
  ASSERT_OK_AND_ASSIGN(v1::ClusterStatusResponse status, Status());
  EXPECT_EQ(status.objects(), 1u);
  EXPECT_EQ(status.segments(), 3u);
  EXPECT_EQ(status.logical_used_bytes(), payload.size());
  EXPECT_EQ(status.data_shards(), 4u);

  // Metrics: the stats loop publishes the cluster, the interceptor the RPCs.
  std::string metrics;
  for (int i = 0; i < 50; ++i) {
    metrics = FetchMetrics(coordinator_metrics_address_);
    if (absl::StrContains(metrics, "freehold_objects 1")) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_THAT(metrics, HasSubstr("freehold_objects 1"));
  EXPECT_THAT(metrics, HasSubstr("freehold_segments 3"));
  EXPECT_THAT(metrics, HasSubstr("freehold_nodes{state=\"up\"} 6"));
  EXPECT_THAT(metrics, HasSubstr("freehold_placements_total 3"));
  EXPECT_THAT(metrics, HasSubstr("freehold_grant_issue_seconds_count"));
  EXPECT_THAT(metrics, HasSubstr("freehold_capacity_bytes{kind=\"raw\",state=\"total\"}"));
  EXPECT_THAT(metrics, HasSubstr("freehold_node_capacity_bytes{node=\""));
  EXPECT_THAT(metrics, HasSubstr("freehold_segments_degraded 0"));
  EXPECT_THAT(metrics, HasSubstr("freehold_segments_lost 0"));
  EXPECT_THAT(metrics, HasSubstr("freehold_rpc_total{"));
}

TEST_F(CoordinatorClusterTest, ReplacesTheTargetOfADaemonThatDiedMidUpload) {
  ASSERT_NO_FATAL_FAILURE(StartCluster(7));
  const std::string owner = Token(NewUuid());
  const std::string payload = PseudoRandomBytes(40 << 10, 2);
  ASSERT_OK_AND_ASSIGN(v1::CreateObjectResponse created, Create(owner, payload.size()));
  EncodedSegment e = Encode(payload, 4, 2);
  v1::BeginSegmentResponse plan;
  ASSERT_TRUE(Begin(owner, created.object_id(), 0, e, &plan).ok());
  const v1::ShardPlan victim = plan.shards(2);
  daemons_[DaemonIndexByAddress(victim.node_address())].process->KillHard();

  std::vector<std::string> receipts(6);
  std::set<std::string> used_nodes;
  for (const v1::ShardPlan& p : plan.shards()) {
    PutResult put = PutShard(p.node_address(), p.grant().token(), e.shards[p.index()]);
    if (p.index() == 2) {
      ASSERT_FALSE(put.status.ok());
      continue;
    }
    ASSERT_TRUE(put.status.ok()) << put.status.error_message();
    receipts[p.index()] = put.receipt;
    used_nodes.insert(p.node_id());
  }
  v1::ReplaceShardTargetRequest rreq;
  rreq.set_object_id(created.object_id());
  rreq.set_segment(0);
  rreq.set_index(2);
  rreq.set_failed_node_id(victim.node_id());
  v1::ReplaceShardTargetResponse replacement;
  grpc::Status s = stub_->ReplaceShardTarget(Ctx(owner).get(), rreq, &replacement);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_NE(replacement.shard().node_id(), victim.node_id());
  EXPECT_FALSE(used_nodes.count(replacement.shard().node_id()));
  EXPECT_EQ(replacement.shard().shard_key(), victim.shard_key());
  PutResult put = PutShard(replacement.shard().node_address(), replacement.shard().grant().token(),
                           e.shards[2]);
  ASSERT_TRUE(put.status.ok()) << put.status.error_message();
  receipts[2] = put.receipt;
  ASSERT_TRUE(Commit(owner, created.object_id(), 0, receipts).ok());
  ASSERT_TRUE(CommitObject(owner, created.object_id(), 1).ok());
  ASSERT_OK_AND_ASSIGN(std::string downloaded, Download(owner, created.object_id()));
  EXPECT_EQ(downloaded, payload);
}

TEST_F(CoordinatorClusterTest, CommitRefusesTooFewReceiptsAndDoesNotCountAStaleOne) {
  ASSERT_NO_FATAL_FAILURE(StartCluster(7));
  const std::string owner = Token(NewUuid());
  const std::string payload = PseudoRandomBytes(30 << 10, 3);
  ASSERT_OK_AND_ASSIGN(v1::CreateObjectResponse created, Create(owner, payload.size()));
  EncodedSegment e = Encode(payload, 4, 2);
  v1::BeginSegmentResponse plan;
  ASSERT_TRUE(Begin(owner, created.object_id(), 0, e, &plan).ok());
  std::vector<std::string> receipts(6);
  for (const v1::ShardPlan& p : plan.shards()) {
    PutResult put = PutShard(p.node_address(), p.grant().token(), e.shards[p.index()]);
    ASSERT_TRUE(put.status.ok()) << put.status.error_message();
    receipts[p.index()] = put.receipt;
  }
  // Two receipts short: below the degraded minimum (k+1 = 5), so refused.
  std::vector<std::string> missing = receipts;
  missing.erase(missing.begin() + 4, missing.end());
  grpc::Status s = Commit(owner, created.object_id(), 0, missing);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("shard 5"));

  // Move shard 1 elsewhere: the receipt of the node it left no longer counts (that
  // copy is queued for deletion), so the segment commits degraded, shard 1 MISSING for
  // repair.
  v1::ReplaceShardTargetRequest rreq;
  rreq.set_object_id(created.object_id());
  rreq.set_segment(0);
  rreq.set_index(1);
  rreq.set_failed_node_id(plan.shards(1).node_id());
  v1::ReplaceShardTargetResponse replacement;
  ASSERT_TRUE(stub_->ReplaceShardTarget(Ctx(owner).get(), rreq, &replacement).ok());
  s = Commit(owner, created.object_id(), 0, receipts);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_TRUE(CommitObject(owner, created.object_id(), 1).ok());
}

TEST_F(CoordinatorClusterTest, UncommittedIsInvisibleAndAccountsAreIsolated) {
  // Short grants: a deleted object's shards are deleted once its PUT grants expired.
  ASSERT_NO_FATAL_FAILURE(StartCluster(6, {"--grant-ttl", "10s"}));
  const std::string owner_id = NewUuid();
  const std::string owner = Token(owner_id);
  const std::string stranger = Token(NewUuid());
  const std::string payload = PseudoRandomBytes(10 << 10, 4);
  const std::string id = Upload(owner, payload);
  ASSERT_OK_AND_ASSIGN(v1::CreateObjectResponse pending, Create(owner, 1000));

  v1::ListObjectsResponse list;
  ASSERT_TRUE(stub_->ListObjects(Ctx(owner).get(), {}, &list).ok());
  ASSERT_EQ(list.objects_size(), 1);
  EXPECT_EQ(list.objects(0).object_id(), id);
  EXPECT_EQ(list.objects(0).owner_account_id(), owner_id);
  v1::GetObjectRequest get;
  v1::GetObjectResponse manifest;
  get.set_object_id(pending.object_id());
  EXPECT_EQ(stub_->GetObject(Ctx(owner).get(), get, &manifest).error_code(),
            grpc::StatusCode::NOT_FOUND);
  get.set_object_id(NewUuid());
  EXPECT_EQ(stub_->GetObject(Ctx(owner).get(), get, &manifest).error_code(),
            grpc::StatusCode::NOT_FOUND);

  // The stranger sees nothing and changes nothing: the objects answer like ids that
  // do not exist.
  list.Clear();
  ASSERT_TRUE(stub_->ListObjects(Ctx(stranger).get(), {}, &list).ok());
  EXPECT_EQ(list.objects_size(), 0);
  get.set_object_id(id);
  EXPECT_EQ(stub_->GetObject(Ctx(stranger).get(), get, &manifest).error_code(),
            grpc::StatusCode::NOT_FOUND);
  v1::DeleteObjectRequest del;
  del.set_object_id(id);
  v1::DeleteObjectResponse del_resp;
  EXPECT_EQ(stub_->DeleteObject(Ctx(stranger).get(), del, &del_resp).error_code(),
            grpc::StatusCode::NOT_FOUND);
  v1::UpdateHeaderRequest upd;
  upd.set_object_id(id);
  upd.set_age_header("evil");
  v1::UpdateHeaderResponse upd_resp;
  EXPECT_EQ(stub_->UpdateHeader(Ctx(stranger).get(), upd, &upd_resp).error_code(),
            grpc::StatusCode::NOT_FOUND);
  v1::SetPublicLinkRequest link;
  link.set_object_id(id);
  link.set_enabled(true);
  link.set_age_header("evil");
  v1::SetPublicLinkResponse link_resp;
  EXPECT_EQ(stub_->SetPublicLink(Ctx(stranger).get(), link, &link_resp).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EncodedSegment e = Encode(std::string(1000, 'x'), 4, 2);
  v1::BeginSegmentResponse plan;
  EXPECT_EQ(Begin(stranger, pending.object_id(), 0, e, &plan).error_code(),
            grpc::StatusCode::NOT_FOUND);

  // No token, an expired token, a forged token.
  EXPECT_EQ(stub_->ListObjects(Ctx().get(), {}, &list).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(
      stub_->ListObjects(Ctx(Token(owner_id, -absl::Minutes(2))).get(), {}, &list).error_code(),
      grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(stub_->GetObject(Ctx().get(), get, &manifest).error_code(),
            grpc::StatusCode::NOT_FOUND);  // without a public link: as if it did not exist

  // A public link opens reads to anyone, without a token.
  link.set_age_header("header-with-link-stanza");
  ASSERT_TRUE(stub_->SetPublicLink(Ctx(owner).get(), link, &link_resp).ok());
  ASSERT_OK_AND_ASSIGN(std::string anonymous, Download("", id));
  EXPECT_EQ(anonymous, payload);

  // Deleting: gone at once, shards removed from the daemons by the GC loop once the
  // object's last PUT grant expired (10 s here).
  ASSERT_TRUE(stub_->GetObject(Ctx(owner).get(), get, &manifest).ok());
  ASSERT_TRUE(stub_->DeleteObject(Ctx(owner).get(), del, &del_resp).ok());
  EXPECT_EQ(stub_->GetObject(Ctx(owner).get(), get, &manifest).error_code(),
            grpc::StatusCode::NOT_FOUND);
  const v1::ShardLocation& loc = manifest.segments(0).shards(0);
  grpc::Status last;
  for (int i = 0; i < 200; ++i) {
    // A fresh GET grant each time: the manifest's may expire before the deletion is due.
    v1::GrantClaims get_claims;
    get_claims.set_operation(v1::GRANT_OPERATION_GET);
    get_claims.set_shard_key(loc.shard_key());
    get_claims.set_node_id(loc.node_id());
    get_claims.set_expires_unix_seconds(absl::ToUnixSeconds(absl::Now() + absl::Minutes(1)));
    get_claims.set_object_id(id);
    std::string bytes;
    last = GetShard(loc.node_address(), SignWithCoordinatorKey(get_claims), &bytes);
    if (last.error_code() == grpc::StatusCode::NOT_FOUND) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_EQ(last.error_code(), grpc::StatusCode::NOT_FOUND) << last.error_message();
}

TEST_F(CoordinatorClusterTest, DaemonsRejectForgedExpiredAndMisdirectedGrants) {
  ASSERT_NO_FATAL_FAILURE(StartCluster(6));
  const std::string owner = Token(NewUuid());
  const std::string id = Upload(owner, PseudoRandomBytes(8 << 10, 5));
  v1::GetObjectRequest get;
  get.set_object_id(id);
  v1::GetObjectResponse m;
  ASSERT_TRUE(stub_->GetObject(Ctx(owner).get(), get, &m).ok());
  const v1::ShardLocation& a = m.segments(0).shards(0);
  const v1::ShardLocation& b = m.segments(0).shards(1);
  std::string bytes;
  ASSERT_TRUE(GetShard(a.node_address(), a.grant().token(), &bytes).ok());

  v1::GrantClaims claims;
  claims.set_operation(v1::GRANT_OPERATION_GET);
  claims.set_shard_key(a.shard_key());
  claims.set_node_id(a.node_id());
  claims.set_expires_unix_seconds(absl::ToUnixSeconds(absl::Now() + absl::Minutes(5)));
  ASSERT_OK_AND_ASSIGN(SigningKey forger, GenerateSigningKey());
  const std::string forged = TokenSigner(forger).Sign(SerializeDeterministic(claims), "grant");
  EXPECT_EQ(GetShard(a.node_address(), forged, &bytes).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);

  claims.set_expires_unix_seconds(absl::ToUnixSeconds(absl::Now() - absl::Seconds(10)));
  EXPECT_EQ(GetShard(a.node_address(), SignWithCoordinatorKey(claims), &bytes).error_code(),
            grpc::StatusCode::DEADLINE_EXCEEDED);

  // B's grant presented to A's node; a GET grant used to PUT.
  EXPECT_EQ(GetShard(a.node_address(), b.grant().token(), &bytes).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(PutShard(a.node_address(), a.grant().token(), "x").status.error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(CoordinatorClusterTest, TooFewLiveFailureDomainsIsFailedPrecondition) {
  // 4+2 with at least k+1 = 5 distinct nodes (--degraded-min-nodes): 5 live nodes still
  // place a segment (two shards on one of them), 4 do not.
  ASSERT_NO_FATAL_FAILURE(StartCluster(6));
  daemons_[0].process->KillHard();
  daemons_[1].process->KillHard();
  ASSERT_OK(WaitForNodes(4, 2));  // down after --node-down-after 3s
  const std::string owner = Token(NewUuid());
  ASSERT_OK_AND_ASSIGN(v1::CreateObjectResponse created, Create(owner, 1000));
  EncodedSegment e = Encode(std::string(1000, 'y'), 4, 2);
  v1::BeginSegmentResponse plan;
  grpc::Status s = Begin(owner, created.object_id(), 0, e, &plan);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("4"));
}

TEST_F(CoordinatorClusterTest, RepairRebuildsTheShardsOfADeadDaemonElsewhere) {
  ASSERT_NO_FATAL_FAILURE(StartCluster(7, {"--repair-after", "0s"}));
  const std::string owner = Token(NewUuid());
  const std::string payload = PseudoRandomBytes(100 << 10, 6);  // 2 segments
  const std::string id = Upload(owner, payload);
  v1::GetObjectRequest get;
  get.set_object_id(id);
  v1::GetObjectResponse before;
  ASSERT_TRUE(stub_->GetObject(Ctx(owner).get(), get, &before).ok());
  const v1::ShardLocation lost = before.segments(0).shards(0);
  daemons_[DaemonIndexByAddress(lost.node_address())].process->KillHard();

  // The node goes down after 3 s; the repair loop then rebuilds its shards.
  v1::GetObjectResponse after;
  bool repaired = false;
  for (int i = 0; i < 300 && !repaired; ++i) {
    after.Clear();
    ASSERT_TRUE(stub_->GetObject(Ctx(owner).get(), get, &after).ok());
    repaired = true;
    for (const v1::SegmentManifest& seg : after.segments()) {
      for (const v1::ShardLocation& loc : seg.shards()) {
        repaired &= loc.node_id() != lost.node_id() && loc.state() == v1::SHARD_STATE_HEALTHY;
      }
    }
    if (!repaired) absl::SleepFor(absl::Milliseconds(100));
  }
  ASSERT_TRUE(repaired) << "shards of the dead node were not rebuilt";
  // Shard 0 now lives elsewhere, still one per host, with the same hash.
  const v1::ShardLocation& moved = after.segments(0).shards(0);
  EXPECT_EQ(moved.sha256(), lost.sha256());
  std::set<std::string> nodes;
  for (const v1::ShardLocation& loc : after.segments(0).shards()) nodes.insert(loc.node_id());
  EXPECT_EQ(nodes.size(), 6u);
  // Data shards 0..3 (including the rebuilt one) give back the payload.
  ASSERT_OK_AND_ASSIGN(std::string downloaded, Download(owner, id));
  EXPECT_EQ(downloaded, payload);
  ASSERT_OK_AND_ASSIGN(v1::ClusterStatusResponse status, Status());
  EXPECT_EQ(status.segments_degraded(), 0u);
  EXPECT_EQ(status.segments_lost(), 0u);
}

}  // namespace
}  // namespace freehold::coordinator::testing
