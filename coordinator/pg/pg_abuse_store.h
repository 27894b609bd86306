// AbuseStore over PostgreSQL (schema "coordinator", migration 0016): abuse reports,
// authority requests and objects.link_disabled_at (core/abuse_desk.h).
#pragma once

#include "common/pg.h"
#include "coordinator/core/abuse_desk.h"

namespace freehold::coordinator {

// Thread-safe; the pool must outlive it and use CoordinatorPoolOptions.
class PgAbuseStore : public AbuseStore {
 public:
  explicit PgAbuseStore(PgPool& pool) : pool_(pool) {}

  absl::StatusOr<std::optional<LinkState>> Link(const std::string& object_id) override;
  absl::StatusOr<int64_t> OpenReports() override;
  absl::Status InsertReport(const AbuseReport& report) override;
  absl::StatusOr<std::optional<AbuseReport>> GetReport(const std::string& report_id) override;
  absl::StatusOr<std::vector<AbuseReport>> ListReports(std::optional<ReportStatus> status,
                                                       int limit) override;
  absl::StatusOr<AbuseReport> Resolve(const std::string& report_id, ReportStatus to,
                                      const std::string& note, absl::Time at) override;
  absl::Status InsertAuthorityRequest(const AuthorityRequest& request) override;
  absl::StatusOr<std::vector<AuthorityRequest>> ListAuthorityRequests(int limit) override;
  absl::StatusOr<AbuseCounts> Counts() override;
  absl::StatusOr<Budget> CountReport(const std::string& network, absl::Time now,
                                     absl::Duration window, int limit) override;

 private:
  PgPool& pool_;
};

}  // namespace freehold::coordinator
