// OrgOwners over PostgreSQL (schema "coordinator", table org_owners, migration 0014).
#pragma once

#include "common/pg.h"
#include "coordinator/core/org_owners.h"

namespace freehold::coordinator {

// Thread-safe; the pool must outlive it and use CoordinatorPoolOptions.
class PgOrgOwners : public OrgOwners {
 public:
  explicit PgOrgOwners(PgPool& pool) : pool_(pool) {}
  absl::Status Remember(const std::string& org_id) override;
  absl::StatusOr<OrgUsage> Usage() override;

 private:
  PgPool& pool_;
};

}  // namespace freehold::coordinator
