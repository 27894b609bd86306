// InventoryStore over PostgreSQL (schema "coordinator", migration 0006): the nodes'
// reported inventories beside what the manifests place on them.
#pragma once

#include "common/pg.h"
#include "coordinator/core/inventory.h"

namespace freehold::coordinator {

// Thread-safe; the pool must outlive it and use CoordinatorPoolOptions.
class PgInventoryStore : public InventoryStore {
 public:
  explicit PgInventoryStore(PgPool& pool) : pool_(pool) {}

  absl::Status Record(const std::string& node_id, const Inventory& reported) override;
  absl::StatusOr<std::vector<InventoryReport>> Reports() override;
  // Computed in SQL (sha256() and bit_xor over four 64-bit words), without shipping the
  // keys; must equal InventoryOf(ExpectedKeys(node_id)).
  absl::StatusOr<Inventory> Expected(const std::string& node_id) override;
  absl::StatusOr<std::vector<std::string>> ExpectedKeys(const std::string& node_id) override;
  // Migration 0009: nodes.inventory_epoch.
  absl::Status NodeStarted(const std::string& node_id) override;

 private:
  PgPool& pool_;
};

}  // namespace freehold::coordinator
