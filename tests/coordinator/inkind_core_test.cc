// Donated disks (coordinator/core/inkind_valuation.h, node_donations.h): which donated
// nodes count and for how much; pure rules, no database.
#include <gtest/gtest.h>

#include "coordinator/core/inkind_valuation.h"
#include "coordinator/core/node_donations.h"
#include "coordinator/core/reputation.h"

namespace freehold::coordinator {
namespace {

constexpr uint64_t kGiB = uint64_t{1} << 30;
const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

InKindRules Rules() { return InKindRules{absl::Seconds(30), 0.6, 1}; }

NodeDonation Donation(const std::string& id, uint64_t cap = 0) {
  return NodeDonation{id, "Ada's basement", "one year, best effort", "cert:op", kNow, cap};
}

// An approved node, up, heartbeating now, 100 GiB capacity reporting 40 used + 70 free.
Node UpNode(const std::string& id) {
  Node n;
  n.node_id = id;
  n.capacity_bytes = 100 * kGiB;
  n.used_bytes = 40 * kGiB;
  n.free_bytes = 70 * kGiB;
  n.state = NodeState::kUp;
  n.last_heartbeat = kNow - absl::Seconds(5);
  n.approved_at = kNow - absl::Hours(24);
  return n;
}

// A reputation after `passed` successes and `failed` failures in a row.
StoredReputation Audited(const std::string& id, int passed, int failed = 0) {
  const ReputationParams p{0.95, 1.0, 0.6};
  StoredReputation r;
  r.node_id = id;
  r.reputation = InitialReputation(p);
  for (int i = 0; i < passed; ++i) r.reputation = Apply(r.reputation, AuditOutcome::kPassed, p);
  for (int i = 0; i < failed; ++i) r.reputation = Apply(r.reputation, AuditOutcome::kFailed, p);
  return r;
}

TEST(InKindValuationTest, AnAuditedNodeInGoodStandingCountsItsCapacity) {
  DonatedNodeValue v = ValueDonatedNode(Donation("n1"), UpNode("n1"), Audited("n1", 3), Rules(), kNow);
  EXPECT_TRUE(v.counting) << v.reason;
  EXPECT_EQ(v.reason, "");
  EXPECT_EQ(v.counted_raw_bytes, 100 * kGiB);
}

TEST(InKindValuationTest, CapacityIsCappedByWhatTheNodeReportsAndByTheRecord) {
  Node small = UpNode("n1");
  small.used_bytes = 10 * kGiB;
  small.free_bytes = 50 * kGiB;  // the file system holds less than declared
  EXPECT_EQ(ValueDonatedNode(Donation("n1"), small, Audited("n1", 1), Rules(), kNow)
                .counted_raw_bytes,
            60 * kGiB);
  // The operator's cap.
  EXPECT_EQ(ValueDonatedNode(Donation("n1", 25 * kGiB), UpNode("n1"), Audited("n1", 1), Rules(),
                             kNow)
                .counted_raw_bytes,
            25 * kGiB);
  // A cap above the capacity changes nothing.
  EXPECT_EQ(ValueDonatedNode(Donation("n1", 500 * kGiB), UpNode("n1"), Audited("n1", 1), Rules(),
                             kNow)
                .counted_raw_bytes,
            100 * kGiB);
}

TEST(InKindValuationTest, AReputationDropStopsCountingAtOnce) {
  // Above the threshold after one failure (0.95), below after ten (0.95^10 = 0.599).
  DonatedNodeValue one = ValueDonatedNode(Donation("n1"), UpNode("n1"), Audited("n1", 5, 1),
                                          Rules(), kNow);
  EXPECT_TRUE(one.counting) << one.reason;
  DonatedNodeValue ten = ValueDonatedNode(Donation("n1"), UpNode("n1"), Audited("n1", 5, 10),
                                          Rules(), kNow);
  EXPECT_FALSE(ten.counting);
  EXPECT_EQ(ten.reason, "reputation below threshold");
  EXPECT_EQ(ten.counted_raw_bytes, 0u);
  EXPECT_LT(ten.reputation, 0.6);
  // Suspended (the stored flag) stops it even if the score is back up.
  StoredReputation suspended = Audited("n1", 5);
  suspended.suspended_at = kNow - absl::Minutes(1);
  EXPECT_EQ(ValueDonatedNode(Donation("n1"), UpNode("n1"), suspended, Rules(), kNow).reason,
            "suspended");
}

TEST(InKindValuationTest, DrainingRetiredDownSilentUnauditedOrUnapprovedNodesDoNotCount) {
  const StoredReputation good = Audited("n1", 3);
  Node draining = UpNode("n1");
  draining.state = NodeState::kDraining;
  EXPECT_EQ(ValueDonatedNode(Donation("n1"), draining, good, Rules(), kNow).reason, "draining");
  Node retired = UpNode("n1");
  retired.state = NodeState::kRetired;
  EXPECT_EQ(ValueDonatedNode(Donation("n1"), retired, good, Rules(), kNow).reason, "retired");
  Node down = UpNode("n1");
  down.state = NodeState::kDown;
  EXPECT_EQ(ValueDonatedNode(Donation("n1"), down, good, Rules(), kNow).reason, "down");
  // Stored UP but silent longer than node_down_after: down now.
  Node silent = UpNode("n1");
  silent.last_heartbeat = kNow - absl::Seconds(31);
  EXPECT_EQ(ValueDonatedNode(Donation("n1"), silent, good, Rules(), kNow).reason, "down");
  silent.last_heartbeat = kNow - absl::Seconds(29);
  EXPECT_TRUE(ValueDonatedNode(Donation("n1"), silent, good, Rules(), kNow).counting);
  // Never audited, or no audit passed yet.
  EXPECT_EQ(ValueDonatedNode(Donation("n1"), UpNode("n1"), std::nullopt, Rules(), kNow).reason,
            "not audited yet");
  EXPECT_EQ(ValueDonatedNode(Donation("n1"), UpNode("n1"), Audited("n1", 0), Rules(), kNow).reason,
            "not audited yet");
  InKindRules trusting = Rules();
  trusting.min_audits_passed = 0;
  EXPECT_TRUE(ValueDonatedNode(Donation("n1"), UpNode("n1"), std::nullopt, trusting, kNow).counting);
  // Revoked (no approval) or never registered.
  Node revoked = UpNode("n1");
  revoked.approved_at.reset();
  EXPECT_EQ(ValueDonatedNode(Donation("n1"), revoked, good, Rules(), kNow).reason, "not approved");
  EXPECT_EQ(ValueDonatedNode(Donation("n1"), std::nullopt, good, Rules(), kNow).reason,
            "not registered");
}

TEST(InKindValuationTest, TheTotalSumsOnlyTheCountingNodes) {
  Node b = UpNode("b");
  b.capacity_bytes = 30 * kGiB;
  Node c = UpNode("c");
  c.state = NodeState::kDraining;
  Node other = UpNode("x");  // not donated: never counted
  const InKindValuation v = ValueDonatedNodes(
      {Donation("c"), Donation("a", 10 * kGiB), Donation("b")}, {UpNode("a"), b, c, other},
      {Audited("a", 2), Audited("b", 2), Audited("c", 2)}, Rules(), kNow);
  ASSERT_EQ(v.nodes.size(), 3u);
  EXPECT_EQ(v.nodes[0].donation.node_id, "a");  // by node id
  EXPECT_EQ(v.capacity.nodes, 2u);
  EXPECT_EQ(v.capacity.raw_bytes, 40 * kGiB);
  EXPECT_EQ(v.NotCounting(), 1u);
  EXPECT_EQ(v.nodes[2].reason, "draining");
}

TEST(NodeDonationRulesTest, LabelsAndTermsAreCheckedWithPreciseMessages) {
  EXPECT_TRUE(ValidateDonorLabel("Ada L., Zürich").ok());
  EXPECT_EQ(ValidateDonorLabel("").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateDonorLabel("   ").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateDonorLabel(std::string(201, 'a')).code(), absl::StatusCode::kInvalidArgument);
  absl::Status newline = ValidateDonorLabel("two\nlines");
  EXPECT_EQ(newline.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(newline.message().find("donated_by"), absl::string_view::npos) << newline;
  EXPECT_EQ(ValidateDonorLabel("bad \xff utf8").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(ValidateDonationTerms("Line one.\n\tLine two.").ok());
  absl::Status long_terms = ValidateDonationTerms(std::string(16385, 'x'));
  EXPECT_EQ(long_terms.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(long_terms.message().find("terms"), absl::string_view::npos);
  EXPECT_EQ(ValidateDonationTerms(std::string("nul\0byte", 8)).code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace freehold::coordinator
