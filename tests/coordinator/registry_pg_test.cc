// Node registry over real PostgreSQL with an injected clock: registration
// signatures, heartbeats, the up/down/draining/retired state machine and
// leader election.
#include <gtest/gtest.h>

#include "coordinator/core/ids.h"
#include "tests/coordinator/coordinator_fixture.h"
#include "tests/support/status_matchers.h"

namespace freehold::coordinator::testing {
namespace {

using ::freehold::testing::StatusIs;
using ::testing::HasSubstr;

class RegistryTest : public CoordinatorPgTest {};

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
