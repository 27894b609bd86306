// The upload state machine and object catalog over real PostgreSQL: placement,
// grants, receipts, visibility, authorization, sharing and public links.
#include <gtest/gtest.h>

#include <set>

#include "absl/strings/str_replace.h"
#include "common/signed_token.h"
#include "common/status.h"
#include "coordinator/core/ids.h"
#include "tests/coordinator/coordinator_fixture.h"
#include "tests/support/status_matchers.h"

namespace freehold::coordinator::testing {
namespace {

using ::freehold::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

class UploadTest : public CoordinatorPgTest {
 protected:
  // Decodes a grant token with the coordinator key.
  absl::StatusOr<std::string> GrantPayload(const std::string& token) {
    TokenVerifier v({coordinator_key_.Public()});
    return v.Verify(token, kGrantContext);
  }
};

TEST_F(UploadTest, PlacesShardsInDistinctHostsAndSignsPutGrants) {
  AddNodes(8);
  Caller owner = NewAccount();
  ASSERT_OK_AND_ASSIGN(Begun b, BeginFirstSegment(owner, 1000));
  ASSERT_EQ(b.targets.shards.size(), 6u);
  std::set<std::string> hosts;
  for (const ShardTarget& t : b.targets.shards) {
    hosts.insert(NodeById(t.node_id).domain.host);
    EXPECT_EQ(t.shard_key, ShardKey(b.object_id, 0, t.index));
    EXPECT_EQ(t.node_address, NodeById(t.node_id).address);
    ASSERT_OK(GrantPayload(t.grant).status());
  }
  EXPECT_EQ(hosts.size(), 6u);
  EXPECT_EQ(b.targets.grants_expire_at, clock_.Now() + absl::Minutes(15));
}

TEST_F(UploadTest, TooFewFailureDomainsIsFailedPrecondition) {
  AddNodes(3);
  // A second node on an existing host does not add a failure domain.
  TestNode same_host = MakeNode("host-0");
  ASSERT_OK(Register(same_host));
  Caller owner = NewAccount();
  // 3 domains, 4 nodes: fewer than k+1 = 5 nodes even for degraded placement.
  EXPECT_THAT(BeginFirstSegment(owner, 1000),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("at least 5")));
}

// Issue 23: 5 domains (one host has two nodes) for 4+2: degraded placement stores a
// complete segment, two shards in one domain.
TEST_F(UploadTest, FewerDomainsThanShardsPlacesADegradedSegment) {
  AddNodes(5);
  TestNode same_host = MakeNode("host-0");
  ASSERT_OK(Register(same_host));
  Caller owner = NewAccount();
  ASSERT_OK_AND_ASSIGN(Begun b, BeginFirstSegment(owner, 1000));
  std::set<std::string> nodes;
  for (const ShardTarget& t : b.targets.shards) nodes.insert(t.node_id);
  EXPECT_EQ(b.targets.shards.size(), 6u);
  EXPECT_EQ(nodes.size(), 6u);
}

TEST_F(UploadTest, DownAndDrainingNodesGetNoNewShards) {
  std::vector<TestNode> nodes = AddNodes(7);
  ASSERT_OK(registry_->SetState(nodes[0].id, NodeState::kDraining));
  Caller owner = NewAccount();
  ASSERT_OK_AND_ASSIGN(Begun b, BeginFirstSegment(owner, 1000));
  for (const ShardTarget& t : b.targets.shards) EXPECT_NE(t.node_id, nodes[0].id);
  // Silent for longer than node_down_after: skipped even before the loop ran.
  clock_.Advance(absl::Seconds(31));
  for (size_t i = 3; i < nodes.size(); ++i) ASSERT_OK(Heartbeat(nodes[i]).status());
  // Four nodes up: fewer than k+1, refused even degraded.
  EXPECT_THAT(BeginFirstSegment(owner, 1000), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(UploadTest, WholeUploadBecomesVisibleOnlyAfterCommit) {
  AddNodes(6);
  Caller owner = NewAccount();
  const uint64_t size = 150 << 10;  // three 64 KiB segments, the last one shorter
  CreateObjectInput create{"meta", "hdr", size};
  ASSERT_OK_AND_ASSIGN(CreatedObject created, writer_->CreateObject(owner, create));
  EXPECT_EQ(created.data_shards, 4);
  EXPECT_EQ(created.parity_shards, 2);
  EXPECT_EQ(created.segment_size_bytes, 64u << 10);
  for (int s = 0; s < 3; ++s) {
    BeginSegmentInput in;
    in.object_id = created.object_id;
    in.segment = s;
    in.segment_size_bytes = s < 2 ? 64 << 10 : 22 << 10;
    in.shard_size_bytes = in.segment_size_bytes / 4;
    in.shard_sha256 = Hashes(6, static_cast<char>('k' + s));
    ASSERT_OK_AND_ASSIGN(SegmentTargets t, writer_->BeginSegment(owner, in));
    // Invisible while uploading.
    EXPECT_THAT(catalog_->Get(&owner, created.object_id), StatusIs(absl::StatusCode::kNotFound));
    EXPECT_THAT(writer_->CommitObject(owner, created.object_id, 3),
                StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("not committed")));
    ASSERT_OK(writer_->CommitSegment(
        owner, {created.object_id, s, ReceiptsFor(t, in.shard_size_bytes, in.shard_sha256)}));
  }
  ASSERT_OK_AND_ASSIGN(ObjectPage page, catalog_->List(owner, 0, ""));
  EXPECT_TRUE(page.objects.empty());
  EXPECT_THAT(writer_->CommitObject(owner, created.object_id, 2),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("segment_count")));
  ASSERT_OK_AND_ASSIGN(absl::Time at, writer_->CommitObject(owner, created.object_id, 3));
  EXPECT_EQ(at, clock_.Now());
  ASSERT_OK_AND_ASSIGN(ObjectManifest m, catalog_->Get(&owner, created.object_id));
  EXPECT_EQ(m.age_header, "hdr");
  EXPECT_EQ(m.object.encrypted_metadata, "meta");
  ASSERT_EQ(m.segments.size(), 3u);
  EXPECT_EQ(m.segments[2].segment_size_bytes, 22u << 10);
  for (const SegmentManifest& s : m.segments) {
    ASSERT_EQ(s.shards.size(), 6u);
    for (const ShardLocation& l : s.shards) {
      EXPECT_EQ(l.state, ShardState::kHealthy);
      EXPECT_EQ(l.sha256, Hashes(6, static_cast<char>('k' + s.segment))[l.index]);
      ASSERT_FALSE(l.grant.empty()) << "every shard needs a GET grant";
      ASSERT_OK(GrantPayload(l.grant).status());
    }
  }
  ASSERT_OK_AND_ASSIGN(page, catalog_->List(owner, 0, ""));
  ASSERT_EQ(page.objects.size(), 1u);
  EXPECT_EQ(page.objects[0].size_bytes, size);
  EXPECT_FALSE(page.objects[0].shared_with_me);
  // Committing again answers the first commit time.
  clock_.Advance(absl::Seconds(5));
  ASSERT_OK_AND_ASSIGN(absl::Time again, writer_->CommitObject(owner, created.object_id, 3));
  EXPECT_EQ(again, at);
}

TEST_F(UploadTest, CommitRefusesReceiptFromAnotherNode) {
  std::vector<TestNode> nodes = AddNodes(7);
  Caller owner = NewAccount();
  ASSERT_OK_AND_ASSIGN(Begun b, BeginFirstSegment(owner, 1000));
  std::vector<std::string> receipts =
      ReceiptsFor(b.targets, b.input.shard_size_bytes, b.input.shard_sha256);
  std::set<std::string> placed;
  for (const ShardTarget& t : b.targets.shards) placed.insert(t.node_id);
  const TestNode* outsider = nullptr;
  for (const TestNode& n : nodes) {
    if (!placed.count(n.id)) outsider = &n;
  }
  ASSERT_NE(outsider, nullptr);
  const ShardTarget& t2 = b.targets.shards[2];
  receipts[2] = Receipt(*outsider, t2.shard_key, b.input.shard_size_bytes, b.input.shard_sha256[2]);
  EXPECT_THAT(writer_->CommitSegment(owner, {b.object_id, 0, receipts}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("shard 2")));
  // A receipt naming the right node but signed with another key is refused too.
  TestNode forged = NodeById(t2.node_id);
  forged.key = *GenerateSigningKey(forged.id);
  receipts[2] = Receipt(forged, t2.shard_key, b.input.shard_size_bytes, b.input.shard_sha256[2]);
  EXPECT_THAT(writer_->CommitSegment(owner, {b.object_id, 0, receipts}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not signed by node")));
}

TEST_F(UploadTest, CommitRefusesMissingReceiptNamingTheShard) {
  AddNodes(6);
  Caller owner = NewAccount();
  ASSERT_OK_AND_ASSIGN(Begun b, BeginFirstSegment(owner, 1000));
  std::vector<std::string> receipts =
      ReceiptsFor(b.targets, b.input.shard_size_bytes, b.input.shard_sha256);
  // Two of six missing: fewer than the minimum of k+1 = 5 (one missing is a degraded
  // commit, DegradedCommitRecordsTheMissingShardsForRepair).
  receipts.erase(receipts.begin() + 4);
  receipts.erase(receipts.begin() + 1);
  EXPECT_THAT(writer_->CommitSegment(owner, {b.object_id, 0, receipts}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("receipts for 4 of 6 shards; at least 5"),
                             HasSubstr("shard 1 (node " + b.targets.shards[1].node_id),
                             HasSubstr("shard 4 (node " + b.targets.shards[4].node_id))));
  receipts.push_back(receipts[0]);
  EXPECT_THAT(writer_->CommitSegment(owner, {b.object_id, 0, receipts}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("repeats")));
}

double CounterValue(prometheus::Registry& registry, const std::string& name) {
  for (const prometheus::MetricFamily& f : registry.Collect()) {
    if (f.name == name && !f.metric.empty()) return f.metric[0].counter.value;
  }
  return -1;
}

// Issue 23: a put that could store only k+1 of k+m shards (a node died and no
// replacement took the shard) commits; the shard without receipt is MISSING, the
// segment is degraded and due for repair at once, and the counter says so.
TEST_F(UploadTest, DegradedCommitRecordsTheMissingShardsForRepair) {
  AddNodes(6);
  Caller owner = NewAccount();
  ASSERT_OK_AND_ASSIGN(Begun b, BeginFirstSegment(owner, 1000));
  EXPECT_EQ(b.targets.min_shards_to_commit, 5);
  std::vector<std::string> receipts =
      ReceiptsFor(b.targets, b.input.shard_size_bytes, b.input.shard_sha256);
  receipts.erase(receipts.begin() + 2);
  EXPECT_EQ(CounterValue(metrics_registry_, "freehold_segments_committed_degraded_total"), 0);
  int missing = -1;
  ASSERT_OK(writer_->CommitSegment(owner, {b.object_id, 0, receipts}, &missing));
  EXPECT_EQ(missing, 1);
  EXPECT_EQ(CounterValue(metrics_registry_, "freehold_segments_committed_degraded_total"), 1);
  // Committing again is OK and counts nothing more.
  ASSERT_OK(writer_->CommitSegment(owner, {b.object_id, 0, receipts}, &missing));
  EXPECT_EQ(missing, 0);
  EXPECT_EQ(CounterValue(metrics_registry_, "freehold_segments_committed_degraded_total"), 1);
  ASSERT_OK(writer_->CommitObject(owner, b.object_id, 1).status());

  std::optional<SegmentRecord> segment;
  ASSERT_OK(store_->Read([&](MetadataTxn& txn) -> absl::Status {
    FH_ASSIGN_OR_RETURN(segment, txn.segments().Get(b.object_id, 0));
    return absl::OkStatus();
  }));
  ASSERT_TRUE(segment.has_value());
  EXPECT_TRUE(segment->committed);
  for (const ShardRecord& shard : segment->shards) {
    EXPECT_EQ(shard.state, shard.index == 2 ? ShardState::kMissing : ShardState::kHealthy)
        << "shard " << shard.index;
    EXPECT_EQ(shard.node_id, b.targets.shards[shard.index].node_id);
  }
  // The object reads (five shards with grants; the missing one without).
  ASSERT_OK_AND_ASSIGN(ObjectManifest m, catalog_->Get(&owner, b.object_id));
  ASSERT_EQ(m.segments.size(), 1u);
  int with_grant = 0;
  for (const ShardLocation& l : m.segments[0].shards) with_grant += l.grant.empty() ? 0 : 1;
  EXPECT_EQ(with_grant, 5);
  // The repair plan has it at once, with margin 1 (5 healthy - k).
  ASSERT_OK_AND_ASSIGN(RepairPlan plan, monitor_->Plan());
  ASSERT_EQ(plan.repairable.size(), 1u);
  EXPECT_EQ(plan.repairable[0].segment.object_id, b.object_id);
  EXPECT_EQ(plan.repairable[0].margin, 1);
  EXPECT_EQ(plan.repairable[0].missing_shards, 1);
}

TEST_F(UploadTest, DegradedCommitMinimumIsConfigurable) {
  config_.commit_min_shards = 6;  // all k+m: no degraded commits
  Wire();
  AddNodes(6);
  Caller owner = NewAccount();
  ASSERT_OK_AND_ASSIGN(Begun b, BeginFirstSegment(owner, 1000));
  EXPECT_EQ(b.targets.min_shards_to_commit, 6);
  std::vector<std::string> receipts =
      ReceiptsFor(b.targets, b.input.shard_size_bytes, b.input.shard_sha256);
  receipts.erase(receipts.begin() + 5);
  EXPECT_THAT(writer_->CommitSegment(owner, {b.object_id, 0, receipts}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("receipts for 5 of 6 shards; at least 6")));
  // Out of range minimums are refused at start.
  CoordinatorConfig c;
  c.commit_min_shards = 4;  // k: no margin at all
  EXPECT_THAT(c.Validate(false), StatusIs(absl::StatusCode::kInvalidArgument,
                                          HasSubstr("--commit-min-shards")));
  c.commit_min_shards = 7;
  EXPECT_THAT(c.Validate(false), StatusIs(absl::StatusCode::kInvalidArgument));
  c.commit_min_shards = 5;
  EXPECT_OK(c.Validate(false));
}

TEST_F(UploadTest, CommitRefusesHashOrSizeDifferentFromTheOneBegun) {
  AddNodes(6);
  Caller owner = NewAccount();
  ASSERT_OK_AND_ASSIGN(Begun b, BeginFirstSegment(owner, 1000));
  std::vector<std::string> receipts =
      ReceiptsFor(b.targets, b.input.shard_size_bytes, b.input.shard_sha256);
  const ShardTarget& t1 = b.targets.shards[1];
  std::vector<std::string> bad = receipts;
  bad[1] =
      Receipt(NodeById(t1.node_id), t1.shard_key, b.input.shard_size_bytes, std::string(32, 'z'));
  EXPECT_THAT(writer_->CommitSegment(owner, {b.object_id, 0, bad}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("SHA-256")));
  bad[1] = Receipt(NodeById(t1.node_id), t1.shard_key, b.input.shard_size_bytes + 1,
                   b.input.shard_sha256[1]);
  EXPECT_THAT(writer_->CommitSegment(owner, {b.object_id, 0, bad}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bytes")));
  ASSERT_OK(writer_->CommitSegment(owner, {b.object_id, 0, receipts}));
  ASSERT_OK(writer_->CommitSegment(owner, {b.object_id, 0, receipts}));  // idempotent
}

TEST_F(UploadTest, BeginAgainIsIdempotentButSegmentBytesCannotChange) {
  AddNodes(6);
  Caller owner = NewAccount();
  ASSERT_OK_AND_ASSIGN(Begun b, BeginFirstSegment(owner, 1000));
  ASSERT_OK_AND_ASSIGN(SegmentTargets again, writer_->BeginSegment(owner, b.input));
  for (size_t i = 0; i < again.shards.size(); ++i) {
    EXPECT_EQ(again.shards[i].node_id, b.targets.shards[i].node_id);
  }
  BeginSegmentInput changed = b.input;
  changed.shard_sha256[0][5] ^= 1;
  EXPECT_THAT(writer_->BeginSegment(owner, changed),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(UploadTest, ReplacesFailedTargetInAnUnusedDomainAndRecordsIt) {
  AddNodes(8);
  Caller owner = NewAccount();
  ASSERT_OK_AND_ASSIGN(Begun b, BeginFirstSegment(owner, 1000));
  const std::string failed = b.targets.shards[3].node_id;
  ASSERT_OK_AND_ASSIGN(ShardTarget replacement,
                       writer_->ReplaceShardTarget(owner, {b.object_id, 0, 3, failed}));
  EXPECT_EQ(replacement.index, 3);
  EXPECT_NE(replacement.node_id, failed);
  std::set<std::string> hosts;
  for (const ShardTarget& t : b.targets.shards) {
    if (t.index != 3) hosts.insert(NodeById(t.node_id).domain.host);
  }
  EXPECT_FALSE(hosts.count(NodeById(replacement.node_id).domain.host));
  // The shard is no longer on the failed node.
  EXPECT_THAT(writer_->ReplaceShardTarget(owner, {b.object_id, 0, 3, failed}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  // A receipt from the failed node no longer counts: its copy is queued for deletion.
  // With the other five the segment commits degraded (shard 3 MISSING, for repair).
  b.targets.shards[3] = replacement;
  std::vector<std::string> stale =
      ReceiptsFor(b.targets, b.input.shard_size_bytes, b.input.shard_sha256);
  stale[3] = Receipt(NodeById(failed), replacement.shard_key, b.input.shard_size_bytes,
                     b.input.shard_sha256[3]);
  int missing = -1;
  ASSERT_OK(writer_->CommitSegment(owner, {b.object_id, 0, stale}, &missing));
  EXPECT_EQ(missing, 1);
  ASSERT_OK(store_->Read([&](MetadataTxn& txn) -> absl::Status {
    FH_ASSIGN_OR_RETURN(std::optional<SegmentRecord> seg, txn.segments().Get(b.object_id, 0));
    if (!seg.has_value() || seg->shards[3].state != ShardState::kMissing ||
        seg->shards[3].node_id != replacement.node_id) {
      return absl::InternalError("shard 3 is not MISSING on its new node");
    }
    return absl::OkStatus();
  }));
  // Whatever the failed node stored is queued for deletion after the grant expired.
  int64_t queued = 0;
  ASSERT_OK(store_->Read([&](MetadataTxn& txn) -> absl::Status {
    auto due = txn.deletions().Due(clock_.Now() + absl::Hours(1), 10);
    if (!due.ok()) return due.status();
    queued = static_cast<int64_t>(due->size());
    if (queued == 1 &&
        ((*due)[0].node_id != failed || (*due)[0].shard_key != replacement.shard_key)) {
      return absl::InternalError("wrong deletion queued");
    }
    return absl::OkStatus();
  }));
  EXPECT_EQ(queued, 1);
}

TEST_F(UploadTest, AnotherAccountCannotListReadChangeOrDelete) {
  AddNodes(6);
  Caller owner = NewAccount();
  Caller stranger = NewAccount();
  ASSERT_OK_AND_ASSIGN(std::string id, UploadObject(owner, 5000));
  ASSERT_OK_AND_ASSIGN(ObjectPage page, catalog_->List(stranger, 0, ""));
  EXPECT_TRUE(page.objects.empty());
  // Another account's object answers exactly like an id that does not exist: the
  // stranger learns nothing about its existence.
  const std::string missing = NewUuid();
  auto same_as_missing = [&](const absl::Status& got, const absl::Status& for_missing) {
    EXPECT_EQ(got.code(), absl::StatusCode::kNotFound) << got;
    EXPECT_EQ(for_missing.code(), absl::StatusCode::kNotFound) << for_missing;
    std::string expected(for_missing.message());
    absl::StrReplaceAll({{missing, id}}, &expected);
    EXPECT_EQ(std::string(got.message()), expected);
  };
  same_as_missing(catalog_->Get(&stranger, id).status(), catalog_->Get(&stranger, missing).status());
  same_as_missing(catalog_->Get(nullptr, id).status(), catalog_->Get(nullptr, missing).status());
  same_as_missing(catalog_->Delete(stranger, id), catalog_->Delete(stranger, missing));
  same_as_missing(catalog_->UpdateHeader(stranger, id, "h2", {stranger.account_id}).status(),
                  catalog_->UpdateHeader(stranger, missing, "h2", {stranger.account_id}).status());
  same_as_missing(catalog_->SetPublicLink(stranger, id, true, "h3").status(),
                  catalog_->SetPublicLink(stranger, missing, true, "h3").status());
  same_as_missing(catalog_->UpdateMetadata(stranger, id, "m", ""),
                  catalog_->UpdateMetadata(stranger, missing, "m", ""));
  ASSERT_OK_AND_ASSIGN(Begun b, BeginFirstSegment(owner, 1000));
  BeginSegmentInput for_missing = b.input;
  for_missing.object_id = missing;
  {
    absl::Status got = writer_->BeginSegment(stranger, b.input).status();
    absl::Status want = writer_->BeginSegment(stranger, for_missing).status();
    std::string expected(want.message());
    absl::StrReplaceAll({{missing, b.object_id}}, &expected);
    EXPECT_EQ(got.code(), absl::StatusCode::kNotFound) << got;
    EXPECT_EQ(std::string(got.message()), expected);
  }
  {
    absl::Status got = writer_->CommitObject(stranger, b.object_id, 1).status();
    absl::Status want = writer_->CommitObject(stranger, missing, 1).status();
    std::string expected(want.message());
    absl::StrReplaceAll({{missing, b.object_id}}, &expected);
    EXPECT_EQ(got.code(), absl::StatusCode::kNotFound) << got;
    EXPECT_EQ(std::string(got.message()), expected);
  }
  EXPECT_THAT(catalog_->Get(&owner, missing), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(catalog_->Delete(owner, missing), StatusIs(absl::StatusCode::kNotFound));
  // The owner still sees an unchanged object.
  ASSERT_OK_AND_ASSIGN(ObjectManifest m, catalog_->Get(&owner, id));
  EXPECT_EQ(m.age_header, "age-header");
  EXPECT_FALSE(m.object.public_link);
}

TEST_F(UploadTest, SharingLetsTheRecipientReadButNotChange) {
  AddNodes(6);
  Caller owner = NewAccount();
  Caller friend_ = NewAccount();
  ASSERT_OK_AND_ASSIGN(std::string id, UploadObject(owner, 5000));
  ASSERT_OK(catalog_->UpdateHeader(owner, id, "header-with-friend", {friend_.account_id}));
  ASSERT_OK_AND_ASSIGN(ObjectManifest m, catalog_->Get(&friend_, id));
  EXPECT_EQ(m.age_header, "header-with-friend");
  EXPECT_TRUE(m.object.shared_with_me);
  ASSERT_OK_AND_ASSIGN(ObjectPage page, catalog_->List(friend_, 0, ""));
  ASSERT_EQ(page.objects.size(), 1u);
  EXPECT_TRUE(page.objects[0].shared_with_me);
  EXPECT_EQ(page.objects[0].owner_account_id, owner.account_id);
  EXPECT_THAT(catalog_->Delete(friend_, id), StatusIs(absl::StatusCode::kPermissionDenied));
  // Unsharing: an empty list.
  ASSERT_OK(catalog_->UpdateHeader(owner, id, "header-alone", {}));
  EXPECT_THAT(catalog_->Get(&friend_, id), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(catalog_->UpdateHeader(owner, id, "h", {"nope"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("share_with_account_ids[0]")));
}

// Issue 21: the share record and share list live with the header, for the owner
// only, and every change is a compare-and-swap on the header version.
TEST_F(UploadTest, HeaderChangesAreCheckedByVersionAndTheOwnerSeesTheShareList) {
  AddNodes(6);
  Caller owner = NewAccount();
  Caller bob = NewAccount();
  Caller carol = NewAccount();
  ASSERT_OK_AND_ASSIGN(std::string id, UploadObject(owner, 5000));
  ASSERT_OK_AND_ASSIGN(ObjectManifest m0, catalog_->Get(&owner, id));
  const uint64_t v0 = m0.header_version;
  EXPECT_GE(v0, 1u);
  EXPECT_TRUE(m0.share_record.empty());
  EXPECT_TRUE(m0.shared_with.empty());

  // Two devices read v0; the first write wins, the second is ABORTED (not lost).
  ASSERT_OK_AND_ASSIGN(uint64_t v1, catalog_->UpdateHeader(owner, id, "h-bob",
                                                           {bob.account_id}, "record-bob", v0));
  EXPECT_EQ(v1, v0 + 1);
  EXPECT_THAT(catalog_->UpdateHeader(owner, id, "h-carol", {carol.account_id}, "record-carol", v0),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("changed since it was read")));
  EXPECT_THAT(catalog_->SetPublicLink(owner, id, true, "h-link", "record-link", v0),
              StatusIs(absl::StatusCode::kAborted));
  ASSERT_OK_AND_ASSIGN(ObjectManifest m1, catalog_->Get(&owner, id));
  EXPECT_EQ(m1.header_version, v1);
  EXPECT_EQ(m1.age_header, "h-bob");
  EXPECT_EQ(m1.share_record, "record-bob");
  EXPECT_THAT(m1.shared_with, ::testing::ElementsAre(bob.account_id));
  EXPECT_FALSE(m1.object.public_link);
  // The second device reads again and writes on top.
  ASSERT_OK_AND_ASSIGN(uint64_t v2,
                       catalog_->UpdateHeader(owner, id, "h-both",
                                              {bob.account_id, carol.account_id}, "record-both", v1));
  ASSERT_OK_AND_ASSIGN(uint64_t v3, catalog_->SetPublicLink(owner, id, true, "h-link", "rec-l", v2));
  EXPECT_EQ(v3, v2 + 1);
  // Disabling without a header keeps the header and record.
  ASSERT_OK_AND_ASSIGN(uint64_t v4, catalog_->SetPublicLink(owner, id, false, "", "", v3));
  ASSERT_OK_AND_ASSIGN(ObjectManifest m4, catalog_->Get(&owner, id));
  EXPECT_EQ(m4.header_version, v4);
  EXPECT_EQ(m4.age_header, "h-link");
  EXPECT_EQ(m4.share_record, "rec-l");
  // A reader sees neither the record, the list nor the version.
  ASSERT_OK_AND_ASSIGN(ObjectManifest as_bob, catalog_->Get(&bob, id));
  EXPECT_TRUE(as_bob.share_record.empty());
  EXPECT_TRUE(as_bob.shared_with.empty());
  EXPECT_EQ(as_bob.header_version, 0u);
  // A reader cannot change anything; oversized records are refused.
  EXPECT_THAT(catalog_->UpdateHeader(bob, id, "h", {}, "", 0),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(catalog_->UpdateMetadata(bob, id, "m", m4.object.encrypted_metadata),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(catalog_->UpdateHeader(owner, id, "h", {}, std::string(70 * 1024, 'r'), 0),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("share_record")));

  // Metadata replacement: compare-and-swap on the old blob.
  const std::string old_meta = m4.object.encrypted_metadata;
  EXPECT_THAT(catalog_->UpdateMetadata(owner, id, "new-meta", "not-the-old-one"),
              StatusIs(absl::StatusCode::kAborted));
  EXPECT_THAT(catalog_->UpdateMetadata(owner, id, "", old_meta),
              StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_OK(catalog_->UpdateMetadata(owner, id, "new-meta", old_meta));
  ASSERT_OK_AND_ASSIGN(ObjectManifest m5, catalog_->Get(&owner, id));
  EXPECT_EQ(m5.object.encrypted_metadata, "new-meta");
  EXPECT_EQ(m5.header_version, v4 + 1);
}

TEST_F(UploadTest, PublicLinkMakesObjectReadableWithoutToken) {
  AddNodes(6);
  Caller owner = NewAccount();
  ASSERT_OK_AND_ASSIGN(std::string id, UploadObject(owner, 5000));
  EXPECT_THAT(catalog_->SetPublicLink(owner, id, true, ""),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("age_header")));
  ASSERT_OK(catalog_->SetPublicLink(owner, id, true, "header-with-link"));
  ASSERT_OK_AND_ASSIGN(ObjectManifest m, catalog_->Get(nullptr, id));
  EXPECT_EQ(m.age_header, "header-with-link");
  EXPECT_TRUE(m.object.public_link);
  ASSERT_OK(catalog_->SetPublicLink(owner, id, false, ""));
  // Without the link the object is, to anyone but its readers, an id that does not exist.
  EXPECT_THAT(catalog_->Get(nullptr, id), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(UploadTest, ListingPagesThroughOwnedObjects) {
  AddNodes(6);
  Caller owner = NewAccount();
  std::set<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    ASSERT_OK_AND_ASSIGN(std::string id, UploadObject(owner, 100));
    ids.insert(id);
  }
  std::set<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    ASSERT_OK_AND_ASSIGN(ObjectPage page, catalog_->List(owner, 2, token));
    EXPECT_LE(page.objects.size(), 2u);
    for (const ObjectSummary& s : page.objects) seen.insert(s.object_id);
    token = page.next_page_token;
  } while (!token.empty() && ++pages < 10);
  EXPECT_EQ(seen, ids);
  EXPECT_THAT(catalog_->List(owner, 2, "garbage"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("page.page_token")));
}

TEST_F(UploadTest, ValidatesCreateObjectInput) {
  Caller owner = NewAccount();
  EXPECT_THAT(writer_->CreateObject(owner, {"m", "", 10}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("age_header")));
  EXPECT_THAT(writer_->CreateObject(owner, {std::string(65 << 10, 'm'), "h", 10}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("encrypted_metadata")));
  EXPECT_THAT(writer_->CreateObject(owner, {"m", "h", (uint64_t{1} << 40) + 1}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("size_bytes")));
  EXPECT_THAT(writer_->BeginSegment(owner, BeginSegmentInput{"x", 0, 1, 1, {}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("object_id")));
  // A client-chosen id (so the metadata can be bound to it): used as given,
  // canonicalized; taken or malformed ids are refused.
  const std::string chosen = NewUuid();
  ASSERT_OK_AND_ASSIGN(CreatedObject c, writer_->CreateObject(owner, {"m", "h", 10, "", chosen}));
  EXPECT_EQ(c.object_id, chosen);
  EXPECT_THAT(writer_->CreateObject(owner, {"m", "h", 10, "", chosen}),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("taken")));
  EXPECT_THAT(writer_->CreateObject(NewAccount(), {"m", "h", 10, "", chosen}),
              StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(writer_->CreateObject(owner, {"m", "h", 10, "", "not-an-id"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("object_id")));
}

TEST_F(UploadTest, EmptyPayloadCommitsWithZeroSegments) {
  Caller owner = NewAccount();
  ASSERT_OK_AND_ASSIGN(std::string id, UploadObject(owner, 0));
  ASSERT_OK_AND_ASSIGN(ObjectManifest m, catalog_->Get(&owner, id));
  EXPECT_TRUE(m.segments.empty());
}

}  // namespace
}  // namespace freehold::coordinator::testing
