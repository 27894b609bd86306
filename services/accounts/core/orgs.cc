#include "services/accounts/core/orgs.h"

#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "services/accounts/core/validation.h"

namespace freehold::accounts {

absl::Status ValidateOrgRole(const std::string& role) {
  if (role == kOrgOwner || role == kOrgAdmin || role == kOrgMember || role == kOrgReadOnly) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError("role: must be owner, admin, member or read-only");
}

absl::Status ValidateWrappedOrgKey(const std::string& wrapped, const std::string& field) {
  if (wrapped.empty() || wrapped.size() > kMaxWrappedOrgKeyBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": 1 to ", kMaxWrappedOrgKeyBytes, " bytes required"));
  }
  if (!absl::StartsWith(wrapped, "age-encryption.org/v1\n")) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": not an age file"));
  }
  return absl::OkStatus();
}

namespace {

absl::StatusOr<std::string> OrgName(const std::string& name) {
  return NormalizeHandle(name, "org");
}

bool CanManage(const std::string& role) { return role == kOrgOwner || role == kOrgAdmin; }

}  // namespace

absl::StatusOr<std::pair<std::string, std::string>> RepositoryAccountDirectory::Lookup(
    const std::string& handle) {
  FH_ASSIGN_OR_RETURN(std::optional<AccountRecord> account, repo_.FindByHandle(handle));
  if (!account || account->deleted) return absl::NotFoundError("handle: no such account");
  return std::make_pair(account->account_id, account->public_key);
}

absl::StatusOr<std::pair<OrgRecord, std::string>> OrgService::Load(const AuthContext& caller,
                                                                   const std::string& raw_name) {
  FH_ASSIGN_OR_RETURN(std::string name, OrgName(raw_name));
  FH_ASSIGN_OR_RETURN(std::optional<OrgRecord> org, store_.FindOrg(name));
  if (!org) return absl::NotFoundError("org: no such organization");
  FH_ASSIGN_OR_RETURN(std::optional<std::string> role,
                      store_.RoleOf(org->org_id, caller.account_id));
  if (!role) return absl::NotFoundError("org: no such organization");
  return std::make_pair(*std::move(org), *std::move(role));
}

absl::StatusOr<OrgRecord> OrgService::Create(const AuthContext& caller,
                                             const std::string& raw_name,
                                             const std::string& public_key,
                                             const std::string& wrapped) {
  FH_ASSIGN_OR_RETURN(std::string name, OrgName(raw_name));
  FH_RETURN_IF_ERROR(ParseAgeRecipient(public_key, "public_key").status());
  FH_RETURN_IF_ERROR(ValidateWrappedOrgKey(wrapped, "wrapped_key"));
  OrgRecord org{NewUuid(), name, public_key, 1};
  absl::Status s = store_.CreateOrg(org, caller.account_id, wrapped, clock_.Now());
  if (s.code() == absl::StatusCode::kAlreadyExists) {
    return absl::AlreadyExistsError("org: the name is taken");
  }
  FH_RETURN_IF_ERROR(s);
  return org;
}

absl::Status OrgService::AddMember(const AuthContext& caller, const std::string& name,
                                   const std::string& raw_handle, const std::string& role,
                                   int expected_generation, std::vector<OrgKeyWrap> wraps) {
  FH_RETURN_IF_ERROR(ValidateOrgRole(role));
  FH_ASSIGN_OR_RETURN(std::string handle, NormalizeHandle(raw_handle));
  if (wraps.empty() || wraps.size() > 1000) {
    return absl::InvalidArgumentError("keys: 1 to 1000 wrappings required");
  }
  bool has_current = false;
  std::set<int> seen;
  for (const OrgKeyWrap& w : wraps) {
    FH_RETURN_IF_ERROR(ValidateWrappedOrgKey(w.wrapped, "keys.wrapped"));
    if (w.generation < 1 || w.generation > expected_generation) {
      return absl::InvalidArgumentError("keys.generation: must be 1..expected_generation");
    }
    if (!seen.insert(w.generation).second) {
      return absl::InvalidArgumentError("keys.generation: listed twice");
    }
    has_current |= w.generation == expected_generation;
  }
  if (!has_current) {
    return absl::InvalidArgumentError("keys: the expected_generation's wrapping is missing");
  }
  FH_ASSIGN_OR_RETURN(auto loaded, Load(caller, name));
  const auto& [org, caller_role] = loaded;
  if (!CanManage(caller_role)) {
    return absl::PermissionDeniedError("only an owner or admin adds members");
  }
  if (role == kOrgOwner && caller_role != kOrgOwner) {
    return absl::PermissionDeniedError("only an owner adds an owner");
  }
  if (expected_generation != org.generation) {
    return absl::AbortedError("expected_generation: the organization key changed; re-read it");
  }
  FH_ASSIGN_OR_RETURN(auto member, accounts_.Lookup(handle));
  for (OrgKeyWrap& w : wraps) w.account_id = member.first;
  absl::Status s = store_.AddMember(org.org_id, expected_generation, member.first, role,
                                    caller.account_id, wraps, clock_.Now());
  if (s.code() == absl::StatusCode::kAlreadyExists) {
    return absl::AlreadyExistsError("handle: already a member");
  }
  return s;
}

absl::StatusOr<int> OrgService::RemoveMember(const AuthContext& caller, const std::string& name,
                                             const std::string& raw_handle,
                                             int expected_generation,
                                             const std::string& new_public_key,
                                             const std::vector<OrgKeyWrap>& wraps) {
  FH_ASSIGN_OR_RETURN(std::string handle, NormalizeHandle(raw_handle));
  FH_RETURN_IF_ERROR(ParseAgeRecipient(new_public_key, "new_public_key").status());
  if (wraps.size() > static_cast<size_t>(kMaxOrgMembers)) {
    return absl::InvalidArgumentError("keys: too many wrappings");
  }
  std::set<std::string> to;
  for (const OrgKeyWrap& w : wraps) {
    FH_RETURN_IF_ERROR(ValidateUuid(w.account_id, "keys.account_id"));
    FH_RETURN_IF_ERROR(ValidateWrappedOrgKey(w.wrapped, "keys.wrapped"));
    if (!to.insert(w.account_id).second) {
      return absl::InvalidArgumentError("keys.account_id: listed twice");
    }
  }
  FH_ASSIGN_OR_RETURN(auto loaded, Load(caller, name));
  const auto& [org, caller_role] = loaded;
  if (!CanManage(caller_role)) {
    return absl::PermissionDeniedError("only an owner or admin removes members");
  }
  if (expected_generation != org.generation) {
    return absl::AbortedError("expected_generation: the organization key changed; re-read it");
  }
  FH_ASSIGN_OR_RETURN(auto member, accounts_.Lookup(handle));
  FH_ASSIGN_OR_RETURN(std::optional<std::string> member_role,
                      store_.RoleOf(org.org_id, member.first));
  if (!member_role) return absl::NotFoundError("handle: not a member");
  if (caller_role == kOrgAdmin && CanManage(*member_role) && member.first != caller.account_id) {
    return absl::PermissionDeniedError("only an owner removes an owner or admin");
  }
  if (*member_role == kOrgOwner) {
    FH_ASSIGN_OR_RETURN(std::vector<OrgMemberInfo> members, store_.Members(org.org_id));
    int owners = 0;
    for (const OrgMemberInfo& m : members) owners += m.role == kOrgOwner;
    if (owners <= 1) {
      return absl::FailedPreconditionError("handle: the last owner cannot be removed");
    }
  }
  if (to.count(member.first) != 0) {
    return absl::InvalidArgumentError("keys: the new key must not be wrapped to the removed member");
  }
  return store_.RemoveMemberAndRotate(org.org_id, expected_generation, member.first,
                                      new_public_key, wraps, clock_.Now());
}

absl::StatusOr<std::vector<OrgSummary>> OrgService::List(const AuthContext& caller) {
  return store_.OrgsOf(caller.account_id);
}

absl::StatusOr<std::pair<OrgRecord, std::vector<OrgMemberInfo>>> OrgService::Members(
    const AuthContext& caller, const std::string& name) {
  FH_ASSIGN_OR_RETURN(auto loaded, Load(caller, name));
  FH_ASSIGN_OR_RETURN(std::vector<OrgMemberInfo> members, store_.Members(loaded.first.org_id));
  return std::make_pair(std::move(loaded.first), std::move(members));
}

absl::StatusOr<std::pair<OrgRecord, std::vector<OrgKeyWrap>>> OrgService::Keys(
    const AuthContext& caller, const std::string& name) {
  FH_ASSIGN_OR_RETURN(auto loaded, Load(caller, name));
  FH_ASSIGN_OR_RETURN(std::vector<OrgKeyWrap> keys,
                      store_.KeysOf(loaded.first.org_id, caller.account_id));
  return std::make_pair(std::move(loaded.first), std::move(keys));
}

absl::StatusOr<int> OrgService::RotateKey(const AuthContext& caller, const std::string& name,
                                          int expected_generation,
                                          const std::string& new_public_key,
                                          const std::vector<OrgKeyWrap>& wraps) {
  FH_RETURN_IF_ERROR(ParseAgeRecipient(new_public_key, "new_public_key").status());
  if (wraps.size() > static_cast<size_t>(kMaxOrgMembers)) {
    return absl::InvalidArgumentError("keys: too many wrappings");
  }
  std::set<std::string> to;
  for (const OrgKeyWrap& w : wraps) {
    FH_RETURN_IF_ERROR(ValidateUuid(w.account_id, "keys.account_id"));
    FH_RETURN_IF_ERROR(ValidateWrappedOrgKey(w.wrapped, "keys.wrapped"));
    if (!to.insert(w.account_id).second) {
      return absl::InvalidArgumentError("keys.account_id: listed twice");
    }
  }
  FH_ASSIGN_OR_RETURN(auto loaded, Load(caller, name));
  const auto& [org, caller_role] = loaded;
  if (caller_role == kOrgReadOnly) {
    return absl::PermissionDeniedError("a read-only member cannot rotate the key");
  }
  if (!org.rotation_due) {
    return absl::FailedPreconditionError("org: no rotation is due (remove a member instead)");
  }
  if (expected_generation != org.generation) {
    return absl::AbortedError("expected_generation: the organization key changed; re-read it");
  }
  return store_.RotateDue(org.org_id, expected_generation, new_public_key, wraps, clock_.Now());
}

absl::StatusOr<std::string> OrgService::RoleById(const std::string& org_id,
                                                 const std::string& account_id) {
  FH_RETURN_IF_ERROR(ValidateUuid(org_id, "org_id"));
  FH_RETURN_IF_ERROR(ValidateUuid(account_id, "account_id"));
  FH_ASSIGN_OR_RETURN(std::optional<std::string> role, store_.RoleOf(org_id, account_id));
  return role.value_or("");
}

}  // namespace freehold::accounts
