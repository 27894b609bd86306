// LeaderLease: pg_try_advisory_lock held on a dedicated session.
#include "common/leader_lease.h"

#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <cstdint>
#include <pqxx/pqxx>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace freehold {
namespace {

// Adds libpq parameters the string does not set: a connect timeout, and TCP keepalives
// plus tcp_user_timeout so that a session to a primary that vanished from the network
// (no FIN, no RST) is noticed in seconds, not after the kernel's two hours.
std::string WithSessionParameters(const std::string& conn, absl::Duration connect_timeout) {
  const int64_t secs =
      std::max<int64_t>(2, absl::ToInt64Seconds(absl::Ceil(connect_timeout, absl::Seconds(1))));
  const std::pair<const char*, std::string> params[] = {
      {"connect_timeout", absl::StrCat(secs)},
      {"keepalives", "1"},
      {"keepalives_idle", "5"},
      {"keepalives_interval", "2"},
      {"keepalives_count", "3"},
      {"tcp_user_timeout", "10000"},
  };
  const bool uri = absl::StartsWith(conn, "postgresql://") || absl::StartsWith(conn, "postgres://");
  std::string out = conn;
  for (const auto& [name, value] : params) {
    if (absl::StrContains(conn, name)) continue;
    if (uri) {
      absl::StrAppend(&out, absl::StrContains(out, "?") ? "&" : "?", name, "=", value);
    } else {
      absl::StrAppend(&out, " ", name, "=", value);
    }
  }
  return out;
}

}  // namespace

LeaderLease::LeaderLease(LeaderLeaseOptions options)
    : options_(std::move(options)),
      connection_string_(
          WithSessionParameters(options_.connection_string, options_.connect_timeout)) {
  if (options_.gauge != nullptr) options_.gauge->Set(0);
}

LeaderLease::~LeaderLease() { Stop(); }

void LeaderLease::SetLeading(bool leading) {
  if (leading && !IsLeader()) {
    leading_since_ns_.store(absl::ToUnixNanos(absl::Now()), std::memory_order_release);
  } else if (!leading) {
    leading_since_ns_.store(INT64_MAX, std::memory_order_release);
  }
  leading_.store(leading, std::memory_order_release);
  if (options_.gauge != nullptr) options_.gauge->Set(leading ? 1 : 0);
}

bool LeaderLease::Check() {
  absl::MutexLock lock(&mu_);
  if (stop_.HasBeenNotified()) return false;
  try {
    if (conn_ == nullptr || !conn_->is_open()) {
      conn_.reset();
      auto conn = std::make_unique<pqxx::connection>(connection_string_);
      pqxx::nontransaction setup(*conn);
      setup.exec(absl::StrCat(
          "SET statement_timeout = ", absl::ToInt64Milliseconds(options_.statement_timeout),
          "; SET application_name = ", conn->quote(options_.application_name)));
      conn_ = std::move(conn);
    }
    pqxx::nontransaction txn(*conn_);
    // NULL on a standby (advisory locks there guard nothing); true when this session
    // already holds the lock (pg_locks; taking it again would stack a second hold);
    // else the outcome of trying to take it.
    pqxx::row r = txn.exec_params1(
        "SELECT CASE WHEN pg_is_in_recovery() THEN NULL"
        " WHEN EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory'"
        "   AND pid = pg_backend_pid() AND granted AND objsubid = 1"
        "   AND ((classid::bigint << 32) | objid::bigint) = $1) THEN true"
        " ELSE pg_try_advisory_lock($1) END",
        options_.lock_key);
    if (r[0].is_null()) {
      conn_.reset();  // a standby: reconnect, target_session_attrs finds the primary
      SetLeading(false);
    } else {
      SetLeading(r[0].as<bool>());
    }
  } catch (const std::exception&) {
    conn_.reset();  // a lost session has lost the lock with it
    SetLeading(false);
  }
  return IsLeader();
}

void LeaderLease::Start() {
  absl::MutexLock lock(&mu_);
  if (thread_.joinable() || stop_.HasBeenNotified()) return;
  thread_ = std::thread([this] {
    do {
      Check();
    } while (!stop_.WaitForNotificationWithTimeout(options_.check_interval));
  });
}

void LeaderLease::Stop() {
  std::thread thread;
  {
    absl::MutexLock lock(&mu_);
    if (!stop_.HasBeenNotified()) stop_.Notify();
    thread = std::move(thread_);
  }
  if (thread.joinable()) thread.join();
  absl::MutexLock lock(&mu_);
  conn_.reset();
  SetLeading(false);
}

prometheus::Gauge& AddLeaderGauge(prometheus::Registry& registry, const std::string& service) {
  return prometheus::BuildGauge()
      .Name(absl::StrCat("freehold_", service, "_leader"))
      .Help(absl::StrCat("1 while this ", service,
                         " replica leads the background work (holds the PostgreSQL advisory "
                         "lock), else 0"))
      .Register(registry)
      .Add({});
}

}  // namespace freehold
