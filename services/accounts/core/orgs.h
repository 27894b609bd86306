// Organizations: members with roles and an organization identity the server never sees
// (migration 0008_orgs, services/accounts/README.md "Organizations").
//
// The organization's age X25519 identity is made by a client; the server stores its
// public key (the recipient of org-owned data) and, per member and key generation, the
// identity wrapped to the member's own public key (an age file, opaque here). Roles:
//   owner      everything, including adding owners and removing admins and owners
//   admin      adds and removes members, admins and read-only members
//   member     reads the organization's keys and writes org-owned data
//   read-only  reads the organization's keys (the coordinator may refuse its writes)
// Removing a member rotates the identity (generation + 1): the caller sends the new
// public key and the new identity wrapped to every remaining member, and the removed
// member's wrappings, of every generation, are deleted in the same transaction.
//
// Status codes: INVALID_ARGUMENT naming the field; NOT_FOUND for an unknown
// organization (also to non-members, so names cannot be probed) or handle;
// PERMISSION_DENIED for a role that may not do it; ALREADY_EXISTS for a taken name or an
// existing member; ABORTED when the key generation changed meanwhile (re-read, re-wrap,
// retry); FAILED_PRECONDITION for wrappings that do not cover exactly the remaining
// members, or removing the last owner. Thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "services/accounts/core/account_repository.h"
#include "services/accounts/core/types.h"

namespace freehold::accounts {

inline constexpr char kOrgOwner[] = "owner";
inline constexpr char kOrgAdmin[] = "admin";
inline constexpr char kOrgMember[] = "member";
inline constexpr char kOrgReadOnly[] = "read-only";
inline constexpr size_t kMaxWrappedOrgKeyBytes = 2048;
inline constexpr int kMaxOrgMembers = 1000;

struct OrgRecord {
  std::string org_id;
  std::string name;
  std::string public_key;  // age1..., the current generation's
  int generation = 0;
  bool rotation_due = false;  // a member's account was deleted since the last rotation
};

struct OrgSummary {
  OrgRecord org;
  std::string role;  // the caller's
  int members = 0;
};

struct OrgMemberInfo {
  std::string account_id;
  std::string handle;
  std::string public_key;  // the member's own age recipient (wrap to it)
  std::string role;
  absl::Time added_at;
};

// One wrapping of the organization identity.
struct OrgKeyWrap {
  std::string account_id;  // the member it is wrapped to
  int generation = 0;
  std::string wrapped;  // an age file holding the identity, opaque to the server
};

// The organizations' storage. Implementations check the conditions they are given
// inside their transaction.
class OrgStore {
 public:
  virtual ~OrgStore() = default;
  // ALREADY_EXISTS if the name is taken.
  virtual absl::Status CreateOrg(const OrgRecord& org, const std::string& owner_account_id,
                                 const std::string& wrapped, absl::Time now) = 0;
  virtual absl::StatusOr<std::optional<OrgRecord>> FindOrg(const std::string& name) = 0;
  // The member's role, nullopt if not a member.
  virtual absl::StatusOr<std::optional<std::string>> RoleOf(const std::string& org_id,
                                                            const std::string& account_id) = 0;
  virtual absl::StatusOr<std::vector<OrgMemberInfo>> Members(const std::string& org_id) = 0;
  virtual absl::StatusOr<std::vector<OrgSummary>> OrgsOf(const std::string& account_id) = 0;
  // The account's wrappings, every generation, newest first.
  virtual absl::StatusOr<std::vector<OrgKeyWrap>> KeysOf(const std::string& org_id,
                                                         const std::string& account_id) = 0;
  // Adds `account_id` with `role` and its wrappings, if the organization is still at
  // `expected_generation` (ABORTED otherwise). ALREADY_EXISTS if a member already.
  virtual absl::Status AddMember(const std::string& org_id, int expected_generation,
                                 const std::string& account_id, const std::string& role,
                                 const std::string& added_by,
                                 const std::vector<OrgKeyWrap>& wraps, absl::Time now) = 0;
  // In one transaction, if the organization is at `expected_generation` (ABORTED
  // otherwise): removes `account_id` and all its wrappings; if `wraps` are not exactly
  // one per remaining member, FAILED_PRECONDITION and nothing changes; otherwise
  // generation + 1, `new_public_key`, and the wraps stored at the new generation.
  // Returns the new generation. NOT_FOUND if `account_id` is not a member.
  virtual absl::StatusOr<int> RemoveMemberAndRotate(const std::string& org_id,
                                                    int expected_generation,
                                                    const std::string& account_id,
                                                    const std::string& new_public_key,
                                                    const std::vector<OrgKeyWrap>& wraps,
                                                    absl::Time now) = 0;
  // As RemoveMemberAndRotate without a removal, only while the organization is
  // rotation_due (FAILED_PRECONDITION otherwise); clears it.
  virtual absl::StatusOr<int> RotateDue(const std::string& org_id, int expected_generation,
                                        const std::string& new_public_key,
                                        const std::vector<OrgKeyWrap>& wraps,
                                        absl::Time now) = 0;
};

// Looks up live accounts by handle: {account_id, public key}, NOT_FOUND otherwise.
class AccountDirectory {
 public:
  virtual ~AccountDirectory() = default;
  virtual absl::StatusOr<std::pair<std::string, std::string>> Lookup(
      const std::string& handle) = 0;
};

// AccountDirectory over the account repository.
class RepositoryAccountDirectory : public AccountDirectory {
 public:
  explicit RepositoryAccountDirectory(AccountRepository& repo) : repo_(repo) {}
  absl::StatusOr<std::pair<std::string, std::string>> Lookup(const std::string& handle) override;

 private:
  AccountRepository& repo_;
};

class OrgService {
 public:
  OrgService(OrgStore& store, AccountDirectory& accounts, Clock& clock)
      : store_(store), accounts_(accounts), clock_(clock) {}

  // The caller becomes owner; `wrapped` is the identity wrapped to the caller's key.
  absl::StatusOr<OrgRecord> Create(const AuthContext& caller, const std::string& name,
                                   const std::string& public_key, const std::string& wrapped);
  // Owner or admin; only an owner adds an owner. `wraps` (account_id ignored) must hold
  // the generation `expected_generation` and may hold older ones.
  absl::Status AddMember(const AuthContext& caller, const std::string& name,
                         const std::string& handle, const std::string& role,
                         int expected_generation, std::vector<OrgKeyWrap> wraps);
  // Owner or admin (an admin removes neither owners nor admins); never the last owner.
  absl::StatusOr<int> RemoveMember(const AuthContext& caller, const std::string& name,
                                   const std::string& handle, int expected_generation,
                                   const std::string& new_public_key,
                                   const std::vector<OrgKeyWrap>& wraps);
  // Owner, admin or member, while a rotation is due (a member's account was deleted):
  // the new identity wrapped to every member. Returns the new generation.
  absl::StatusOr<int> RotateKey(const AuthContext& caller, const std::string& name,
                                int expected_generation, const std::string& new_public_key,
                                const std::vector<OrgKeyWrap>& wraps);
  absl::StatusOr<std::vector<OrgSummary>> List(const AuthContext& caller);
  // Any member.
  absl::StatusOr<std::pair<OrgRecord, std::vector<OrgMemberInfo>>> Members(
      const AuthContext& caller, const std::string& name);
  // Any member: the organization and the caller's own wrappings, newest first.
  absl::StatusOr<std::pair<OrgRecord, std::vector<OrgKeyWrap>>> Keys(const AuthContext& caller,
                                                                     const std::string& name);
  // The coordinator's check (internal RPC CheckOrgMember): the role of `account_id` in
  // the organization `org_id`, "" if not a member or no such organization.
  // INVALID_ARGUMENT naming the field unless both are canonical UUIDs.
  absl::StatusOr<std::string> RoleById(const std::string& org_id, const std::string& account_id);

 private:
  // The organization and the caller's role; NOT_FOUND for non-members too.
  absl::StatusOr<std::pair<OrgRecord, std::string>> Load(const AuthContext& caller,
                                                         const std::string& name);

  OrgStore& store_;
  AccountDirectory& accounts_;
  Clock& clock_;
};

// INVALID_ARGUMENT unless owner, admin, member or read-only.
absl::Status ValidateOrgRole(const std::string& role);
// INVALID_ARGUMENT unless 1..kMaxWrappedOrgKeyBytes bytes starting like an age file.
absl::Status ValidateWrappedOrgKey(const std::string& wrapped, const std::string& field);

}  // namespace freehold::accounts
