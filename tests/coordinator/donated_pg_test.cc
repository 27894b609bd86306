// Donated disks over real PostgreSQL (core/node_donations.h, core/inkind_valuation.h,
// migration 0019_donated): records are stored with owner, terms, operator and time,
// refused with precise statuses for unknown or revoked nodes, valued from the registry
// and the stored reputations (failed audits and draining stop a node counting at once),
// and the funding monitor reports the in-kind capacity beside the money.
#include <gtest/gtest.h>

#include "coordinator/core/funding_monitor.h"
#include "coordinator/core/inkind_valuation.h"
#include "coordinator/core/node_donations.h"
#include "coordinator/core/usage_source.h"
#include "coordinator/pg/pg_durability_store.h"
#include "coordinator/pg/pg_node_donations.h"
#include "tests/coordinator/coordinator_fixture.h"
#include "tests/support/status_matchers.h"

namespace freehold::coordinator::testing {
namespace {

using ::testing::HasSubstr;
using ::freehold::testing::StatusIs;

constexpr uint64_t kHalfTiB = uint64_t{1} << 39;  // what Heartbeat() reports free

class DonatedPgTest : public CoordinatorPgTest {
 protected:
  void SetUp() override {
    CoordinatorPgTest::SetUp();
    if (HasFatalFailure()) return;
    records_ = std::make_unique<PgNodeDonations>(*pool_);
    durability_ = std::make_unique<PgDurabilityStore>(*pool_);
    donations_ = std::make_unique<NodeDonations>(*store_, *records_, clock_);
    inkind_ = std::make_unique<StoreInKindSource>(
        *records_, *store_, *durability_, clock_,
        InKindRules{config_.node_down_after, params_.threshold, 1});
  }

  void Audit(const std::string& node_id, AuditOutcome outcome, int times) {
    for (int i = 0; i < times; ++i) {
      ASSERT_OK(durability_->ApplyAudit(node_id, outcome, params_, clock_.Now()).status());
    }
  }

  // The node's entry of a valuation.
  static DonatedNodeValue Of(const InKindValuation& v, const std::string& node_id) {
    for (const DonatedNodeValue& n : v.nodes) {
      if (n.donation.node_id == node_id) return n;
    }
    ADD_FAILURE() << "no entry for " << node_id;
    return DonatedNodeValue();
  }

  const ReputationParams params_{0.5, 1.0, 0.6};  // forgets fast: one failure suspends
  std::unique_ptr<PgNodeDonations> records_;
  std::unique_ptr<PgDurabilityStore> durability_;
  std::unique_ptr<NodeDonations> donations_;
  std::unique_ptr<StoreInKindSource> inkind_;
};

TEST_F(DonatedPgTest, RecordsAreStoredReplacedWithdrawnAndRefusedPrecisely) {
  std::vector<TestNode> nodes = AddNodes(2);
  const std::string terms = "Runs in Ada's basement.\nOne year, best effort; 2 weeks notice.";
  ASSERT_OK_AND_ASSIGN(NodeDonation d,
                       donations_->Donate(nodes[0].id, "Ada", terms, 0, "cert:op-1"));
  EXPECT_EQ(d.approved_at, clock_.Now());
  ASSERT_OK_AND_ASSIGN(std::vector<NodeDonation> list, donations_->List());
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].node_id, nodes[0].id);
  EXPECT_EQ(list[0].donated_by, "Ada");
  EXPECT_EQ(list[0].terms, terms);
  EXPECT_EQ(list[0].approved_by, "cert:op-1");
  EXPECT_EQ(list[0].approved_at, clock_.Now());
  EXPECT_EQ(list[0].cap_bytes, 0u);

  // Donating again replaces the record (new operator, time, cap).
  clock_.Advance(absl::Hours(1));
  ASSERT_OK(donations_->Donate(nodes[0].id, "Ada L.", terms, 12345, "account:x").status());
  ASSERT_OK_AND_ASSIGN(list, donations_->List());
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].donated_by, "Ada L.");
  EXPECT_EQ(list[0].cap_bytes, 12345u);
  EXPECT_EQ(list[0].approved_at, clock_.Now());

  // Precise refusals, nothing stored.
  EXPECT_THAT(donations_->Donate("never-approved", "Bob", terms, 0, "cert:op").status(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("nodes approve never-approved")));
  EXPECT_THAT(donations_->Donate("bad id!", "Bob", terms, 0, "cert:op").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("node_id")));
  EXPECT_THAT(donations_->Donate(nodes[1].id, "", terms, 0, "cert:op").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("donated_by")));
  EXPECT_THAT(donations_->Donate(nodes[1].id, "Bob", "", 0, "cert:op").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("terms")));
  ASSERT_OK(registry_->Revoke(nodes[1].id));
  EXPECT_THAT(donations_->Donate(nodes[1].id, "Bob", terms, 0, "cert:op").status(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("revoked")));
  ASSERT_OK_AND_ASSIGN(list, donations_->List());
  EXPECT_EQ(list.size(), 1u);

  // The table refuses a record without an admission even past the core rules.
  NodeDonation orphan = d;
  orphan.node_id = "no-admission";
  EXPECT_THAT(records_->Upsert(orphan), StatusIs(absl::StatusCode::kFailedPrecondition));

  ASSERT_OK(donations_->Withdraw(nodes[0].id));
  EXPECT_THAT(donations_->Withdraw(nodes[0].id),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("no donation")));
  ASSERT_OK_AND_ASSIGN(list, donations_->List());
  EXPECT_TRUE(list.empty());
}

TEST_F(DonatedPgTest, ANodeCountsWhenAuditedAndStopsOnFailedAuditsDrainOrSilence) {
  std::vector<TestNode> nodes = AddNodes(3);
  for (const TestNode& n : nodes) ASSERT_OK(Heartbeat(n).status());  // 0 used, 0.5 TiB free
  ASSERT_OK(donations_->Donate(nodes[0].id, "Ada", "terms", 0, "cert:op").status());
  ASSERT_OK(donations_->Donate(nodes[1].id, "Bob", "terms", kHalfTiB / 4, "cert:op").status());

  // Not audited yet: nothing counts.
  ASSERT_OK_AND_ASSIGN(InKindValuation v, inkind_->Read());
  ASSERT_EQ(v.nodes.size(), 2u);
  EXPECT_EQ(v.capacity.nodes, 0u);
  EXPECT_EQ(Of(v, nodes[0].id).reason, "not audited yet");

  Audit(nodes[0].id, AuditOutcome::kPassed, 2);
  Audit(nodes[1].id, AuditOutcome::kPassed, 2);
  Audit(nodes[2].id, AuditOutcome::kPassed, 2);  // audited but not donated
  ASSERT_OK_AND_ASSIGN(v, inkind_->Read());
  EXPECT_EQ(v.capacity.nodes, 2u);
  // Capacity 1 TiB, reporting 0 used + 0.5 TiB free: 0.5 TiB; Bob capped at 1/8 TiB.
  const uint64_t a_bytes = kHalfTiB, b_bytes = kHalfTiB / 4;
  EXPECT_EQ(v.capacity.raw_bytes, a_bytes + b_bytes);

  // Failed audits: reputation below the threshold, suspended: stops at once.
  Audit(nodes[0].id, AuditOutcome::kFailed, 2);
  ASSERT_OK_AND_ASSIGN(v, inkind_->Read());
  EXPECT_EQ(v.capacity.nodes, 1u);
  EXPECT_EQ(v.capacity.raw_bytes, b_bytes);
  EXPECT_FALSE(Of(v, nodes[0].id).counting);
  EXPECT_EQ(Of(v, nodes[0].id).reason, "suspended");

  // Draining stops Bob.
  ASSERT_OK(registry_->SetState(nodes[1].id, NodeState::kDraining));
  ASSERT_OK_AND_ASSIGN(v, inkind_->Read());
  EXPECT_EQ(v.capacity.nodes, 0u);
  EXPECT_EQ(Of(v, nodes[1].id).reason, "draining");
  ASSERT_OK(registry_->SetState(nodes[1].id, NodeState::kUp));
  ASSERT_OK(Heartbeat(nodes[1]).status());
  ASSERT_OK_AND_ASSIGN(v, inkind_->Read());
  EXPECT_EQ(v.capacity.nodes, 1u);

  // Silent longer than node_down_after: down, stops.
  clock_.Advance(config_.node_down_after + absl::Seconds(1));
  ASSERT_OK_AND_ASSIGN(v, inkind_->Read());
  EXPECT_EQ(v.capacity.nodes, 0u);
  EXPECT_EQ(Of(v, nodes[1].id).reason, "down");
}

TEST_F(DonatedPgTest, TheFundingMonitorShowsInKindCapacityApartFromMoney) {
  std::vector<TestNode> nodes = AddNodes(6);
  for (const TestNode& n : nodes) ASSERT_OK(Heartbeat(n).status());  // 0 used, 0.5 TiB free
  ASSERT_OK(donations_->Donate(nodes[0].id, "Ada", "terms", 0, "cert:op").status());
  Audit(nodes[0].id, AuditOutcome::kPassed, 1);

  funding::AdmissionConfig admission;
  admission.throttle_on_funding = false;
  funding::AdmissionPolicy policy(admission);
  prometheus::Registry registry;
  FundingMetrics metrics(registry, "EUR");
  StoreUsageSource usage(*store_);
  // 10.24 EUR per TiB-month: half a TiB is worth 5.12 EUR.
  funding::CostModel model{"EUR", 1024, 0, 1.5};
  FundingMonitor monitor(usage, nullptr, clock_, model,
                         FundingMonitorOptions{absl::Hours(1), absl::Hours(24), ""}, policy,
                         &metrics, Logger("donated-test", LogLevel::kError));
  monitor.SetInKind(inkind_.get());
  ASSERT_OK(monitor.Refresh());
  std::optional<FundingSnapshot> snap = monitor.Snapshot();
  ASSERT_TRUE(snap.has_value());
  EXPECT_EQ(snap->outlook.inkind_nodes, 1u);
  EXPECT_EQ(snap->outlook.inkind_raw_bytes, kHalfTiB);
  EXPECT_EQ(snap->outlook.inkind_value_minor, 512);
  EXPECT_EQ(snap->outlook.monthly_income_minor, 0);  // never money
  EXPECT_EQ(snap->outlook.money_funded_logical_bytes, 0u);
  // Nothing stored yet: logical at the default overhead 1.5.
  EXPECT_EQ(snap->outlook.funded_logical_bytes, static_cast<uint64_t>(kHalfTiB / 1.5));
  EXPECT_EQ(snap->outlook.inkind_logical_bytes, snap->outlook.funded_logical_bytes);
  ASSERT_EQ(snap->inkind.nodes.size(), 1u);

  auto gauge = [&](const std::string& name) {
    for (const prometheus::MetricFamily& f : registry.Collect()) {
      if (f.name == name && !f.metric.empty()) return f.metric[0].gauge.value;
    }
    return -1.0;
  };
  EXPECT_EQ(gauge("freehold_inkind_nodes"), 1);
  EXPECT_EQ(gauge("freehold_inkind_capacity_bytes"), static_cast<double>(kHalfTiB));
  EXPECT_DOUBLE_EQ(gauge("freehold_inkind_monthly_value"), 5.12);
  EXPECT_EQ(gauge("freehold_inkind_nodes_not_counting"), 0);

  // The node falls below the threshold: at the next refresh it no longer counts.
  Audit(nodes[0].id, AuditOutcome::kFailed, 2);
  ASSERT_OK(monitor.Refresh());
  snap = monitor.Snapshot();
  EXPECT_EQ(snap->outlook.inkind_nodes, 0u);
  EXPECT_EQ(snap->outlook.funded_logical_bytes, 0u);
  EXPECT_EQ(gauge("freehold_inkind_nodes"), 0);
  EXPECT_EQ(gauge("freehold_inkind_nodes_not_counting"), 1);
  EXPECT_EQ(gauge("freehold_inkind_monthly_value"), 0);
}

}  // namespace
}  // namespace freehold::coordinator::testing
