// RoleStore over PostgreSQL (table accounts.account_roles, migration 0006).
#pragma once

#include "common/pg.h"
#include "services/accounts/core/roles.h"

namespace freehold::accounts {

// Thread-safe. `pool` must be created with AccountsPoolOptions and outlive this object.
class PgRoleStore : public RoleStore {
 public:
  explicit PgRoleStore(PgPool& pool) : pool_(pool) {}
  absl::StatusOr<std::vector<std::string>> RolesOf(const std::string& account_id) override;
  absl::StatusOr<bool> GrantRole(const std::string& handle, const std::string& role,
                                 const std::string& granted_by, absl::Time now) override;
  absl::StatusOr<bool> RevokeRole(const std::string& handle, const std::string& role) override;
  absl::StatusOr<std::vector<RoleGrant>> ListRoles() override;

 private:
  PgPool& pool_;
};

}  // namespace freehold::accounts
