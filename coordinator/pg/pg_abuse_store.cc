#include "coordinator/pg/pg_abuse_store.h"

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "coordinator/pg/internal/repos.h"

namespace freehold::coordinator {
namespace {

using pg_internal::FromMicros;
using pg_internal::Micros;
using pg_internal::OptionalFromMicros;

constexpr const char* kReportColumns =
    "report_id::text, object_id::text, category, details, reporter_contact, "
    "ts_to_micros(received_at), status, ts_to_micros(resolved_at), resolution_note";

AbuseReport ReportFromRow(const pqxx::row& r) {
  AbuseReport a;
  a.report_id = r[0].as<std::string>();
  a.object_id = r[1].as<std::string>();
  a.category = r[2].as<std::string>();
  a.details = r[3].as<std::string>();
  a.reporter_contact = r[4].as<std::string>();
  a.received_at = FromMicros(r[5].as<int64_t>());
  a.status = static_cast<ReportStatus>(r[6].as<int>());
  a.resolved_at = OptionalFromMicros(r[7].as<int64_t>());
  a.resolution_note = r[8].as<std::string>();
  return a;
}

}  // namespace

absl::StatusOr<std::optional<LinkState>> PgAbuseStore::Link(const std::string& object_id) {
  return pool_.RunReadOnly([&](PgTxn& txn) -> absl::StatusOr<std::optional<LinkState>> {
    pqxx::result r = txn.exec_params(
        "SELECT public_link, ts_to_micros(link_disabled_at), trashed_at IS NOT NULL "
        "FROM objects WHERE object_id = $1::uuid AND state = 2",
        object_id);
    if (r.empty()) return std::optional<LinkState>();
    LinkState s;
    s.public_link = r[0][0].as<bool>();
    s.disabled_at = OptionalFromMicros(r[0][1].as<int64_t>());
    s.trashed = r[0][2].as<bool>();
    return std::optional<LinkState>(s);
  });
}

absl::StatusOr<int64_t> PgAbuseStore::OpenReports() {
  return pool_.RunReadOnly([&](PgTxn& txn) -> absl::StatusOr<int64_t> {
    return txn.exec("SELECT count(*) FROM abuse_reports WHERE status = 1")[0][0].as<int64_t>();
  });
}

absl::Status PgAbuseStore::InsertReport(const AbuseReport& a) {
  return pool_.RunAutocommit([&](PgTxn& txn) {
    txn.exec_params(
        "INSERT INTO abuse_reports (report_id, object_id, category, details, reporter_contact, "
        "received_at, status) VALUES ($1::uuid, $2::uuid, $3, $4, $5, micros_to_ts($6), 1)",
        a.report_id, a.object_id, a.category, a.details, a.reporter_contact,
        Micros(a.received_at));
  });
}

absl::StatusOr<std::optional<AbuseReport>> PgAbuseStore::GetReport(const std::string& id) {
  return pool_.RunReadOnly([&](PgTxn& txn) -> absl::StatusOr<std::optional<AbuseReport>> {
    pqxx::result r = txn.exec_params(
        absl::StrCat("SELECT ", kReportColumns, " FROM abuse_reports WHERE report_id = $1::uuid"),
        id);
    if (r.empty()) return std::optional<AbuseReport>();
    return std::optional<AbuseReport>(ReportFromRow(r[0]));
  });
}

absl::StatusOr<std::vector<AbuseReport>> PgAbuseStore::ListReports(
    std::optional<ReportStatus> status, int limit) {
  return pool_.RunReadOnly([&](PgTxn& txn) -> absl::StatusOr<std::vector<AbuseReport>> {
    pqxx::result r = txn.exec_params(
        absl::StrCat("SELECT ", kReportColumns,
                     " FROM abuse_reports WHERE ($1 = 0 OR status = $1) "
                     "ORDER BY received_at, report_id LIMIT $2"),
        status.has_value() ? static_cast<int>(*status) : 0, limit);
    std::vector<AbuseReport> out;
    for (const pqxx::row& row : r) out.push_back(ReportFromRow(row));
    return out;
  });
}

absl::StatusOr<AbuseReport> PgAbuseStore::Resolve(const std::string& id, ReportStatus to,
                                                  const std::string& note, absl::Time at) {
  return pool_.Run([&](PgTxn& txn) -> absl::StatusOr<AbuseReport> {
    if (to == ReportStatus::kLinkDisabled) {
      // Lock order: the object, then its reports. A disable resolves every open report
      // of the link, so two operators disabling two reports of one link at once would
      // otherwise each hold one report and wait for the other's (a deadlock).
      txn.exec_params(
          "SELECT 1 FROM objects WHERE object_id = "
          "(SELECT object_id FROM abuse_reports WHERE report_id = $1::uuid) FOR UPDATE",
          id);
    }
    pqxx::result r = txn.exec_params(
        absl::StrCat("SELECT ", kReportColumns,
                     " FROM abuse_reports WHERE report_id = $1::uuid FOR UPDATE"),
        id);
    if (r.empty()) return absl::NotFoundError(absl::StrCat("abuse report ", id, " not found"));
    AbuseReport report = ReportFromRow(r[0]);
    if (report.status != ReportStatus::kOpen) {
      return absl::FailedPreconditionError(absl::StrCat("abuse report ", id, " is already ",
                                                        ReportStatusName(report.status)));
    }
    if (to == ReportStatus::kLinkDisabled) {
      // The link is off for good; the header version moves so that an owner's
      // compare-and-swap from before sees the change. The first disable of a link also
      // queues a notice to its owner (core/owner_notices.h), in this transaction: the
      // object id, when and the report's category, nothing else.
      txn.exec_params(
          "WITH o AS (SELECT object_id, owner_account_id, link_disabled_at IS NULL AS first "
          "  FROM objects WHERE object_id = $1::uuid FOR UPDATE), "
          "u AS (UPDATE objects SET public_link = false, "
          "  link_disabled_at = COALESCE(link_disabled_at, micros_to_ts($2)), "
          "  header_version = header_version + 1 WHERE object_id = $1::uuid) "
          "INSERT INTO owner_notices (notice_id, kind, owner_id, object_id, reason_category, "
          "  occurred_at) SELECT gen_random_uuid(), 'link_disabled', owner_account_id, "
          "  object_id, $3, micros_to_ts($2) FROM o WHERE first",
          report.object_id, Micros(at), report.category);
      txn.exec_params(
          "UPDATE abuse_reports SET status = 3, resolved_at = micros_to_ts($2), "
          "resolution_note = $3 WHERE object_id = $1::uuid AND status = 1",
          report.object_id, Micros(at), note);
    } else {
      txn.exec_params(
          "UPDATE abuse_reports SET status = $2, resolved_at = micros_to_ts($3), "
          "resolution_note = $4 WHERE report_id = $1::uuid",
          id, static_cast<int>(to), Micros(at), note);
    }
    report.status = to;
    report.resolved_at = at;
    report.resolution_note = note;
    return report;
  });
}

absl::Status PgAbuseStore::InsertAuthorityRequest(const AuthorityRequest& a) {
  return pool_.RunAutocommit([&](PgTxn& txn) {
    txn.exec_params(
        "INSERT INTO authority_requests (request_id, received_on, kind, jurisdiction, outcome, "
        "recorded_at) VALUES ($1::uuid, $2::date, $3, $4, $5, micros_to_ts($6))",
        a.request_id, a.received_on, a.kind, a.jurisdiction, a.outcome, Micros(a.recorded_at));
  });
}

absl::StatusOr<std::vector<AuthorityRequest>> PgAbuseStore::ListAuthorityRequests(int limit) {
  return pool_.RunReadOnly([&](PgTxn& txn) -> absl::StatusOr<std::vector<AuthorityRequest>> {
    pqxx::result r = txn.exec_params(
        "SELECT request_id::text, to_char(received_on, 'YYYY-MM-DD'), kind, jurisdiction, "
        "outcome, ts_to_micros(recorded_at) FROM authority_requests "
        "ORDER BY received_on DESC, recorded_at DESC LIMIT $1",
        limit);
    std::vector<AuthorityRequest> out;
    for (const pqxx::row& row : r) {
      AuthorityRequest a;
      a.request_id = row[0].as<std::string>();
      a.received_on = row[1].as<std::string>();
      a.kind = row[2].as<std::string>();
      a.jurisdiction = row[3].as<std::string>();
      a.outcome = row[4].as<std::string>();
      a.recorded_at = FromMicros(row[5].as<int64_t>());
      out.push_back(std::move(a));
    }
    return out;
  });
}

absl::StatusOr<AbuseCounts> PgAbuseStore::Counts() {
  return pool_.RunReadOnly([&](PgTxn& txn) -> absl::StatusOr<AbuseCounts> {
    pqxx::row r = txn.exec(
        "SELECT (SELECT count(*) FROM abuse_reports), "
        "(SELECT count(DISTINCT object_id) FROM abuse_reports WHERE status = 3), "
        "(SELECT count(*) FROM authority_requests)")[0];
    AbuseCounts c;
    c.reports_received = static_cast<uint64_t>(r[0].as<int64_t>());
    c.links_disabled = static_cast<uint64_t>(r[1].as<int64_t>());
    c.authority_requests = static_cast<uint64_t>(r[2].as<int64_t>());
    return c;
  });
}

absl::StatusOr<AbuseStore::Budget> PgAbuseStore::CountReport(const std::string& network,
                                                            absl::Time now,
                                                            absl::Duration window, int limit) {
  const int64_t now_us = Micros(now);
  const int64_t cut_us = now_us - absl::ToInt64Microseconds(window);
  return pool_.Run([&](PgTxn& txn) -> absl::StatusOr<Budget> {
    txn.exec_params("DELETE FROM abuse_report_budget WHERE window_start <= micros_to_ts($1)",
                    cut_us);
    pqxx::row r = txn.exec_params1(
        "INSERT INTO abuse_report_budget AS b (network, window_start, reports) "
        "VALUES ($1, micros_to_ts($2), 1) ON CONFLICT (network) DO UPDATE "
        "SET reports = LEAST(b.reports + 1, $3 + 1) "
        "RETURNING reports, ts_to_micros(window_start)",
        network, now_us, limit);
    Budget b;
    b.reports = r[0].as<int>();
    b.window_start = FromMicros(r[1].as<int64_t>());
    return b;
  });
}

}  // namespace freehold::coordinator
