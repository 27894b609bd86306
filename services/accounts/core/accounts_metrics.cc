#include "services/accounts/core/accounts_metrics.h"

namespace freehold::accounts {
namespace {

std::string Label(const absl::Status& s, const char* already_exists_label) {
  switch (s.code()) {
    case absl::StatusCode::kOk:
      return "ok";
    case absl::StatusCode::kUnauthenticated:
      return "wrong_credentials";
    case absl::StatusCode::kResourceExhausted:
      return "rate_limited";
    case absl::StatusCode::kInvalidArgument:
      return "invalid_argument";
    case absl::StatusCode::kAlreadyExists:
      return already_exists_label;
    default:
      return "error";
  }
}

}  // namespace

AccountsMetrics::AccountsMetrics(prometheus::Registry& registry)
    : logins_(prometheus::BuildCounter()
                  .Name("freehold_accounts_logins_total")
                  .Help("Login attempts by result")
                  .Register(registry)),
      registrations_(prometheus::BuildCounter()
                         .Name("freehold_accounts_registrations_total")
                         .Help("Registration attempts by result")
                         .Register(registry)),
      refreshes_(prometheus::BuildCounter()
                     .Name("freehold_accounts_refreshes_total")
                     .Help("Refresh-token rotations by result")
                     .Register(registry)),
      recoveries_(prometheus::BuildCounter()
                      .Name("freehold_accounts_recoveries_total")
                      .Help("Recovery-key logins by result")
                      .Register(registry)),
      deletions_(prometheus::BuildCounter()
                     .Name("freehold_accounts_deletions_total")
                     .Help("Accounts deleted")
                     .Register(registry)
                     .Add({})),
      sessions_active_(prometheus::BuildGauge()
                           .Name("freehold_accounts_sessions_active")
                           .Help("Sessions neither revoked nor expired (from the database)")
                           .Register(registry)
                           .Add({})),
      lifecycle_accounts_(prometheus::BuildGauge()
                              .Name("freehold_accounts_lifecycle_accounts")
                              .Help("Accounts ever warned, trashed or collected for silence, "
                                    "or renewed after a warning (from the database)")
                              .Register(registry)),
      lifecycle_current_(prometheus::BuildGauge()
                             .Name("freehold_accounts_lifecycle_current")
                             .Help("Accounts warned or trashed for silence right now")
                             .Register(registry)),
      lifecycle_policy_(prometheus::BuildGauge()
                            .Name("freehold_accounts_lifecycle_policy_seconds")
                            .Help("Abandoned-account policy: silence before the warning, "
                                  "grace before the trash, trash retention (0: disabled)")
                            .Register(registry)) {
  // Pre-create the common series so dashboards see zeros instead of gaps.
  for (const char* r : {"ok", "wrong_credentials", "rate_limited", "invalid_argument", "error"}) {
    logins_.Add({{"result", r}});
  }
  for (const char* r : {"ok", "already_exists", "rate_limited", "invalid_argument", "error"}) {
    registrations_.Add({{"result", r}});
  }
  for (const char* r : {"ok", "reuse_detected", "rejected", "error"}) {
    refreshes_.Add({{"result", r}});
  }
  for (const char* r : {"ok", "rejected", "rate_limited", "error"}) {
    recoveries_.Add({{"result", r}});
  }
}

void AccountsMetrics::SetLifecyclePolicy(absl::Duration silence, absl::Duration grace,
                                         absl::Duration trash_retention) {
  lifecycle_policy_.Add({{"period", "silence"}}).Set(absl::ToDoubleSeconds(silence));
  lifecycle_policy_.Add({{"period", "grace"}}).Set(absl::ToDoubleSeconds(grace));
  lifecycle_policy_.Add({{"period", "trash_retention"}})
      .Set(absl::ToDoubleSeconds(trash_retention));
}

void AccountsMetrics::SetLifecycleTotals(int64_t warned, int64_t trashed, int64_t collected,
                                         int64_t renewed, int64_t warned_now,
                                         int64_t trashed_now) {
  lifecycle_accounts_.Add({{"stage", "warned"}}).Set(static_cast<double>(warned));
  lifecycle_accounts_.Add({{"stage", "trashed"}}).Set(static_cast<double>(trashed));
  lifecycle_accounts_.Add({{"stage", "collected"}}).Set(static_cast<double>(collected));
  lifecycle_accounts_.Add({{"stage", "renewed"}}).Set(static_cast<double>(renewed));
  lifecycle_current_.Add({{"state", "warned"}}).Set(static_cast<double>(warned_now));
  lifecycle_current_.Add({{"state", "trashed"}}).Set(static_cast<double>(trashed_now));
}

void AccountsMetrics::Login(const absl::Status& result) {
  logins_.Add({{"result", Label(result, "error")}}).Increment();
}

void AccountsMetrics::Registration(const absl::Status& result) {
  std::string label = Label(result, "already_exists");
  if (label == "wrong_credentials") label = "error";
  registrations_.Add({{"result", label}}).Increment();
}

void AccountsMetrics::Refresh(const absl::Status& result, bool reuse_detected) {
  std::string label = reuse_detected ? "reuse_detected"
                      : result.ok()  ? "ok"
                      : result.code() == absl::StatusCode::kUnauthenticated ||
                              result.code() == absl::StatusCode::kInvalidArgument
                          ? "rejected"
                          : "error";
  refreshes_.Add({{"result", label}}).Increment();
}

void AccountsMetrics::Recovery(const absl::Status& result) {
  std::string label = Label(result, "error");
  if (label == "wrong_credentials" || label == "invalid_argument") label = "rejected";
  recoveries_.Add({{"result", label}}).Increment();
}

}  // namespace freehold::accounts
