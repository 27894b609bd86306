// Unit tests of coordinator_core rules that need no database: ids and shard
// keys, segment layout, node liveness with an injected clock, repair
// planning, key files, access tokens, flags and configuration.
#include <gtest/gtest.h>

#include <CLI/CLI.hpp>

#include <map>
#include <optional>

#include "absl/strings/ascii.h"
#include "common/clock.h"
#include "common/signed_token.h"
#include "coordinator/core/access.h"
#include "coordinator/core/config.h"
#include "coordinator/core/flags.h"
#include "coordinator/core/ids.h"
#include "coordinator/core/internal/key_files.h"
#include "coordinator/core/manifest_rules.h"
#include "coordinator/core/node_registry.h"
#include "coordinator/core/placement_snapshots.h"
#include "coordinator/core/repair_planner.h"
#include "tests/support/status_matchers.h"

namespace freehold::coordinator {
namespace {

using ::freehold::testing::StatusIs;
using ::testing::HasSubstr;

TEST(Ids, ShardKeyRoundTripsAndUsesOnlyAllowedCharacters) {
  const std::string id = NewUuid();
  const std::string key = ShardKey(id, 12, 5);
  EXPECT_EQ(key.size(), 32u + 1 + 2 + 1 + 1);
  for (char c : key) EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c == '-');
  ASSERT_OK_AND_ASSIGN(ParsedShardKey parsed, ParseShardKey(key));
  EXPECT_EQ(parsed.object_id, id);
  EXPECT_EQ(parsed.segment, 12);
  EXPECT_EQ(parsed.index, 5);
}

TEST(Ids, RejectsMalformedShardKeysAndUuids) {
  EXPECT_FALSE(ParseShardKey("abc-1-2").ok());
  EXPECT_FALSE(ParseShardKey(std::string(32, 'a') + "-01-2").ok());
  EXPECT_FALSE(ParseShardKey(std::string(32, 'g') + "-1-2").ok());
  EXPECT_FALSE(ParseShardKey(std::string(32, 'a') + "-1-2-3").ok());
  EXPECT_THAT(CanonicalUuid("", "object_id"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("object_id is required")));
  EXPECT_THAT(CanonicalUuid("not-a-uuid", "object_id"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("object_id")));
  ASSERT_OK_AND_ASSIGN(std::string c, CanonicalUuid("0123456789ABCDEF0123456789abcdef", "x"));
  EXPECT_EQ(c, "01234567-89ab-cdef-0123-456789abcdef");
}

TEST(ManifestRules, SegmentsCoverThePayloadWithAShorterLastOne) {
  EXPECT_EQ(SegmentCount(0, 100), 0u);
  EXPECT_EQ(SegmentCount(100, 100), 1u);
  EXPECT_EQ(SegmentCount(101, 100), 2u);
  EXPECT_EQ(SegmentPayloadSize(250, 100, 2), 50u);
  EXPECT_EQ(SegmentPayloadSize(250, 100, 1), 100u);
}

TEST(ManifestRules, ChecksSegmentSizesAndHashes) {
  std::vector<std::string> hashes(6, std::string(32, 'h'));
  EXPECT_OK(CheckSegmentLayout(250, 100, 4, 2, 2, 50, 13, hashes));
  EXPECT_THAT(CheckSegmentLayout(250, 100, 4, 2, 3, 50, 13, hashes),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("out of range")));
  EXPECT_THAT(CheckSegmentLayout(250, 100, 4, 2, 0, 50, 13, hashes),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("segment_size_bytes")));
  EXPECT_THAT(CheckSegmentLayout(250, 100, 4, 2, 2, 50, 12, hashes),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("shard_size_bytes")));
  hashes[3] = "short";
  EXPECT_THAT(CheckSegmentLayout(250, 100, 4, 2, 2, 50, 13, hashes),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("shard_sha256[3]")));
  hashes.pop_back();
  EXPECT_THAT(CheckSegmentLayout(250, 100, 4, 2, 2, 50, 13, hashes),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("6 hashes")));
}

TEST(NodeLiveness, UpNodeTurnsDownOnlyAfterMissingHeartbeatsForTheConfiguredTime) {
  FakeClock clock;
  Node node;
  node.state = NodeState::kUp;
  node.last_heartbeat = clock.Now();
  const absl::Duration down_after = absl::Seconds(30);
  clock.Advance(absl::Seconds(29));
  EXPECT_EQ(EffectiveState(node, clock.Now(), down_after), NodeState::kUp);
  clock.Advance(absl::Seconds(1));
  EXPECT_EQ(EffectiveState(node, clock.Now(), down_after), NodeState::kUp);
  clock.Advance(absl::Milliseconds(1));
  EXPECT_EQ(EffectiveState(node, clock.Now(), down_after), NodeState::kDown);
  // A fresh heartbeat brings it back.
  node.last_heartbeat = clock.Now();
  EXPECT_EQ(EffectiveState(node, clock.Now(), down_after), NodeState::kUp);
}

TEST(NodeLiveness, DrainingAndRetiredNodesKeepTheirState) {
  FakeClock clock;
  Node node;
  node.last_heartbeat = clock.Now();
  clock.Advance(absl::Hours(1));
  node.state = NodeState::kDraining;
  EXPECT_EQ(EffectiveState(node, clock.Now(), absl::Seconds(30)), NodeState::kDraining);
  node.state = NodeState::kRetired;
  EXPECT_EQ(EffectiveState(node, clock.Now(), absl::Seconds(30)), NodeState::kRetired);
}

SegmentHealth Health(const std::string& id, int healthy) {
  return SegmentHealth{id, 0, 4, 2, healthy};
}

TEST(RepairPlanner, OrdersMostEndangeredFirstAndReportsLostSegments) {
  RepairPlan plan =
      PlanRepairs({Health("a", 5), Health("b", 4), Health("c", 3), Health("d", 6), Health("e", 4)});
  ASSERT_EQ(plan.repairable.size(), 3u);
  EXPECT_EQ(plan.repairable[0].segment.object_id, "b");
  EXPECT_EQ(plan.repairable[0].margin, 0);
  EXPECT_EQ(plan.repairable[0].missing_shards, 2);
  EXPECT_EQ(plan.repairable[1].segment.object_id, "e");
  EXPECT_EQ(plan.repairable[2].segment.object_id, "a");
  ASSERT_EQ(plan.lost.size(), 1u);
  EXPECT_EQ(plan.lost[0].object_id, "c");
}

TEST(RepairPlanner, DownIsNotLost) {
  // 3 of 6 healthy on up nodes, but 5 exist counting nodes that are down: unavailable.
  SegmentHealth down = Health("u", 3);
  down.existing_shards = 5;
  SegmentHealth gone = Health("g", 3);
  gone.existing_shards = 3;
  RepairPlan plan = PlanRepairs({down, gone});
  EXPECT_TRUE(plan.repairable.empty());
  ASSERT_EQ(plan.unavailable.size(), 1u);
  EXPECT_EQ(plan.unavailable[0].object_id, "u");
  ASSERT_EQ(plan.lost.size(), 1u);
  EXPECT_EQ(plan.lost[0].object_id, "g");
}

TEST(KeyFiles, ParsesSharedFormatAndSignedTokenFormat) {
  ASSERT_OK_AND_ASSIGN(SigningKey a, GenerateSigningKey("key-a"));
  ASSERT_OK_AND_ASSIGN(SigningKey b, GenerateSigningKey("key-b"));
  const std::string text = "# accounts keys\n" + internal::FormatPublicKeyLine(a.Public()) +
                           "\n\n" + FormatPublicKey(b.Public()) + "\n";
  ASSERT_OK_AND_ASSIGN(std::vector<PublicKey> keys, internal::ParsePublicKeysText(text, "f"));
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0].key_id, "key-a");
  EXPECT_EQ(keys[0].key, a.public_key);
  EXPECT_EQ(keys[1].key_id, "key-b");
  EXPECT_THAT(internal::ParsePublicKeysText("ed25519 k notbase64!!\n", "f"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("f line 1")));
  EXPECT_THAT(internal::ParsePublicKeysText("\n# nothing\n", "f"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no key")));
}

class AccessTokens : public ::testing::Test {
 protected:
  void SetUp() override {
    auto key = GenerateSigningKey("accounts-1");
    ASSERT_TRUE(key.ok());
    signer_ = std::make_unique<TokenSigner>(*key);
    verifier_ =
        std::make_unique<AccessTokenVerifier>(std::vector<PublicKey>{key->Public()}, clock_);
  }
  std::string Token(const std::string& subject, std::vector<std::string> scopes = {"storage"},
                    absl::Duration ttl = absl::Minutes(15), std::string audience = "freehold") {
    TokenClaims claims;
    claims.audience = audience;
    claims.subject = subject;
    claims.issued_at = clock_.Now();
    claims.expires_at = clock_.Now() + ttl;
    claims.scopes = std::move(scopes);
    return "Bearer " + SignClaims(*signer_, claims);
  }
  FakeClock clock_;
  std::unique_ptr<TokenSigner> signer_;
  std::unique_ptr<AccessTokenVerifier> verifier_;
};

TEST_F(AccessTokens, AcceptsAValidStorageToken) {
  const std::string account = NewUuid();
  ASSERT_OK_AND_ASSIGN(Caller caller, verifier_->Authenticate(Token(account)));
  EXPECT_EQ(caller.account_id, account);
  EXPECT_FALSE(caller.IsOperator());
}

TEST_F(AccessTokens, RejectsMissingExpiredForgedAndWrongAudienceTokens) {
  EXPECT_THAT(verifier_->Authenticate(""), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(verifier_->Authenticate("Basic abc"), StatusIs(absl::StatusCode::kUnauthenticated));
  const std::string expired = Token(NewUuid(), {"storage"}, absl::Minutes(1));
  clock_.Advance(absl::Minutes(5));
  EXPECT_THAT(verifier_->Authenticate(expired),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("expired")));
  EXPECT_THAT(verifier_->Authenticate(Token(NewUuid(), {"storage"}, absl::Minutes(1), "other")),
              StatusIs(absl::StatusCode::kUnauthenticated));
  ASSERT_OK_AND_ASSIGN(SigningKey forger, GenerateSigningKey("accounts-1"));
  TokenClaims claims;
  claims.audience = "freehold";
  claims.subject = NewUuid();
  claims.issued_at = clock_.Now();
  claims.expires_at = clock_.Now() + absl::Minutes(5);
  claims.scopes = {"storage"};
  EXPECT_THAT(verifier_->Authenticate("Bearer " + SignClaims(TokenSigner(forger), claims)),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(verifier_->Authenticate(Token("not-a-uuid")),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(verifier_->Authenticate(Token(NewUuid(), {"profile"})),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(AccessTokens, OperatorCallsNeedTheRoleCoordinatorOperator) {
  EXPECT_THAT(verifier_->AuthenticateOperator(Token(NewUuid())),
              StatusIs(absl::StatusCode::kPermissionDenied));
  // The role accounts issues (issue 22): coordinator:operator; another role is not it.
  ASSERT_OK_AND_ASSIGN(Caller op, verifier_->AuthenticateOperator(Token(
                                      NewUuid(), {"accounts", "storage", "coordinator:operator"})));
  EXPECT_TRUE(op.IsOperator());
  EXPECT_THAT(verifier_->AuthenticateOperator(
                  Token(NewUuid(), {"accounts", "storage", "donations:admin"})),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       ::testing::HasSubstr("coordinator:operator")));
  // The old "admin" scope no longer makes an operator (no component issues it).
  EXPECT_THAT(verifier_->AuthenticateOperator(Token(NewUuid(), {"admin"})),
              StatusIs(absl::StatusCode::kPermissionDenied));
  // No shared secret: a bearer value that is not a signed token is refused, and so is
  // no token at all.
  EXPECT_THAT(verifier_->AuthenticateOperator("Bearer s3cret-operator"),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(verifier_->AuthenticateOperator(""),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

// A feed standing in for Accounts.ListRevokedSessions (an in-memory record).
class RecordedRevocations : public RevokedSessionsFeed {
 public:
  void End(const std::string& session_id, absl::Time tokens_expire_by) {
    events_.push_back({static_cast<int64_t>(events_.size()) + 1, session_id, tokens_expire_by});
  }
  absl::StatusOr<std::vector<RevokedSessionEvent>> List(int64_t after, int limit) override {
    if (fail_) return absl::UnavailableError("accounts down");
    std::vector<RevokedSessionEvent> out;
    for (const RevokedSessionEvent& e : events_) {
      if (e.sequence > after && static_cast<int>(out.size()) < limit) out.push_back(e);
    }
    return out;
  }
  std::vector<RevokedSessionEvent> events_;
  bool fail_ = false;
};

TEST_F(AccessTokens, TokensOfEndedSessionsAreRefusedUntilTheyCouldHaveExpired) {
  const std::string ended_session = NewUuid();
  const std::string live_session = NewUuid();
  auto token = [&](const std::string& session) {
    TokenClaims claims;
    claims.audience = "freehold";
    claims.subject = NewUuid();
    claims.issued_at = clock_.Now();
    claims.expires_at = clock_.Now() + absl::Minutes(15);
    claims.scopes = {"storage"};
    claims.extra = session;
    return "Bearer " + SignClaims(*signer_, claims);
  };
  const std::string ended = token(ended_session);
  const std::string live = token(live_session);
  SessionDenyList list;
  verifier_->SetSessionDenyList(&list);
  RecordedRevocations feed;
  SessionRevocationPoller poller(feed, list, clock_);
  ASSERT_OK(poller.PollOnce());
  EXPECT_OK(verifier_->Authenticate(ended).status());

  feed.End(ended_session, clock_.Now() + absl::Minutes(15));
  ASSERT_OK(poller.PollOnce());
  EXPECT_EQ(poller.cursor(), 1);
  EXPECT_THAT(verifier_->Authenticate(ended),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("session ended")));
  EXPECT_OK(verifier_->Authenticate(live).status());
  // Upper-case spelling of the same id: still the same session.
  EXPECT_TRUE(list.Contains(absl::AsciiStrToUpper(ended_session), clock_.Now()));

  // Accounts unreachable: the list keeps what it has.
  feed.fail_ = true;
  EXPECT_THAT(poller.PollOnce(), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(verifier_->Authenticate(ended), StatusIs(absl::StatusCode::kUnauthenticated));
  feed.fail_ = false;

  // Kept until every token of the session has expired (plus the skew), then pruned.
  clock_.Advance(absl::Minutes(15));
  ASSERT_OK(poller.PollOnce());
  EXPECT_EQ(list.size(), 1u);
  clock_.Advance(absl::Minutes(1));
  ASSERT_OK(poller.PollOnce());
  EXPECT_EQ(list.size(), 0u);

  // Many ended sessions: read page by page.
  for (int i = 0; i < SessionRevocationPoller::kPageSize * 2 + 3; ++i) {
    feed.End(NewUuid(), clock_.Now() + absl::Minutes(15));
  }
  ASSERT_OK(poller.PollOnce());
  EXPECT_EQ(poller.cursor(), static_cast<int64_t>(feed.events_.size()));
  EXPECT_EQ(list.size(), static_cast<size_t>(SessionRevocationPoller::kPageSize * 2 + 3));
}

TEST(ObjectRules, OwnerSharedAndPublicReadersOnly) {
  ObjectRecord o;
  o.owner_account_id = "owner";
  o.state = ObjectState::kCommitted;
  Caller owner{"owner", {}};
  Caller other{"other", {}};
  EXPECT_TRUE(MayRead(o, &owner, false));
  EXPECT_FALSE(MayRead(o, &other, false));
  EXPECT_TRUE(MayRead(o, &other, true));
  EXPECT_FALSE(MayRead(o, nullptr, false));
  o.public_link = true;
  EXPECT_TRUE(MayRead(o, nullptr, false));
  o.state = ObjectState::kUploading;
  EXPECT_FALSE(MayRead(o, nullptr, false));
  EXPECT_FALSE(MayRead(o, &other, true));
}

TEST(Config, ValidationNamesTheBadFlag) {
  CoordinatorConfig c;
  EXPECT_THAT(c.Validate(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--database-url")));
  EXPECT_OK(c.Validate(false));
  c.failure_domain = "rack";
  EXPECT_THAT(c.Validate(false),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--failure-domain")));
  c.failure_domain = "zone";
  c.data_shards = 0;
  EXPECT_THAT(c.Validate(false),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--data-shards")));
  c.data_shards = 4;
  c.node_down_after = absl::Seconds(1);
  EXPECT_THAT(c.Validate(false),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--node-down-after")));
  c.node_down_after = absl::Seconds(30);
  c.revocation_poll_interval = absl::ZeroDuration();
  EXPECT_THAT(c.Validate(false), StatusIs(absl::StatusCode::kInvalidArgument,
                                          HasSubstr("--revocation-poll-interval")));
  c.revocation_poll_interval = absl::Minutes(5);
  EXPECT_THAT(c.Validate(false), StatusIs(absl::StatusCode::kInvalidArgument,
                                          HasSubstr("--revocation-poll-interval")));
}

// Issue 22: the shared operator secret is gone. An old command line that still passes
// --admin-token-file fails to parse, naming what replaced it.
TEST(Config, TheRemovedAdminTokenFileFlagIsRefusedNamingTheReplacement) {
  CLI::App app;
  CoordinatorConfig c;
  AddCoordinatorFlags(app, &c);
  try {
    app.parse("--failure-domain zone --admin-token-file /etc/freehold/admin-token", false);
    ADD_FAILURE() << "--admin-token-file was accepted";
  } catch (const CLI::ParseError& e) {
    EXPECT_THAT(std::string(e.what()), HasSubstr("--admin-token-file"));
    EXPECT_THAT(std::string(e.what()), HasSubstr("coordinator:operator"));
    EXPECT_THAT(std::string(e.what()), HasSubstr("operator certificate"));
  }
  // Hidden from --help.
  EXPECT_THAT(app.help(), ::testing::Not(HasSubstr("admin-token-file")));
  // The rest of a command line still parses.
  CLI::App ok;
  AddCoordinatorFlags(ok, &c);
  EXPECT_NO_THROW(ok.parse("--failure-domain zone", false));
  EXPECT_EQ(c.failure_domain, "zone");
}

TEST(NodeWeight, RampsLinearlyFromTheFloorToTheCapacity) {
  const NodeWeightRamp ramp{absl::Hours(24), 0.1};
  const uint64_t cap = 1000000;
  EXPECT_EQ(NodeWeight(cap, absl::ZeroDuration(), ramp), 100000u);  // the floor
  EXPECT_EQ(NodeWeight(cap, absl::Hours(1), ramp), 100000u);        // 1/24 < floor
  EXPECT_EQ(NodeWeight(cap, absl::Hours(12), ramp), 500000u);
  EXPECT_EQ(NodeWeight(cap, absl::Hours(18), ramp), 750000u);
  EXPECT_EQ(NodeWeight(cap, absl::Hours(24), ramp), cap);
  EXPECT_EQ(NodeWeight(cap, absl::Hours(240), ramp), cap);
  EXPECT_EQ(NodeWeight(cap, -absl::Hours(1), ramp), 100000u);  // clock skew
  // Rounded down to 1/100 steps so the cached map changes rarely.
  EXPECT_EQ(NodeWeight(cap, absl::Hours(12) + absl::Minutes(10), ramp), 500000u);
  // No ramp: full weight at once; a tiny capacity still weighs something.
  EXPECT_EQ(NodeWeight(cap, absl::ZeroDuration(), NodeWeightRamp{}), cap);
  EXPECT_EQ(NodeWeight(3, absl::ZeroDuration(), ramp), 1u);
  EXPECT_EQ(NodeWeight(0, absl::Hours(48), ramp), 0u);
}

Node PlacedNode(const std::string& id, std::optional<absl::Time> approved_at, absl::Time now) {
  Node n;
  n.node_id = id;
  n.address = "127.0.0.1:1";
  n.domain = FailureDomain{"r", "z", id};
  n.capacity_bytes = uint64_t{1} << 40;
  n.free_bytes = uint64_t{1} << 40;
  n.state = NodeState::kUp;
  n.last_heartbeat = now;
  n.approved_at = approved_at;
  return n;
}

TEST(NodeWeight, PlacementWeighsNewNodesLessAndSkipsUnapprovedOnes) {
  placement::PlacementPolicy policy;
  policy.data_shards = 1;
  policy.parity_shards = 0;
  policy.level = placement::FailureDomainLevel::kNode;
  PlacementSnapshots snapshots(policy, absl::Seconds(30), NodeWeightRamp{absl::Hours(24), 0.1});
  const absl::Time now = absl::FromUnixSeconds(1800000000);
  std::vector<Node> nodes = {PlacedNode("old", now - absl::Hours(48), now),
                             PlacedNode("new", now, now),
                             PlacedNode("unapproved", std::nullopt, now)};
  ASSERT_OK_AND_ASSIGN(std::shared_ptr<const placement::PlacementMap> map,
                       snapshots.For(nodes, now, 0));
  std::map<std::string, int> placed;
  for (int i = 0; i < 4000; ++i) {
    ASSERT_OK_AND_ASSIGN(std::vector<std::string> ids,
                         map->PlaceIds(SegmentKeyOf("0b7f3a52-0000-4000-8000-000000000001", i)));
    ASSERT_EQ(ids.size(), 1u);
    ++placed[ids[0]];
  }
  EXPECT_EQ(placed["unapproved"], 0);
  // Weights 1 : 0.1, so "new" gets about 1/11 of the segments.
  EXPECT_GT(placed["new"], 4000 / 11 / 2);
  EXPECT_LT(placed["new"], 4000 / 11 * 2);
  EXPECT_GT(placed["old"], placed["new"] * 5);

  // A day later (still heartbeating) both weigh their full capacity.
  for (Node& n : nodes) n.last_heartbeat = now + absl::Hours(24);
  ASSERT_OK_AND_ASSIGN(map, snapshots.For(nodes, now + absl::Hours(24), 0));
  placed.clear();
  for (int i = 0; i < 4000; ++i) {
    ASSERT_OK_AND_ASSIGN(std::vector<std::string> ids,
                         map->PlaceIds(SegmentKeyOf("0b7f3a52-0000-4000-8000-000000000001", i)));
    ++placed[ids[0]];
  }
  EXPECT_GT(placed["new"], 1500);
  EXPECT_GT(placed["old"], 1500);
}

TEST(NodeAdmission, RefusesUnknownRevokedAndOtherKeys) {
  const std::string key(32, 'k');
  EXPECT_EQ(AdmissionRefusal(std::nullopt, key), "unknown");
  NodeAdmission a{"n1", key, absl::UnixEpoch(), std::nullopt};
  EXPECT_EQ(AdmissionRefusal(a, key), "");
  EXPECT_EQ(AdmissionRefusal(a, std::string(32, 'x')), "key_mismatch");
  a.revoked_at = absl::UnixEpoch();
  EXPECT_EQ(AdmissionRefusal(a, key), "revoked");
  EXPECT_EQ(KeyFingerprint(key).size(), 7u + 32u);
}

}  // namespace
}  // namespace freehold::coordinator
