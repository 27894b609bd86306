// Leader election among replicas of one service over PostgreSQL: the leader is the
// replica whose dedicated session holds pg_try_advisory_lock(lock_key) on the primary.
//
//   freehold::LeaderLease lease({.connection_string = url,
//                                .lock_key = freehold::kAccountsLeaderLockKey,
//                                .gauge = &leader_gauge});   // freehold_<svc>_leader 0/1
//   lease.Start();                 // checks every check_interval on its own thread
//   ...  lease.RunIfLeader([&] { return PurgeOnce(); });
//
// Leadership follows the session: when the leader dies, or its connection drops (a
// PostgreSQL failover, pg_terminate_backend, a network cut detected by TCP keepalives
// or tcp_user_timeout), PostgreSQL releases the lock and another replica takes it on its
// next check, so work passes on within about one check_interval (plus, for a network
// cut, the keepalive time). A replica that loses its session stops leading at its next
// check and reconnects (a multi-host URL with target_session_attrs=read-write finds the
// new primary after a failover; a session that lands on a standby never leads).
// See common/leader_gate.h for what gated work must tolerate.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <pqxx/connection>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/leader_gate.h"

namespace prometheus {
class Gauge;
class Registry;
}  // namespace prometheus

namespace freehold {

// Advisory lock keys, one per service (the ASCII of "fh" + a service tag). Distinct
// services may share one database without contending.
inline constexpr int64_t kCoordinatorLeaderLockKey = 0x66686364;  // "fhcd"
inline constexpr int64_t kAccountsLeaderLockKey = 0x66686163;     // "fhac"
inline constexpr int64_t kDonationsLeaderLockKey = 0x6668646e;    // "fhdn"

struct LeaderLeaseOptions {
  std::string connection_string;  // libpq URI or keyword form; multi-host allowed
  int64_t lock_key = 0;
  absl::Duration check_interval = absl::Seconds(2);  // Start()'s period
  absl::Duration connect_timeout = absl::Seconds(5);
  absl::Duration statement_timeout = absl::Seconds(5);
  std::string application_name = "freehold-leader";
  prometheus::Gauge* gauge = nullptr;  // set to 1 while leading, else 0 (may be null)
};

class LeaderLease : public LeaderGate {
 public:
  explicit LeaderLease(LeaderLeaseOptions options);
  ~LeaderLease() override;  // Stop(); closing the session releases the lock
  LeaderLease(const LeaderLease&) = delete;
  LeaderLease& operator=(const LeaderLease&) = delete;

  // One check (one round trip, or a connect and one): confirms the lock is still held
  // or tries to take it. Returns and records whether this replica now leads. Never
  // throws; database errors mean "not leading" and the session is re-opened next time.
  bool Check();
  bool IsLeader() const override { return leading_.load(std::memory_order_acquire); }
  // When the current leadership began (this process's clock): the check that took the
  // lock, so a new session after a failover starts a new term. InfiniteFuture while not
  // leading. Work that judges others by their silence (node liveness) waits a full
  // period after this, since what was sent during the outage did not arrive.
  absl::Time leading_since() const {
    const int64_t ns = leading_since_ns_.load(std::memory_order_acquire);
    return ns == INT64_MAX ? absl::InfiniteFuture() : absl::FromUnixNanos(ns);
  }

  // Checks now, then every check_interval on a thread until Stop(). Idempotent.
  void Start();
  // Stops the thread, closes the session (releasing the lock) and stops leading.
  // Final: Start and Check do nothing afterwards.
  void Stop();

  const LeaderLeaseOptions& options() const { return options_; }

 private:
  void SetLeading(bool leading);

  const LeaderLeaseOptions options_;
  const std::string connection_string_;  // with timeouts and keepalives added
  absl::Mutex mu_;                       // serialises Check and Stop
  std::unique_ptr<pqxx::connection> conn_ ABSL_GUARDED_BY(mu_);
  std::atomic<bool> leading_{false};
  std::atomic<int64_t> leading_since_ns_{INT64_MAX};
  absl::Notification stop_;
  std::thread thread_;
};

// Registers the gauge freehold_<service>_leader (1 while this replica leads, else 0)
// in `registry` and returns it, for LeaderLeaseOptions::gauge.
prometheus::Gauge& AddLeaderGauge(prometheus::Registry& registry, const std::string& service);

}  // namespace freehold
