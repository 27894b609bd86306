// Node registry over real PostgreSQL with an injected clock: registration
// signatures, heartbeats, the up/down/draining/retired state machine and
// leader election.
#include <gtest/gtest.h>
#include <sodium.h>
#include <prometheus/registry.h>

#include <map>
#include <optional>
#include <set>

#include "coordinator/core/ids.h"
#include "tests/coordinator/coordinator_fixture.h"
#include "tests/support/status_matchers.h"

namespace freehold::coordinator::testing {
namespace {

using ::freehold::testing::StatusIs;
using ::testing::HasSubstr;

class RegistryTest : public CoordinatorPgTest {
 protected:
  double Refused(const std::string& call, const std::string& reason) {
    for (const prometheus::MetricFamily& f : metrics_registry_.Collect()) {
      if (f.name != "freehold_coordinator_node_registrations_refused_total") continue;
      for (const prometheus::ClientMetric& m : f.metric) {
        std::map<std::string, std::string> have;
        for (const auto& l : m.label) have[l.name] = l.value;
        if (have == std::map<std::string, std::string>{{"call", call}, {"reason", reason}}) {
          return m.counter.value;
        }
      }
    }
    return 0;
  }
};

TEST_F(RegistryTest, UnapprovedNodeIsRefusedCountedListedPendingAndNeverPlaced) {
  AddNodes(6);  // 4+2 on six hosts
  TestNode stranger = MakeNode("h-stranger", "z1", "r1", /*approve=*/false);
  EXPECT_THAT(Register(stranger),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("freehold-admin nodes approve " + stranger.id)));
  EXPECT_EQ(Refused("register", "unknown"), 1);
  EXPECT_THAT(Register(stranger), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_EQ(Refused("register", "unknown"), 2);
  EXPECT_THAT(Heartbeat(stranger), StatusIs(absl::StatusCode::kNotFound));

  ASSERT_OK_AND_ASSIGN(std::vector<RegistrationAttempt> pending, registry_->ListPending(100));
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].node_id, stranger.id);
  EXPECT_EQ(pending[0].public_key, PublicKeyOf(stranger));
  EXPECT_EQ(pending[0].domain.host, "h-stranger");
  EXPECT_EQ(pending[0].capacity_bytes, uint64_t{1} << 40);
  EXPECT_EQ(pending[0].reason, "unknown");
  EXPECT_EQ(pending[0].attempts, 2);

  // Not in the registry, so never a placement target.
  ASSERT_OK_AND_ASSIGN(std::vector<Node> nodes, registry_->List());
  EXPECT_EQ(nodes.size(), 6u);
  const Caller owner = NewAccount();
  for (int i = 0; i < 10; ++i) {
    ASSERT_OK_AND_ASSIGN(Begun b, BeginFirstSegment(owner, 1000));
    for (const ShardTarget& t : b.targets.shards) EXPECT_NE(t.node_id, stranger.id);
  }

  // Approval without a key takes the pending attempt's; the node then registers.
  ASSERT_OK(registry_->Approve(stranger.id, std::nullopt));
  ASSERT_OK(Register(stranger));
  ASSERT_OK_AND_ASSIGN(pending, registry_->ListPending(100));
  EXPECT_TRUE(pending.empty());
}

TEST_F(RegistryTest, ApprovalPinsTheKey) {
  TestNode node = MakeNode("h1", "z1", "r1", /*approve=*/false);
  // Nothing to take the key from.
  EXPECT_THAT(registry_->Approve(node.id, std::nullopt),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("--print-identity")));
  EXPECT_THAT(registry_->Approve(node.id, std::string("short")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("32 bytes")));
  ASSERT_OK(Approve(node));
  ASSERT_OK(Approve(node));  // idempotent
  TestNode impostor = node;
  impostor.key = *GenerateSigningKey(node.id);
  EXPECT_THAT(Approve(impostor),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("revoke it first")));
  EXPECT_THAT(Register(impostor),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("another key")));
  EXPECT_EQ(Refused("register", "key_mismatch"), 1);
  ASSERT_OK(Register(node));
}

TEST_F(RegistryTest, RevokedNodeIsRefusedAndLeavesPlacementAtOnce) {
  std::vector<TestNode> nodes = AddNodes(7);
  const TestNode& revoked = nodes[3];
  ASSERT_OK(registry_->Revoke(revoked.id));
  ASSERT_OK(registry_->Revoke(revoked.id));  // twice changes nothing
  EXPECT_THAT(registry_->Revoke(NewUuid()), StatusIs(absl::StatusCode::kNotFound));

  EXPECT_THAT(Heartbeat(revoked),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("revoked")));
  EXPECT_EQ(Refused("heartbeat", "revoked"), 1);
  EXPECT_THAT(Register(revoked), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_EQ(Refused("register", "revoked"), 1);
  EXPECT_THAT(registry_->SetState(revoked.id, NodeState::kUp),
              StatusIs(absl::StatusCode::kFailedPrecondition));

  ASSERT_OK_AND_ASSIGN(std::vector<Node> listed, registry_->List());
  for (const Node& n : listed) {
    if (n.node_id == revoked.id) {
      EXPECT_EQ(n.state, NodeState::kDown);  // repaired like a down node's shards
      EXPECT_FALSE(n.approved_at.has_value());
    } else {
      EXPECT_TRUE(n.approved_at.has_value());
    }
  }
  const Caller owner = NewAccount();
  for (int i = 0; i < 20; ++i) {
    ASSERT_OK_AND_ASSIGN(Begun b, BeginFirstSegment(owner, 1000));
    for (const ShardTarget& t : b.targets.shards) EXPECT_NE(t.node_id, revoked.id);
  }
  // Approved again, it comes back.
  ASSERT_OK(Approve(revoked));
  ASSERT_OK(Register(revoked));
}

TEST_F(RegistryTest, CapacityIsTheSmallerOfDeclaredAndFileSystem) {
  TestNode node = MakeNode("h1");
  RegisterNodeInput in;
  in.node_id = node.id;
  in.address = node.address;
  in.domain = node.domain;
  in.capacity_bytes = uint64_t{1} << 40;
  in.filesystem_bytes = uint64_t{1} << 30;
  in.public_key = PublicKeyOf(node);
  in.version = "test";
  in.signature.signed_bytes = "register:" + node.id;
  std::string sig(crypto_sign_BYTES, '\0');
  crypto_sign_detached(reinterpret_cast<unsigned char*>(sig.data()), nullptr,
                       reinterpret_cast<const unsigned char*>(in.signature.signed_bytes.data()),
                       in.signature.signed_bytes.size(), node.key.secret.data());
  in.signature.signature = sig;
  in.signature.signed_at_unix_seconds = absl::ToUnixSeconds(clock_.Now());
  ASSERT_OK(registry_->Register(in).status());
  ASSERT_OK_AND_ASSIGN(std::vector<Node> nodes, registry_->List());
  ASSERT_EQ(nodes.size(), 1u);
  EXPECT_EQ(nodes[0].capacity_bytes, uint64_t{1} << 30);
  // A declared capacity below the file system's wins.
  in.capacity_bytes = uint64_t{1} << 20;
  ASSERT_OK(registry_->Register(in).status());
  ASSERT_OK_AND_ASSIGN(nodes, registry_->List());
  EXPECT_EQ(nodes[0].capacity_bytes, uint64_t{1} << 20);
}

TEST_F(RegistryTest, RegistersNodeAndRecordsHeartbeatUsage) {
  TestNode node = MakeNode("h1");
  ASSERT_OK(Register(node, 1000));
  ASSERT_OK_AND_ASSIGN(NodeState state, Heartbeat(node, 100, 900));
  EXPECT_EQ(state, NodeState::kUp);
  ASSERT_OK_AND_ASSIGN(std::vector<Node> nodes, registry_->List());
  ASSERT_EQ(nodes.size(), 1u);
  EXPECT_EQ(nodes[0].node_id, node.id);
  EXPECT_EQ(nodes[0].domain.host, "h1");
  EXPECT_EQ(nodes[0].capacity_bytes, 1000u);
  EXPECT_EQ(nodes[0].used_bytes, 100u);
  EXPECT_EQ(nodes[0].free_bytes, 900u);
  EXPECT_EQ(nodes[0].last_heartbeat, clock_.Now());
}

TEST_F(RegistryTest, HeartbeatOfUnknownNodeIsNotFoundSoTheDaemonRegistersAgain) {
  TestNode node = MakeNode("h1");
  EXPECT_THAT(Heartbeat(node), StatusIs(absl::StatusCode::kNotFound, HasSubstr("register")));
}

TEST_F(RegistryTest, RejectsRegistrationWithBadOrStaleSignature) {
  TestNode node = MakeNode("h1");
  TestNode impostor = node;
  impostor.key = *GenerateSigningKey("x");
  // Signed by another key than the one it claims.
  RegisterNodeInput in;
  in.node_id = node.id;
  in.address = node.address;
  in.domain = node.domain;
  in.capacity_bytes = 10;
  in.public_key = std::string(reinterpret_cast<const char*>(node.key.public_key.data()), 32);
  in.signature.signed_bytes = "x";
  in.signature.signature = std::string(64, '\0');
  in.signature.signed_at_unix_seconds = absl::ToUnixSeconds(clock_.Now());
  EXPECT_THAT(registry_->Register(in), StatusIs(absl::StatusCode::kUnauthenticated));
  // A valid registration signed long ago is refused (replay).
  ASSERT_OK(Register(node));
  clock_.Advance(absl::Hours(1));
  in.signature.signed_at_unix_seconds = absl::ToUnixSeconds(clock_.Now() - absl::Hours(1));
  EXPECT_THAT(registry_->Register(in), StatusIs(absl::StatusCode::kUnauthenticated));
  // Heartbeats must be signed by the registered key.
  EXPECT_THAT(Heartbeat(impostor), StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(RegistryTest, ValidatesRegistrationFields) {
  TestNode node = MakeNode("");
  EXPECT_THAT(Register(node),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("node.domain.host")));
  TestNode zero = MakeNode("h2");
  EXPECT_THAT(Register(zero, 0),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("node.capacity_bytes")));
}

TEST_F(RegistryTest, ReRegistrationWithAnotherKeyNeedsRetirementFirst) {
  TestNode node = MakeNode("h1");
  ASSERT_OK(Register(node));
  TestNode reborn = node;
  reborn.key = *GenerateSigningKey(node.id);
  EXPECT_THAT(Register(reborn), StatusIs(absl::StatusCode::kPermissionDenied));
  ASSERT_OK(registry_->SetState(node.id, NodeState::kRetired));
  EXPECT_THAT(Register(node), StatusIs(absl::StatusCode::kFailedPrecondition));
  // The new key needs a new approval too.
  EXPECT_THAT(Register(reborn), StatusIs(absl::StatusCode::kPermissionDenied));
  ASSERT_OK(registry_->Revoke(node.id));
  ASSERT_OK(Approve(reborn));
  ASSERT_OK(Register(reborn));
  ASSERT_OK_AND_ASSIGN(std::vector<Node> nodes, registry_->List());
  EXPECT_EQ(nodes[0].state, NodeState::kUp);
}

TEST_F(RegistryTest, NodeGoesDownAfterMissedHeartbeatsAndComesBackUp) {
  std::vector<TestNode> nodes = AddNodes(2);
  clock_.Advance(absl::Seconds(20));
  ASSERT_OK(Heartbeat(nodes[1]).status());
  clock_.Advance(absl::Seconds(15));  // node 0 silent for 35 s, node 1 for 15 s
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> changed, registry_->MarkSilentNodesDown());
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(changed[0], nodes[0].id);
  ASSERT_OK_AND_ASSIGN(std::vector<Node> listed, registry_->List());
  ASSERT_EQ(listed.size(), 2u);
  for (const Node& n : listed) {
    EXPECT_EQ(n.state, n.node_id == nodes[0].id ? NodeState::kDown : NodeState::kUp);
  }
  // Nothing more changes until another node falls silent.
  ASSERT_OK_AND_ASSIGN(changed, registry_->MarkSilentNodesDown());
  EXPECT_TRUE(changed.empty());
  ASSERT_OK_AND_ASSIGN(NodeState state, Heartbeat(nodes[0]));
  EXPECT_EQ(state, NodeState::kUp);
  ASSERT_OK_AND_ASSIGN(listed, registry_->List());
  for (const Node& n : listed) EXPECT_EQ(n.state, NodeState::kUp);
}

TEST_F(RegistryTest, OperatorStatesDrainingAndRetired) {
  std::vector<TestNode> nodes = AddNodes(1);
  ASSERT_OK(registry_->SetState(nodes[0].id, NodeState::kDraining));
  ASSERT_OK_AND_ASSIGN(NodeState state, Heartbeat(nodes[0]));
  EXPECT_EQ(state, NodeState::kDraining);  // heartbeats do not undo draining
  EXPECT_THAT(registry_->SetState(nodes[0].id, NodeState::kDown),
              StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_OK(registry_->SetState(nodes[0].id, NodeState::kUp));
  ASSERT_OK(registry_->SetState(nodes[0].id, NodeState::kRetired));
  EXPECT_THAT(registry_->SetState(nodes[0].id, NodeState::kUp),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(registry_->SetState(NewUuid(), NodeState::kUp),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(RegistryTest, OnlyOneReplicaLeadsAndLeadershipPassesOn) {
  auto first = std::make_unique<PgLeaderElector>(db_url(), 4242);
  PgLeaderElector second(db_url(), 4242);
  EXPECT_TRUE(first->CheckLeadership());
  EXPECT_TRUE(first->CheckLeadership());  // stays leader
  EXPECT_FALSE(second.CheckLeadership());
  first.reset();  // session closed: lock released
  bool led = false;
  for (int i = 0; i < 50 && !led; ++i) {
    led = second.CheckLeadership();
    if (!led) absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_TRUE(led);
}

}  // namespace
}  // namespace freehold::coordinator::testing
