// Identifiers of any length against the real coordinator process: every RPC answers
// INVALID_ARGUMENT (or NOT_FOUND) at once with a short message naming the field. An
// answer that echoed a 10 MB id overflowed gRPC's metadata limit and reached the
// caller as RESOURCE_EXHAUSTED after seconds.
#include <gtest/gtest.h>

#include "absl/time/clock.h"
#include "common/grpc_status.h"
#include "coordinator/core/ids.h"
#include "common/peer_identity.h"
#include "tests/coordinator/cluster_fixture.h"
#include "tests/support/status_matchers.h"

namespace freehold::coordinator::testing {
namespace {

const std::string& HugeId() {
  static const std::string* id = new std::string(10 << 20, 'n');
  return *id;
}

// The answer is a refusal (not RESOURCE_EXHAUSTED from an overflowing trailer),
// quick, and short.
void ExpectQuickShortRefusal(const grpc::Status& s, absl::Duration took) {
  EXPECT_TRUE(s.error_code() == grpc::StatusCode::INVALID_ARGUMENT ||
              s.error_code() == grpc::StatusCode::NOT_FOUND)
      << GrpcCodeName(s.error_code()) << ": " << s.error_message().substr(0, 200);
  EXPECT_LE(s.error_message().size(), 256u);
  EXPECT_LT(took, absl::Seconds(2));
}

class OversizedIdsTest : public ClusterTest {};

TEST_F(OversizedIdsTest, EveryCoordinatorRpcRefusesA10MegabyteIdQuickly) {
  ASSERT_NO_FATAL_FAILURE(StartCluster(0));
  const std::string token = Token(NewUuid());
  // Heartbeats come from storage daemons: a storaged certificate (its id "n1").
  ASSERT_OK_AND_ASSIGN(auto node_channel,
                       MakeChannel(coordinator_address_,
                                   pki_.Issue("node", kRoleStoraged, "n1").Client()));
  auto node_stub = v1::Coordinator::NewStub(node_channel);
  {
    v1::HeartbeatRequest req;
    req.set_node_id(HugeId());
    v1::HeartbeatResponse resp;
    const absl::Time start = absl::Now();
    grpc::Status s = node_stub->Heartbeat(Ctx().get(), req, &resp);
    ExpectQuickShortRefusal(s, absl::Now() - start);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }
  {
    v1::HeartbeatRequest req;
    req.set_node_id("n1");
    req.add_corrupt_shard_keys(HugeId());
    v1::HeartbeatResponse resp;
    const absl::Time start = absl::Now();
    ExpectQuickShortRefusal(node_stub->Heartbeat(Ctx().get(), req, &resp), absl::Now() - start);
  }
  {
    v1::SetNodeStateRequest req;
    req.set_node_id(HugeId());
    req.set_state(v1::NODE_STATE_DRAINING);
    v1::SetNodeStateResponse resp;
    const absl::Time start = absl::Now();
    grpc::Status s = stub_->SetNodeState(OperatorCtx().get(), req, &resp);
    ExpectQuickShortRefusal(s, absl::Now() - start);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }
  {
    v1::GetObjectRequest req;
    req.set_object_id(HugeId());
    v1::GetObjectResponse resp;
    const absl::Time start = absl::Now();
    ExpectQuickShortRefusal(stub_->GetObject(Ctx(token).get(), req, &resp), absl::Now() - start);
  }
  {
    v1::ReplaceShardTargetRequest req;
    req.set_object_id(NewUuid());
    req.set_failed_node_id(HugeId());
    v1::ReplaceShardTargetResponse resp;
    const absl::Time start = absl::Now();
    grpc::Status s = stub_->ReplaceShardTarget(Ctx(token).get(), req, &resp);
    ExpectQuickShortRefusal(s, absl::Now() - start);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }
  {
    v1::UpdateHeaderRequest req;
    req.set_object_id(NewUuid());
    req.set_age_header("h");
    req.add_share_with_account_ids(HugeId());
    v1::UpdateHeaderResponse resp;
    const absl::Time start = absl::Now();
    ExpectQuickShortRefusal(stub_->UpdateHeader(Ctx(token).get(), req, &resp),
                            absl::Now() - start);
  }
  {
    v1::ListObjectsRequest req;
    req.mutable_page()->set_page_token(HugeId());
    v1::ListObjectsResponse resp;
    const absl::Time start = absl::Now();
    ExpectQuickShortRefusal(stub_->ListObjects(Ctx(token).get(), req, &resp), absl::Now() - start);
  }
}

}  // namespace
}  // namespace freehold::coordinator::testing
