#include "services/accounts/pg/pg_login_throttle.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/accounts/core/fair_use_limiter.h"

namespace freehold::accounts {
namespace {

int64_t Micros(absl::Time t) { return absl::ToUnixMicros(t); }
pqxx::binarystring Bytes(const std::string& s) { return pqxx::binarystring(s); }

// Bumps one counter (forgetting it after `memory_us` without failures) and returns the
// new count.
int Bump(PgTxn& txn, const std::string& key, int64_t now_us, int64_t memory_us) {
  pqxx::result r = txn.exec_params(
      "INSERT INTO login_throttle AS t (key, failures, last_failure_us, blocked_until_us) "
      "VALUES ($1, 1, $2, 0) ON CONFLICT (key) DO UPDATE SET "
      "failures = CASE WHEN t.last_failure_us < $2 - $3 THEN 1 ELSE t.failures + 1 END, "
      "last_failure_us = $2 RETURNING failures",
      Bytes(key), now_us, memory_us);
  return r[0][0].as<int>();
}

}  // namespace

PgLoginThrottle::PgLoginThrottle(PgPool& pool, const Pepper& pepper, LoginThrottleConfig config)
    : pool_(pool), pepper_(pepper), config_(config) {}

std::string PgLoginThrottle::HandleKey(std::string_view handle, std::string_view address) const {
  std::string name = "h";
  name.push_back('\0');
  name.append(handle);
  name.push_back('\0');
  name.append(ThrottleNetwork(address));
  return pepper_.ThrottleKey(name);
}

std::string PgLoginThrottle::NetworkKey(std::string_view address) const {
  std::string name = "n";
  name.push_back('\0');
  name.append(ThrottleNetwork(address));
  return pepper_.ThrottleKey(name);
}

absl::StatusOr<bool> PgLoginThrottle::Check(std::string_view handle, std::string_view address,
                                            absl::Time now) {
  const std::string hk = HandleKey(handle, address);
  const std::string nk = address.empty() ? hk : NetworkKey(address);
  struct Row {
    int64_t blocked_until_us = 0;
    bool handle_failures = false;
  };
  absl::StatusOr<Row> row = pool_.RunAutocommit([&](PgTxn& txn) -> Row {
    pqxx::result r = txn.exec_params(
        "SELECT COALESCE(max(blocked_until_us), 0), COALESCE(bool_or(key = $1), false) "
        "FROM login_throttle WHERE key IN ($1, $2)",
        Bytes(hk), Bytes(nk));
    return Row{r[0][0].as<int64_t>(), r[0][1].as<bool>()};
  });
  if (!row.ok()) return row.status();
  const absl::Time blocked_until = absl::FromUnixMicros(row->blocked_until_us);
  if (blocked_until > now) {
    return RetryLaterError("too many failed attempts for this handle from this network",
                           blocked_until - now);
  }
  return row->handle_failures;
}

absl::Status PgLoginThrottle::RecordFailure(std::string_view handle, std::string_view address,
                                            absl::Time now) {
  const std::string hk = HandleKey(handle, address);
  const std::string nk = NetworkKey(address);
  const int64_t now_us = Micros(now);
  const int64_t memory_us = absl::ToInt64Microseconds(config_.memory);
  return pool_.Run([&](PgTxn& txn) {
    const int h = Bump(txn, hk, now_us, memory_us);
    absl::Duration delay = config_.DelayAfter(h, config_.free_failures_per_handle);
    if (!address.empty()) {
      const int n = Bump(txn, nk, now_us, memory_us);
      const absl::Duration nd = config_.DelayAfter(n, config_.free_failures_per_network);
      if (nd > absl::ZeroDuration()) {
        txn.exec_params("UPDATE login_throttle SET blocked_until_us = GREATEST(blocked_until_us, $2) "
                        "WHERE key = $1",
                        Bytes(nk), now_us + absl::ToInt64Microseconds(nd));
      }
    }
    if (delay > absl::ZeroDuration()) {
      txn.exec_params("UPDATE login_throttle SET blocked_until_us = GREATEST(blocked_until_us, $2) "
                      "WHERE key = $1",
                      Bytes(hk), now_us + absl::ToInt64Microseconds(delay));
    }
  });
}

absl::Status PgLoginThrottle::RecordSuccess(std::string_view handle, std::string_view address) {
  const std::string hk = HandleKey(handle, address);
  return pool_.RunAutocommit([&](PgTxn& txn) {
    txn.exec_params("DELETE FROM login_throttle WHERE key = $1", Bytes(hk));
  });
}

}  // namespace freehold::accounts
