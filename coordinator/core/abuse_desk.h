// Abuse reports of public links, compatible with end-to-end encryption
// (docs/ARCHITECTURE.md "Abuse reports"; issue 22).
//
// What the coordinator can and cannot do: it never sees a file's content, its name
// or a link's key (the part of a link after '#', which never leaves the client), so
// nothing is scanned and an operator cannot look at a reported file. What it can do:
//   - Report: anyone, without an account, reports a public link by its object id
//     (or the link without its '#' part) with a category, a short text and an
//     optional contact. Only objects whose public link is on can be reported
//     (NOT_FOUND otherwise, the same answer for unknown and private objects). Rate
//     limited per network (IPv4 /24, IPv6 /48) in memory, and bounded in open
//     reports overall, so the intake cannot be flooded.
//   - An operator (coordinator:operator) lists and reads reports and resolves an
//     open one: dismiss, or disable the link. Disabling turns the public link off
//     for good (objects.link_disabled_at): strangers get FAILED_PRECONDITION
//     "... disabled after an abuse report", the owner keeps reading the file, sees
//     the date (ObjectSummary.link_disabled_at) and cannot turn the link on again.
//     Other open reports of the same link are resolved with it.
//   - An operator records requests from authorities (date, kind, jurisdiction,
//     outcome; never content).
//   - Counts (reports received, links disabled, authority requests) are public:
//     the transparency page shows them. They never name an object or an account.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/logging.h"
#include "absl/strings/string_view.h"

namespace prometheus {
class Registry;
class Counter;
}  // namespace prometheus

namespace freehold::coordinator {

enum class ReportStatus : int { kOpen = 1, kDismissed = 2, kLinkDisabled = 3 };

// "open" | "dismissed" | "link_disabled".
const char* ReportStatusName(ReportStatus s);

struct AbuseReport {
  std::string report_id;  // UUID
  std::string object_id;  // canonical UUID of the linked object
  std::string category;   // one of kAbuseCategories
  std::string details;    // the reporter's text (<= kMaxDetailsBytes)
  std::string reporter_contact;
  absl::Time received_at = absl::UnixEpoch();
  ReportStatus status = ReportStatus::kOpen;
  std::optional<absl::Time> resolved_at;
  std::string resolution_note;
};

struct AuthorityRequest {
  std::string request_id;  // UUID
  std::string received_on;  // YYYY-MM-DD
  std::string kind;         // one of kAuthorityKinds
  std::string jurisdiction;
  std::string outcome;  // one of kAuthorityOutcomes
  absl::Time recorded_at = absl::UnixEpoch();
};

struct AbuseCounts {
  uint64_t reports_received = 0;
  uint64_t links_disabled = 0;  // distinct links
  uint64_t authority_requests = 0;
};

// What the store knows of a link.
struct LinkState {
  bool public_link = false;
  std::optional<absl::Time> disabled_at;
  bool trashed = false;
};

// Persistence seam (PostgreSQL: coordinator/pg/pg_abuse_store.h). UNAVAILABLE when
// the database cannot be reached; INTERNAL otherwise.
class AbuseStore {
 public:
  virtual ~AbuseStore() = default;
  // nullopt if no committed object has that id.
  virtual absl::StatusOr<std::optional<LinkState>> Link(const std::string& object_id) = 0;
  virtual absl::StatusOr<int64_t> OpenReports() = 0;
  virtual absl::Status InsertReport(const AbuseReport& report) = 0;
  virtual absl::StatusOr<std::optional<AbuseReport>> GetReport(const std::string& report_id) = 0;
  // Reports with `status` (nullopt = any), the oldest first, at most `limit`.
  virtual absl::StatusOr<std::vector<AbuseReport>> ListReports(std::optional<ReportStatus> status,
                                                               int limit) = 0;
  // In one transaction: the report (locked) must be open (FAILED_PRECONDITION naming
  // its status otherwise; NOT_FOUND unknown). Sets `to`, `at` and `note`. With
  // kLinkDisabled also turns the object's public link off, sets link_disabled_at
  // (kept if set) and resolves every other open report of that object the same way;
  // the first disable of a link also queues a notice to the object's owner
  // (core/owner_notices.h: object id, `at`, the report's category).
  // Returns the report as resolved.
  virtual absl::StatusOr<AbuseReport> Resolve(const std::string& report_id, ReportStatus to,
                                              const std::string& note, absl::Time at) = 0;
  virtual absl::Status InsertAuthorityRequest(const AuthorityRequest& request) = 0;
  // The most recent first, at most `limit`.
  virtual absl::StatusOr<std::vector<AuthorityRequest>> ListAuthorityRequests(int limit) = 0;
  virtual absl::StatusOr<AbuseCounts> Counts() = 0;

  // The report budget of `network`, shared by every coordinator replica. In one
  // transaction: forgets every network whose window started at or before now - window
  // (so nothing is kept longer than a window); starts the network's window at `now` if
  // it has none; counts one report in it. Returns the reports counted in the window,
  // this one included (capped at limit + 1: refused attempts do not grow it further),
  // and when the window started.
  struct Budget {
    int reports = 0;
    absl::Time window_start;
  };
  virtual absl::StatusOr<Budget> CountReport(const std::string& network, absl::Time now,
                                             absl::Duration window, int limit) = 0;
};

struct AbuseLimits {
  int per_network = 10;                    // reports per network per window (all replicas)
  absl::Duration window = absl::Hours(1);
  int64_t max_open_reports = 100000;       // RESOURCE_EXHAUSTED beyond
};

// The three counters (freehold_abuse_reports_total, freehold_links_disabled_total,
// freehold_authority_requests_total), counted by this replica as events happen.
class AbuseMetrics {
 public:
  explicit AbuseMetrics(prometheus::Registry& registry);
  void CountReport();
  void CountLinksDisabled(int n);
  void CountAuthorityRequest();

 private:
  prometheus::Counter& reports_;
  prometheus::Counter& disabled_;
  prometheus::Counter& authority_;
};

inline constexpr size_t kMaxDetailsBytes = 2000;
inline constexpr size_t kMaxContactBytes = 254;
inline constexpr size_t kMaxNoteBytes = 2000;
inline constexpr size_t kMaxJurisdictionBytes = 64;
inline constexpr const char* kAbuseCategories[] = {
    "illegal_content", "child_abuse", "copyright", "malware", "phishing",
    "harassment",      "terrorism",   "other"};
inline constexpr const char* kAuthorityKinds[] = {
    "subpoena", "court_order", "search_warrant", "emergency", "preservation", "takedown",
    "other"};
inline constexpr const char* kAuthorityOutcomes[] = {
    "pending", "rejected", "no_data", "metadata_disclosed", "link_disabled", "other"};

// The network a gRPC peer string ("ipv4:1.2.3.4:5", "ipv6:[::1]:5", "unix:...") belongs
// to for rate limiting: "1.2.3.0/24", the first 48 bits of an IPv6 address + "::/48",
// or the whole string for anything else.
std::string NetworkOfPeer(absl::string_view peer);

// The object id a reported link names: a UUID, or "freehold://<uuid>" (the link
// without its '#' part). INVALID_ARGUMENT for a '#' (the key must never be sent) or
// anything malformed.
absl::StatusOr<std::string> ObjectIdOfLink(absl::string_view link);

struct ReportInput {
  std::string link;  // object id or freehold://<id>
  std::string category;
  std::string details;
  std::string reporter_contact;
};

struct AuthorityRequestInput {
  std::string received_on;  // YYYY-MM-DD, not in the future
  std::string kind;
  std::string jurisdiction;
  std::string outcome;
};

// Thread-safe; dependencies must outlive it. `metrics` may be null.
class AbuseDesk {
 public:
  static constexpr int kDefaultPageSize = 100;
  static constexpr int kMaxPageSize = 1000;

  AbuseDesk(AbuseStore& store, Clock& clock, AbuseMetrics* metrics, Logger log,
            AbuseLimits limits = {});

  // Anyone. Returns the report id. INVALID_ARGUMENT naming the field; NOT_FOUND no
  // public link to that object; FAILED_PRECONDITION the link was already disabled
  // after a report; RESOURCE_EXHAUSTED too many reports from `network` (retry later)
  // or too many open reports.
  absl::StatusOr<std::string> Report(const ReportInput& in, const std::string& network);

  // Operator calls (the caller checks the role).
  absl::StatusOr<std::vector<AbuseReport>> List(const std::string& status_name, int page_size);
  absl::StatusOr<AbuseReport> Get(const std::string& report_id);
  absl::StatusOr<AbuseReport> Dismiss(const std::string& report_id, const std::string& note);
  absl::StatusOr<AbuseReport> DisableLink(const std::string& report_id, const std::string& note);
  absl::StatusOr<std::string> RecordAuthorityRequest(const AuthorityRequestInput& in);
  absl::StatusOr<std::vector<AuthorityRequest>> ListAuthorityRequests(int page_size);

  // Public.
  absl::StatusOr<AbuseCounts> Counts();

 private:
  absl::Status Admit(const std::string& network);
  absl::StatusOr<AbuseReport> Resolve(const std::string& report_id, ReportStatus to,
                                      const std::string& note);

  AbuseStore& store_;
  Clock& clock_;
  AbuseMetrics* metrics_;
  Logger log_;
  const AbuseLimits limits_;
};

// The error strangers get for a link disabled after an abuse report.
absl::Status LinkDisabledError(const std::string& object_id, absl::Time at);

}  // namespace freehold::coordinator
