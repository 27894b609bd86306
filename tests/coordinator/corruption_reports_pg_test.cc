// Readers' corrupt-shard reports over real PostgreSQL with the real AuditWorker: only
// readers may report, the shard must be where the manifest says, reports are
// budgeted and deduplicated, and only a failed audit marks the shard MISSING (a report
// about a good shard changes nothing). The daemon is played by an interaction fake of
// ShardTransfer that serves the shard's bytes, intact or not.
#include <gtest/gtest.h>

#include "coordinator/core/audit_worker.h"
#include "coordinator/core/corruption_reports.h"
#include "coordinator/pg/pg_durability_store.h"
#include "tests/coordinator/coordinator_fixture.h"
#include "tests/support/status_matchers.h"

namespace freehold::coordinator::testing {
namespace {

using ::freehold::testing::StatusIs;

class BytesTransfer : public ShardTransfer {
 public:
  absl::StatusOr<AuditAnswer> Audit(const std::string&, const std::string&,
                                    const std::string&) override {
    return absl::UnimplementedError("no challenges in this test");
  }
  absl::StatusOr<std::string> Read(const std::string&, const std::string&, uint64_t size,
                                   const std::string&) override {
    ++reads;
    if (corrupt) return absl::DataLossError("shard does not match its recorded size and hash");
    return std::string(size, 'x');
  }
  absl::StatusOr<std::string> Write(const std::string&, const std::string&,
                                    const std::string&) override {
    return absl::UnimplementedError("no writes");
  }
  bool corrupt = false;
  int reads = 0;
};

class CorruptionReportsTest : public CoordinatorPgTest {
 protected:
  void SetUp() override {
    CoordinatorPgTest::SetUp();
    if (HasFatalFailure()) return;
    durability_ = std::make_unique<PgDurabilityStore>(*pool_);
    audits_ = std::make_unique<AuditWorker>(*store_, *durability_, clock_, config_, *grants_,
                                            transfer_, *registry_, nullptr, log_);
    CorruptionReportLimits limits;
    limits.per_account_per_minute = 7;
    reports_ =
        std::make_unique<CorruptionReports>(*catalog_, *store_, *audits_, clock_, log_, limits);
  }
  BytesTransfer transfer_;
  std::unique_ptr<PgDurabilityStore> durability_;
  std::unique_ptr<AuditWorker> audits_;
  std::unique_ptr<CorruptionReports> reports_;
};

TEST_F(CorruptionReportsTest, OnlyAFailedAuditMarksAReportedShardMissing) {
  AddNodes(6);
  Caller owner = NewAccount();
  Caller stranger = NewAccount();
  ASSERT_OK_AND_ASSIGN(std::string id, UploadObject(owner, 1000));
  ASSERT_OK_AND_ASSIGN(ObjectManifest m, catalog_->Get(&owner, id));
  const ShardLocation& a = m.segments[0].shards[0];
  const ShardLocation& b = m.segments[0].shards[1];

  // Validation: no read access, no such shard, wrong node.
  EXPECT_THAT(reports_->Report(&stranger, id, 0, 0, a.node_id),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(reports_->Report(&owner, id, 7, 0, a.node_id),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(reports_->Report(&owner, id, 0, 0, b.node_id),
              StatusIs(absl::StatusCode::kInvalidArgument));

  // A report about a good shard: audited, refuted, nothing marked.
  ASSERT_OK_AND_ASSIGN(bool queued, reports_->Report(&owner, id, 0, 1, b.node_id));
  EXPECT_TRUE(queued);
  ASSERT_OK_AND_ASSIGN(CorruptionCheckResult r, reports_->RunOnce());
  EXPECT_EQ(r.refuted, 1);
  EXPECT_EQ(r.confirmed, 0);
  ASSERT_OK_AND_ASSIGN(RepairPlan plan, monitor_->Plan());
  EXPECT_TRUE(plan.repairable.empty());

  // A corrupt one: confirmed, MISSING, due for repair at once.
  transfer_.corrupt = true;
  ASSERT_OK_AND_ASSIGN(queued, reports_->Report(&owner, id, 0, 0, a.node_id));
  EXPECT_TRUE(queued);
  ASSERT_OK_AND_ASSIGN(bool again, reports_->Report(&owner, id, 0, 0, a.node_id));
  EXPECT_FALSE(again);  // deduplicated
  ASSERT_OK_AND_ASSIGN(r, reports_->RunOnce());
  EXPECT_EQ(r.confirmed, 1);
  ASSERT_OK_AND_ASSIGN(plan, monitor_->Plan());
  ASSERT_EQ(plan.repairable.size(), 1u);
  EXPECT_EQ(plan.repairable[0].missing_shards, 1);
  // Known missing now: a further report queues nothing.
  ASSERT_OK_AND_ASSIGN(again, reports_->Report(&owner, id, 0, 0, a.node_id));
  EXPECT_FALSE(again);
  // The budget: 7 reports a minute per account (6 used above; the clock stands still).
  EXPECT_OK(reports_->Report(&owner, id, 0, 2, m.segments[0].shards[2].node_id).status());
  EXPECT_THAT(reports_->Report(&owner, id, 0, 3, m.segments[0].shards[3].node_id),
              StatusIs(absl::StatusCode::kResourceExhausted));
}

}  // namespace
}  // namespace freehold::coordinator::testing
