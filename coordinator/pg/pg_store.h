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

// Holds pg_try_advisory_lock(key) on a dedicated connection. Losing the
// connection loses leadership; the next CheckLeadership reconnects and tries
// again. Thread-safe.
class PgLeaderElector : public LeaderElector {
 public:
  PgLeaderElector(std::string database_url, int64_t lock_key);
  ~PgLeaderElector() override;
  bool CheckLeadership() override;

  // The advisory lock key used by freehold-coordinator.
  static constexpr int64_t kCoordinatorLockKey = 0x66686364;  // "fhcd"

 private:
  const std::string database_url_;
  const int64_t lock_key_;
  absl::Mutex mu_;
  std::unique_ptr<pqxx::connection> conn_ ABSL_GUARDED_BY(mu_);
  bool leading_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace freehold::coordinator
