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
      : nodes_(txn), admissions_(txn), objects_(txn), folders_(txn), segments_(txn), deletions_(txn), stats_(txn), cursors_(txn) {}
  NodeRepository& nodes() override { return nodes_; }
  AdmissionRepository& admissions() override { return admissions_; }
  ObjectRepository& objects() override { return objects_; }
  FolderRepository& folders() override { return folders_; }
  SegmentRepository& segments() override { return segments_; }
  DeletionQueue& deletions() override { return deletions_; }
  StatsRepository& stats() override { return stats_; }
  CursorRepository& cursors() override { return cursors_; }

 private:
  pg_internal::PgNodes nodes_;
  pg_internal::PgAdmissions admissions_;
  pg_internal::PgObjects objects_;
  pg_internal::PgFolders folders_;
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

PgLeaderElector::PgLeaderElector(std::string database_url, int64_t lock_key,
                                 prometheus::Gauge* gauge, absl::Duration check_interval)
    : lease_(freehold::LeaderLeaseOptions{.connection_string = std::move(database_url),
                                          .lock_key = lock_key,
                                          .check_interval = check_interval,
                                          .application_name = "freehold-coordinator-leader",
                                          .gauge = gauge}) {}

PgLeaderElector::~PgLeaderElector() = default;  // closing the session releases the lock

}  // namespace freehold::coordinator
