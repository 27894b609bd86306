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
                           .Add({})) {
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
