// Operator and admin roles held by accounts (migration 0006, README "Roles").
//
// A role is a scope added to the account's access tokens at login and refresh, so the
// other services authorize their operator calls offline from the signed token
// (donations: "donations:admin"; coordinator: "coordinator:operator"). Roles are
// granted and revoked by accounts holding "accounts:admin" (checked against the
// database on every call, so a revoked admin loses the power at once); the first admin
// is made by `freehold-accounts --bootstrap-admin HANDLE`. A revoked role leaves the
// account's tokens at the next refresh (access tokens live --access-token-lifetime).
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "services/accounts/core/types.h"

namespace freehold::accounts {

inline constexpr char kRoleAccountsAdmin[] = "accounts:admin";
inline constexpr char kRoleDonationsAdmin[] = "donations:admin";
inline constexpr char kRoleCoordinatorOperator[] = "coordinator:operator";

// Every role, sorted.
const std::vector<std::string>& KnownRoles();
// INVALID_ARGUMENT "role: unknown role \"x\" (known: ...)" otherwise.
absl::Status ValidateRole(absl::string_view role);

struct RoleGrant {
  std::string account_id;
  std::string handle;
  std::string role;
  std::string granted_by;  // account id; empty for the bootstrap command
  absl::Time granted_at;
};

// The roles' storage. Thread-safe.
class RoleStore {
 public:
  virtual ~RoleStore() = default;
  // The roles of a live account (none for a deleted or unknown one), sorted.
  virtual absl::StatusOr<std::vector<std::string>> RolesOf(const std::string& account_id) = 0;
  // true if added, false if held already. NOT_FOUND if no live account has `handle`.
  virtual absl::StatusOr<bool> GrantRole(const std::string& handle, const std::string& role,
                                         const std::string& granted_by, absl::Time now) = 0;
  // true if removed, false if not held. NOT_FOUND if no live account has `handle`.
  virtual absl::StatusOr<bool> RevokeRole(const std::string& handle, const std::string& role) = 0;
  // Every grant, by handle then role.
  virtual absl::StatusOr<std::vector<RoleGrant>> ListRoles() = 0;
};

// The role RPCs' rules. Thread-safe.
class RoleService {
 public:
  RoleService(RoleStore& store, Clock& clock) : store_(store), clock_(clock) {}

  // `caller` must hold accounts:admin now (PERMISSION_DENIED otherwise); INVALID_ARGUMENT
  // for a bad handle or role; NOT_FOUND for an unknown handle. An admin cannot revoke
  // their own accounts:admin (FAILED_PRECONDITION), so the last admin is never lost
  // by mistake.
  absl::StatusOr<bool> Grant(const AuthContext& caller, const std::string& handle,
                             const std::string& role);
  absl::StatusOr<bool> Revoke(const AuthContext& caller, const std::string& handle,
                              const std::string& role);
  absl::StatusOr<std::vector<RoleGrant>> List(const AuthContext& caller);

  // The bootstrap command: grants every role to `handle` (no caller). Returns the roles
  // newly granted.
  absl::StatusOr<std::vector<std::string>> BootstrapAdmin(const std::string& handle);

 private:
  absl::Status RequireAdmin(const AuthContext& caller);

  RoleStore& store_;
  Clock& clock_;
};

}  // namespace freehold::accounts
