// NodeDonationStore over PostgreSQL (schema "coordinator", migration 0019_donated).
#pragma once

#include "common/pg.h"
#include "coordinator/core/node_donations.h"

namespace freehold::coordinator {

// Thread-safe; the pool must outlive it and use CoordinatorPoolOptions.
class PgNodeDonations : public NodeDonationStore {
 public:
  explicit PgNodeDonations(PgPool& pool) : pool_(pool) {}

  // FAILED_PRECONDITION if the node id has no admission row (foreign key).
  absl::Status Upsert(const NodeDonation& donation) override;
  absl::StatusOr<bool> Remove(const std::string& node_id) override;
  absl::StatusOr<std::vector<NodeDonation>> List() override;

 private:
  PgPool& pool_;
};

}  // namespace freehold::coordinator
