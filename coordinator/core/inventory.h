// Inventory reconciliation (docs/ARCHITECTURE.md#10-keeping-data-alive): a node that lost
// shard files but kept its identity (a replaced disk, files deleted behind its back and a
// restart) must not keep counting as holding them.
//
// Each heartbeat carries the node's intact-shard count and the XOR of SHA-256(key) over
// its keys (order-independent). The leader compares, for every node whose report changed
// since the node was last found consistent, that pair with the one the manifests give
// (HEALTHY shards placed on the node). When they differ it lists the node's keys
// (StorageNode.ListShards, coordinator-only) and marks MISSING every shard that was
// HEALTHY on the node before the listing began and is absent from the list; repair then
// rebuilds them at once. Shards the node holds beyond the manifests (uploads in
// progress, deletions not yet sent, orphans) are not this check's business.
//
// Race freedom: the manifests' keys are read BEFORE the listing. A shard HEALTHY then had
// a receipt, so it was on the node's disk before the listing began; if it is missing from
// the list the node lost it. A shard moved or deleted meanwhile is no longer HEALTHY on
// that node, and MarkMissing only touches rows still HEALTHY on it.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/logging.h"
#include "coordinator/core/store.h"

namespace freehold::coordinator {

// A count and a 32-byte XOR digest of SHA-256(shard key) over a set of keys.
struct Inventory {
  uint64_t count = 0;
  std::string digest;  // 32 raw bytes (all zero for the empty set)
  bool operator==(const Inventory& o) const { return count == o.count && digest == o.digest; }
};

// Pure: the Inventory of `keys`.
Inventory InventoryOf(const std::vector<std::string>& keys);

struct InventoryReport {
  std::string node_id;
  std::string address;
  Inventory reported;
  int64_t epoch = 0;  // the node's registrations so far (InventoryStore::NodeStarted)
};

// Persistence (coordinator/pg/pg_inventory_store.h). UNAVAILABLE when the database
// cannot be reached.
class InventoryStore {
 public:
  virtual ~InventoryStore() = default;
  // Stores the node's latest report (a no-op when unchanged).
  virtual absl::Status Record(const std::string& node_id, const Inventory& reported) = 0;
  // Latest reports of nodes that are UP or DRAINING.
  virtual absl::StatusOr<std::vector<InventoryReport>> Reports() = 0;
  // What the manifests place on the node: its HEALTHY shards.
  virtual absl::StatusOr<Inventory> Expected(const std::string& node_id) = 0;
  // Keys of the node's HEALTHY shards, ascending.
  virtual absl::StatusOr<std::vector<std::string>> ExpectedKeys(const std::string& node_id) = 0;
  // The node (re)registered: a daemon start. Advances its epoch.
  virtual absl::Status NodeStarted(const std::string& node_id) = 0;
};

// StorageNode.ListShards of a daemon, every page. Thread-safe.
class InventoryLister {
 public:
  virtual ~InventoryLister() = default;
  virtual absl::StatusOr<std::vector<std::string>> ListShards(const std::string& address) = 0;
};

struct InventoryCheckResult {
  int nodes_checked = 0;
  int nodes_listed = 0;    // reports that differed: keys listed
  int shards_missing = 0;  // marked MISSING
};

class InventoryReconciler {
 public:
  // `registry` may be null (no metrics). All references must outlive this object.
  InventoryReconciler(InventoryStore& inventory, MetadataStore& store, InventoryLister& lister,
                      prometheus::Registry* registry, Logger log);

  // From a verified heartbeat: remembers the report. INVALID_ARGUMENT for a digest that
  // is not 32 bytes; an empty digest (an older daemon) is ignored.
  absl::Status Report(const std::string& node_id, uint64_t count, const std::string& digest);

  // From a verified registration (a daemon start, on any replica): the node is compared
  // again at the next pass even if its report equals the one last found consistent.
  absl::Status NodeRegistered(const std::string& node_id);

  // One pass over the nodes (leader only). A node whose report and epoch are those last
  // found consistent is skipped: while a daemon runs, a lost shard changes its report.
  // Across a restart it may not: a daemon that lost every file reports the empty
  // inventory, which may be the very report found consistent before its first shards
  // (when no pass saw the reports in between); the epoch catches that.
  absl::StatusOr<InventoryCheckResult> RunOnce();

 private:
  absl::StatusOr<int> Reconcile(const InventoryReport& report);

  InventoryStore& inventory_;
  MetadataStore& store_;
  InventoryLister& lister_;
  Logger log_;
  prometheus::Counter* checks_match_ = nullptr;
  prometheus::Counter* checks_mismatch_ = nullptr;
  prometheus::Counter* checks_error_ = nullptr;
  prometheus::Counter* missing_ = nullptr;
  absl::Mutex mu_;
  struct Consistent {
    Inventory reported;
    int64_t epoch = 0;
    bool operator==(const Consistent& o) const {
      return reported == o.reported && epoch == o.epoch;
    }
  };
  std::map<std::string, Consistent> consistent_ ABSL_GUARDED_BY(mu_);  // by node id
};

}  // namespace freehold::coordinator
