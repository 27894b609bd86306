// Roles held by accounts (see roles.h).
#include "services/accounts/core/roles.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status.h"
#include "services/accounts/core/validation.h"

namespace freehold::accounts {

const std::vector<std::string>& KnownRoles() {
  static const std::vector<std::string>* const roles = new std::vector<std::string>{
      kRoleAccountsAdmin, kRoleCoordinatorOperator, kRoleDonationsAdmin};
  return *roles;
}

absl::Status ValidateRole(absl::string_view role) {
  if (role.empty()) return absl::InvalidArgumentError("role: required");
  const auto& known = KnownRoles();
  if (std::find(known.begin(), known.end(), role) == known.end()) {
    return absl::InvalidArgumentError(absl::StrCat("role: unknown role \"", role.substr(0, 40),
                                                   "\" (known: ", absl::StrJoin(known, ", "),
                                                   ")"));
  }
  return absl::OkStatus();
}

absl::Status RoleService::RequireAdmin(const AuthContext& caller) {
  FH_ASSIGN_OR_RETURN(std::vector<std::string> roles, store_.RolesOf(caller.account_id));
  if (std::find(roles.begin(), roles.end(), kRoleAccountsAdmin) == roles.end()) {
    return absl::PermissionDeniedError(
        absl::StrCat("managing roles needs the role ", kRoleAccountsAdmin));
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> RoleService::Grant(const AuthContext& caller, const std::string& raw_handle,
                                        const std::string& role) {
  FH_ASSIGN_OR_RETURN(std::string handle, NormalizeHandle(raw_handle));
  FH_RETURN_IF_ERROR(ValidateRole(role));
  FH_RETURN_IF_ERROR(RequireAdmin(caller));
  return store_.GrantRole(handle, role, caller.account_id, clock_.Now());
}

absl::StatusOr<bool> RoleService::Revoke(const AuthContext& caller, const std::string& raw_handle,
                                         const std::string& role) {
  FH_ASSIGN_OR_RETURN(std::string handle, NormalizeHandle(raw_handle));
  FH_RETURN_IF_ERROR(ValidateRole(role));
  FH_RETURN_IF_ERROR(RequireAdmin(caller));
  if (role == kRoleAccountsAdmin) {
    FH_ASSIGN_OR_RETURN(std::vector<RoleGrant> grants, store_.ListRoles());
    for (const RoleGrant& g : grants) {
      if (g.handle == handle && g.account_id == caller.account_id) {
        return absl::FailedPreconditionError(
            "role: an admin cannot revoke their own accounts:admin (ask another admin)");
      }
    }
  }
  return store_.RevokeRole(handle, role);
}

absl::StatusOr<std::vector<RoleGrant>> RoleService::List(const AuthContext& caller) {
  FH_RETURN_IF_ERROR(RequireAdmin(caller));
  return store_.ListRoles();
}

absl::StatusOr<std::vector<std::string>> RoleService::BootstrapAdmin(
    const std::string& raw_handle) {
  FH_ASSIGN_OR_RETURN(std::string handle, NormalizeHandle(raw_handle));
  std::vector<std::string> granted;
  for (const std::string& role : KnownRoles()) {
    FH_ASSIGN_OR_RETURN(bool added, store_.GrantRole(handle, role, "", clock_.Now()));
    if (added) granted.push_back(role);
  }
  return granted;
}

}  // namespace freehold::accounts
