#include "coordinator/core/abuse_desk.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "common/status.h"
#include "coordinator/core/ids.h"
#include "coordinator/core/text_rules.h"
#include "prometheus/counter.h"
#include "prometheus/registry.h"

namespace freehold::coordinator {
namespace {

constexpr absl::string_view kLinkScheme = "freehold://";

absl::Status CheckText(absl::string_view value, absl::string_view field, size_t max_bytes,
                       bool multiline) {
  if (value.size() > max_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": at most ", max_bytes, " bytes (got ", value.size(), ")"));
  }
  if (!IsCleanText(value, multiline)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": must be valid UTF-8 without control characters"));
  }
  return absl::OkStatus();
}

template <size_t N>
absl::Status CheckOneOf(absl::string_view value, absl::string_view field,
                        const char* const (&allowed)[N]) {
  for (const char* a : allowed) {
    if (value == a) return absl::OkStatus();
  }
  // The value itself is not echoed (it may be anything); the choices are.
  return absl::InvalidArgumentError(
      absl::StrCat(field, ": must be one of ", absl::StrJoin(allowed, ", ")));
}

bool ParseDay(absl::string_view text, absl::Time* out) {
  std::string err;
  return text.size() == 10 &&
         absl::ParseTime("%Y-%m-%d", std::string(text), absl::UTCTimeZone(), out, &err);
}

}  // namespace

const char* ReportStatusName(ReportStatus s) {
  switch (s) {
    case ReportStatus::kOpen:
      return "open";
    case ReportStatus::kDismissed:
      return "dismissed";
    case ReportStatus::kLinkDisabled:
      return "link_disabled";
  }
  return "unknown";
}

AbuseMetrics::AbuseMetrics(prometheus::Registry& registry)
    : reports_(prometheus::BuildCounter()
                   .Name("freehold_abuse_reports_total")
                   .Help("Abuse reports of public links received (this replica)")
                   .Register(registry)
                   .Add({})),
      disabled_(prometheus::BuildCounter()
                    .Name("freehold_links_disabled_total")
                    .Help("Public links disabled by an operator after an abuse report")
                    .Register(registry)
                    .Add({})),
      authority_(prometheus::BuildCounter()
                     .Name("freehold_authority_requests_total")
                     .Help("Requests from authorities recorded by an operator")
                     .Register(registry)
                     .Add({})) {}

void AbuseMetrics::CountReport() { reports_.Increment(); }
void AbuseMetrics::CountLinksDisabled(int n) { disabled_.Increment(n); }
void AbuseMetrics::CountAuthorityRequest() { authority_.Increment(); }

std::string NetworkOfPeer(absl::string_view peer) {
  if (absl::ConsumePrefix(&peer, "ipv4:")) {
    const size_t colon = peer.rfind(':');
    const std::string host(colon == absl::string_view::npos ? peer : peer.substr(0, colon));
    in_addr a{};
    if (inet_pton(AF_INET, host.c_str(), &a) == 1) {
      const unsigned char* b = reinterpret_cast<const unsigned char*>(&a.s_addr);
      return absl::StrCat(b[0], ".", b[1], ".", b[2], ".0/24");
    }
  } else if (absl::ConsumePrefix(&peer, "ipv6:")) {
    absl::string_view host = peer;
    if (absl::ConsumePrefix(&host, "[")) host = host.substr(0, host.find(']'));
    const std::string h(host.substr(0, host.find('%')));
    in6_addr a{};
    if (inet_pton(AF_INET6, h.c_str(), &a) == 1) {
      // An IPv4-mapped address is its IPv4 network.
      static constexpr unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
      if (std::memcmp(a.s6_addr, kMapped, 12) == 0) {
        return absl::StrCat(a.s6_addr[12], ".", a.s6_addr[13], ".", a.s6_addr[14], ".0/24");
      }
      char buf[64];
      snprintf(buf, sizeof buf, "%02x%02x:%02x%02x:%02x%02x::/48", a.s6_addr[0], a.s6_addr[1],
               a.s6_addr[2], a.s6_addr[3], a.s6_addr[4], a.s6_addr[5]);
      return buf;
    }
  }
  return std::string(peer);
}

absl::StatusOr<std::string> ObjectIdOfLink(absl::string_view link) {
  if (link.empty()) {
    return absl::InvalidArgumentError("link: required (freehold://<object-id> or the object id)");
  }
  if (link.find('#') != absl::string_view::npos) {
    // Never echoed: the part after '#' is the key that opens the file.
    return absl::InvalidArgumentError(
        "link: send it without the part after '#' (the link's key must never reach a server)");
  }
  if (link.size() > 256) return absl::InvalidArgumentError("link: at most 256 bytes");
  absl::ConsumePrefix(&link, kLinkScheme);
  absl::StatusOr<std::string> id = CanonicalUuid(link, "link");
  if (!id.ok()) {
    return absl::InvalidArgumentError(
        "link: must be freehold://<object-id> or an object id (a UUID)");
  }
  return id;
}

absl::Status LinkDisabledError(const std::string& object_id, absl::Time at) {
  return absl::FailedPreconditionError(
      absl::StrCat("the public link to object ", object_id,
                   " was disabled after an abuse report on ",
                   absl::FormatTime("%Y-%m-%d", at, absl::UTCTimeZone())));
}

AbuseDesk::AbuseDesk(AbuseStore& store, Clock& clock, AbuseMetrics* metrics, Logger log,
                     AbuseLimits limits)
    : store_(store), clock_(clock), metrics_(metrics), log_(std::move(log)), limits_(limits) {}

absl::Status AbuseDesk::Admit(const std::string& network) {
  FH_ASSIGN_OR_RETURN(const AbuseStore::Budget budget,
                      store_.CountReport(network, clock_.Now(), limits_.window,
                                         limits_.per_network));
  if (budget.reports > limits_.per_network) {
    const int64_t wait =
        absl::ToInt64Seconds(budget.window_start + limits_.window - clock_.Now()) + 1;
    return absl::ResourceExhaustedError(
        absl::StrCat("too many abuse reports from this network (at most ", limits_.per_network,
                     " per ", absl::FormatDuration(limits_.window), "); try again in ", wait,
                     " s"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> AbuseDesk::Report(const ReportInput& in, const std::string& network) {
  FH_ASSIGN_OR_RETURN(const std::string object_id, ObjectIdOfLink(in.link));
  FH_RETURN_IF_ERROR(CheckOneOf(in.category, "category", kAbuseCategories));
  FH_RETURN_IF_ERROR(CheckText(in.details, "details", kMaxDetailsBytes, /*multiline=*/true));
  FH_RETURN_IF_ERROR(
      CheckText(in.reporter_contact, "reporter_contact", kMaxContactBytes, /*multiline=*/false));
  FH_ASSIGN_OR_RETURN(std::optional<LinkState> link, store_.Link(object_id));
  // The same answer for unknown, private and trashed objects: a report tells nobody
  // whether an object without a public link exists.
  if (!link.has_value() || link->trashed || (!link->public_link && !link->disabled_at)) {
    return absl::NotFoundError(absl::StrCat("no public link to object ", object_id));
  }
  if (link->disabled_at.has_value()) return LinkDisabledError(object_id, *link->disabled_at);
  FH_ASSIGN_OR_RETURN(const int64_t open, store_.OpenReports());
  if (open >= limits_.max_open_reports) {
    return absl::ResourceExhaustedError(
        "too many abuse reports are waiting for review; try again later");
  }
  // Counted only for well-formed reports of a real link, so a typo costs nothing.
  FH_RETURN_IF_ERROR(Admit(network));
  AbuseReport r;
  r.report_id = NewUuid();
  r.object_id = object_id;
  r.category = in.category;
  r.details = in.details;
  r.reporter_contact = in.reporter_contact;
  r.received_at = clock_.Now();
  FH_RETURN_IF_ERROR(store_.InsertReport(r));
  if (metrics_ != nullptr) metrics_->CountReport();
  // Neither the text nor the contact is logged.
  log_.Info("abuse report received",
            {{"report_id", r.report_id}, {"object_id", object_id}, {"category", r.category}});
  return r.report_id;
}

absl::StatusOr<std::vector<AbuseReport>> AbuseDesk::List(const std::string& status_name,
                                                         int page_size) {
  std::optional<ReportStatus> status;
  if (status_name == "open") {
    status = ReportStatus::kOpen;
  } else if (status_name == "dismissed") {
    status = ReportStatus::kDismissed;
  } else if (status_name == "link_disabled") {
    status = ReportStatus::kLinkDisabled;
  } else if (!status_name.empty() && status_name != "all") {
    return absl::InvalidArgumentError(
        "status: must be open, dismissed, link_disabled, all or empty (all)");
  }
  if (page_size < 0 || page_size > kMaxPageSize) {
    return absl::InvalidArgumentError(absl::StrCat("page_size: at most ", kMaxPageSize));
  }
  return store_.ListReports(status, page_size == 0 ? kDefaultPageSize : page_size);
}

absl::StatusOr<AbuseReport> AbuseDesk::Get(const std::string& raw_id) {
  FH_ASSIGN_OR_RETURN(const std::string id, CanonicalUuid(raw_id, "report_id"));
  FH_ASSIGN_OR_RETURN(std::optional<AbuseReport> r, store_.GetReport(id));
  if (!r.has_value()) return absl::NotFoundError(absl::StrCat("abuse report ", id, " not found"));
  return *std::move(r);
}

absl::StatusOr<AbuseReport> AbuseDesk::Resolve(const std::string& raw_id, ReportStatus to,
                                               const std::string& note) {
  FH_ASSIGN_OR_RETURN(const std::string id, CanonicalUuid(raw_id, "report_id"));
  FH_RETURN_IF_ERROR(CheckText(note, "note", kMaxNoteBytes, /*multiline=*/true));
  return store_.Resolve(id, to, note, clock_.Now());
}

absl::StatusOr<AbuseReport> AbuseDesk::Dismiss(const std::string& report_id,
                                               const std::string& note) {
  FH_ASSIGN_OR_RETURN(AbuseReport r, Resolve(report_id, ReportStatus::kDismissed, note));
  log_.Info("abuse report dismissed", {{"report_id", r.report_id}});
  return r;
}

absl::StatusOr<AbuseReport> AbuseDesk::DisableLink(const std::string& report_id,
                                                   const std::string& note) {
  FH_ASSIGN_OR_RETURN(AbuseReport r, Resolve(report_id, ReportStatus::kLinkDisabled, note));
  if (metrics_ != nullptr) metrics_->CountLinksDisabled(1);
  log_.Info("public link disabled after an abuse report",
            {{"report_id", r.report_id}, {"object_id", r.object_id}});
  return r;
}

absl::StatusOr<std::string> AbuseDesk::RecordAuthorityRequest(const AuthorityRequestInput& in) {
  absl::Time day;
  if (!ParseDay(in.received_on, &day)) {
    return absl::InvalidArgumentError("received_on: must be a date YYYY-MM-DD");
  }
  const absl::Time now = clock_.Now();
  if (day > now) return absl::InvalidArgumentError("received_on: must not be in the future");
  FH_RETURN_IF_ERROR(CheckOneOf(in.kind, "kind", kAuthorityKinds));
  FH_RETURN_IF_ERROR(CheckOneOf(in.outcome, "outcome", kAuthorityOutcomes));
  if (in.jurisdiction.empty()) {
    return absl::InvalidArgumentError("jurisdiction: required (e.g. DE, US-CA)");
  }
  FH_RETURN_IF_ERROR(
      CheckText(in.jurisdiction, "jurisdiction", kMaxJurisdictionBytes, /*multiline=*/false));
  AuthorityRequest r;
  r.request_id = NewUuid();
  r.received_on = absl::FormatTime("%Y-%m-%d", day, absl::UTCTimeZone());
  r.kind = in.kind;
  r.jurisdiction = in.jurisdiction;
  r.outcome = in.outcome;
  r.recorded_at = now;
  FH_RETURN_IF_ERROR(store_.InsertAuthorityRequest(r));
  if (metrics_ != nullptr) metrics_->CountAuthorityRequest();
  log_.Info("authority request recorded", {{"request_id", r.request_id}, {"kind", r.kind}});
  return r.request_id;
}

absl::StatusOr<std::vector<AuthorityRequest>> AbuseDesk::ListAuthorityRequests(int page_size) {
  if (page_size < 0 || page_size > kMaxPageSize) {
    return absl::InvalidArgumentError(absl::StrCat("page_size: at most ", kMaxPageSize));
  }
  return store_.ListAuthorityRequests(page_size == 0 ? kDefaultPageSize : page_size);
}

absl::StatusOr<AbuseCounts> AbuseDesk::Counts() { return store_.Counts(); }

}  // namespace freehold::coordinator
