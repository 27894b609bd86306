#include "coordinator/pg/pg_store.h"

#include <pqxx/pqxx>

#include "common/migrations.h"
#include "coordinator/pg/internal/repos.h"
#include "freehold_embedded/coordinator_pg_migrations.h"

namespace freehold::coordinator {
namespace {

class PgTxnRepos : public MetadataTxn {
 public:
  explicit PgTxnRepos(PgTxn& txn)
      : nodes_(txn), admissions_(txn), objects_(txn), segments_(txn), deletions_(txn), stats_(txn), cursors_(txn) {}
  NodeRepository& nodes() override { return nodes_; }
  AdmissionRepository& admissions() override { return admissions_; }
  ObjectRepository& objects() override { return objects_; }
  SegmentRepository& segments() override { return segments_; }
  DeletionQueue& deletions() override { return deletions_; }
  StatsRepository& stats() override { return stats_; }
  CursorRepository& cursors() override { return cursors_; }

 private:
  pg_internal::PgNodes nodes_;
  pg_internal::PgAdmissions admissions_;
  pg_internal::PgObjects objects_;
  pg_internal::PgSegments segments_;
  pg_internal::PgDeletions deletions_;
  pg_internal::PgStats stats_;
  pg_internal::PgCursors cursors_;
};

}  // namespace

PgPoolOptions CoordinatorPoolOptions(const std::string& database_url, int size) {
  PgPoolOptions options;
  options.connection_string = database_url;
  options.size = size;
  options.search_path = kSchema;
  options.application_name = "freehold-coordinator";
  return options;
}

absl::StatusOr<int> MigrateCoordinatorSchema(PgPool& pool) {
  MigrationRunner runner(pool, kSchema, embedded::coordinator_pg_migrations());
  return runner.Apply();
}

absl::Status PgMetadataStore::Transact(absl::FunctionRef<absl::Status(MetadataTxn&)> body) {
  return pool_.RunTransaction(TxMode::kReadWrite, [&](PgTxn& txn) {
    PgTxnRepos repos(txn);
    return body(repos);
  });
}

absl::Status PgMetadataStore::Read(absl::FunctionRef<absl::Status(MetadataTxn&)> body) {
  return pool_.RunTransaction(TxMode::kReadOnly, [&](PgTxn& txn) {
    PgTxnRepos repos(txn);
    return body(repos);
  });
}

PgLeaderElector::PgLeaderElector(std::string database_url, int64_t lock_key)
    : database_url_(std::move(database_url)), lock_key_(lock_key) {}

PgLeaderElector::~PgLeaderElector() {
  absl::MutexLock lock(&mu_);
  conn_.reset();  // closing the session releases the lock
}

bool PgLeaderElector::CheckLeadership() {
  absl::MutexLock lock(&mu_);
  try {
    if (conn_ == nullptr || !conn_->is_open()) {
      leading_ = false;
      conn_ = std::make_unique<pqxx::connection>(database_url_);
    }
    pqxx::nontransaction txn(*conn_);
    if (leading_) {
      // Still holding it? (pg_locks shows our session's advisory locks.)
      pqxx::result r = txn.exec_params(
          "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND "
          "granted AND ((classid::bigint << 32) | objid::bigint) = $1",
          lock_key_);
      leading_ = !r.empty();
      if (leading_) return true;
    }
    leading_ = txn.exec_params("SELECT pg_try_advisory_lock($1)", lock_key_)[0][0].as<bool>();
  } catch (const std::exception&) {
    conn_.reset();
    leading_ = false;
  }
  return leading_;
}

}  // namespace freehold::coordinator
