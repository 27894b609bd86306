// Prometheus metrics of the accounts service (the per-RPC counters and latencies come
// from the common gRPC interceptor):
//   freehold_accounts_logins_total{result}          ok | wrong_credentials | rate_limited |
//                                                   invalid_argument | error
//   freehold_accounts_registrations_total{result}   ok | already_exists | rate_limited |
//                                                   invalid_argument | error
//   freehold_accounts_refreshes_total{result}       ok | reuse_detected | rejected | error
//   freehold_accounts_recoveries_total{result}      ok | rejected | rate_limited | error
//   freehold_accounts_deletions_total
//   freehold_accounts_sessions_active               gauge, refreshed from the database
//   freehold_accounts_lifecycle_accounts{stage}     gauge from the database: cumulative
//                                                   warned | trashed | collected | renewed
//   freehold_accounts_lifecycle_current{state}      gauge: accounts warned | trashed now
//   freehold_accounts_lifecycle_policy_seconds{period}  silence | grace | trash_retention
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace freehold::accounts {

// Thread-safe. The registry must outlive this object.
class AccountsMetrics {
 public:
  explicit AccountsMetrics(prometheus::Registry& registry);

  // Count one outcome; the label is derived from the status code.
  void Login(const absl::Status& result);
  void Registration(const absl::Status& result);
  void Refresh(const absl::Status& result, bool reuse_detected);
  void Recovery(const absl::Status& result);
  void Deletion() { deletions_.Increment(); }
  void SetSessionsActive(double n) { sessions_active_.Set(n); }
  void SetLifecyclePolicy(absl::Duration silence, absl::Duration grace,
                          absl::Duration trash_retention);
  void SetLifecycleTotals(int64_t warned, int64_t trashed, int64_t collected, int64_t renewed,
                          int64_t warned_now, int64_t trashed_now);

 private:
  prometheus::Family<prometheus::Counter>& logins_;
  prometheus::Family<prometheus::Counter>& registrations_;
  prometheus::Family<prometheus::Counter>& refreshes_;
  prometheus::Family<prometheus::Counter>& recoveries_;
  prometheus::Counter& deletions_;
  prometheus::Gauge& sessions_active_;
  prometheus::Family<prometheus::Gauge>& lifecycle_accounts_;
  prometheus::Family<prometheus::Gauge>& lifecycle_current_;
  prometheus::Family<prometheus::Gauge>& lifecycle_policy_;
};

}  // namespace freehold::accounts
