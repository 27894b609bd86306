// PostgreSQL implementation of the coordinator's persistence seam (schema
// "coordinator"), its migrations, and leader election with an advisory lock.
#pragma once

#include <memory>
#include <pqxx/pqxx>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/leader_lease.h"
#include "common/pg.h"
#include "coordinator/core/store.h"

namespace freehold::coordinator {

inline constexpr const char* kSchema = "coordinator";

// Pool options for the coordinator (search_path "coordinator").
PgPoolOptions CoordinatorPoolOptions(const std::string& database_url, int size);

// Applies the embedded migrations of schema "coordinator". Returns how many ran.
absl::StatusOr<int> MigrateCoordinatorSchema(PgPool& pool);

// Thread-safe; the pool must outlive it and use CoordinatorPoolOptions.
class PgMetadataStore : public MetadataStore {
 public:
  explicit PgMetadataStore(PgPool& pool) : pool_(pool) {}
  absl::Status Transact(absl::FunctionRef<absl::Status(MetadataTxn&)> body) override;
  absl::Status Read(absl::FunctionRef<absl::Status(MetadataTxn&)> body) override;

 private:
  PgPool& pool_;
};

// The coordinator's LeaderElector: a freehold::LeaderLease (common/leader_lease.h) on
// pg_try_advisory_lock(key). Losing the connection loses leadership; the next
// CheckLeadership reconnects and tries again. Thread-safe.
class PgLeaderElector : public LeaderElector {
 public:
  // `gauge` (may be null) follows leadership: freehold_coordinator_leader.
  PgLeaderElector(std::string database_url, int64_t lock_key, prometheus::Gauge* gauge = nullptr,
                  absl::Duration check_interval = absl::Seconds(2));
  ~PgLeaderElector() override;
  bool CheckLeadership() override { return lease_.Check(); }
  // When this replica's current leadership began (InfiniteFuture if not leading).
  absl::Time leading_since() const { return lease_.leading_since(); }

  // For workers outside BackgroundLoops: `gate().RunIfLeader(...)`. Fresh while
  // StartChecking runs (or BackgroundLoops calls CheckLeadership).
  const freehold::LeaderGate& gate() const { return lease_; }
  // Re-checks every check_interval on a thread (keeps gate() current). Idempotent.
  void StartChecking() { lease_.Start(); }

  // The advisory lock key used by freehold-coordinator.
  static constexpr int64_t kCoordinatorLockKey = freehold::kCoordinatorLeaderLockKey;

 private:
  freehold::LeaderLease lease_;
};

}  // namespace freehold::coordinator
