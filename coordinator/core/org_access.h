// Objects owned by an organization (services/accounts/README.md "Organizations",
// docs/ARCHITECTURE.md "Organizations' objects"). A user call that carries the metadata
// "freehold-org: <org id>" acts for that organization: after the caller's own access
// token is verified, the coordinator asks freehold-accounts (internal RPC
// CheckOrgMember, the coordinator role only) for the caller's role in the organization,
// and the call then runs as the organization (Caller.account_id = the org id).
// Everything the coordinator does per owner -- listing, reading, name lookups, folders,
// the trash, sharing, public links, admission and fair-share -- then applies to the
// organization as one owner, with no separate code path. The first write for an
// organization records its id as an organization (org_owners.h) for the
// per-organization usage figures.
//
// Rules per role (OrgRoleAllows, the one table):
//   kind      calls                                              owner admin member read-only
//   kRead     ls, get, find, resolve, share --list, GetFolder    yes   yes   yes    yes
//   kWrite    put, mkdir, mv, rename, metadata                   yes   yes   yes    no
//   kDelete   rm, rm -r (DeleteObject, DeleteFolder), trash empty yes  yes   yes    no
//   kTrash    trash ls (the organization's trash: its writers')  yes   yes   yes    no
//   kRestore  trash restore                                      yes   yes   yes    no
//   kShare    share, unshare, link, link --disable, folder keys  yes   yes   yes    no
// A refused role gets PERMISSION_DENIED naming the role and the organization. A
// non-member (a removed member included) and an unknown organization get the same
// NOT_FOUND for every call, so that a stranger learns nothing about an org id. Answers
// are cached for `ttl` per (org, account) (kOrgMembershipTtl, 2 s): a removed member
// is refused within that long of the removal.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "coordinator/core/access.h"
#include "coordinator/core/org_owners.h"

namespace freehold::coordinator {

// The name of the call metadata that selects the organization.
inline constexpr char kOrgMetadataKey[] = "freehold-org";
// How long a membership answer is reused.
inline constexpr absl::Duration kOrgMembershipTtl = absl::Seconds(2);

// The seam to freehold-accounts. Thread-safe.
class OrgMembership {
 public:
  virtual ~OrgMembership() = default;
  // The role of `account_id` in `org_id` (canonical UUIDs); "" for a non-member or an
  // unknown organization. UNAVAILABLE when accounts cannot be asked.
  virtual absl::StatusOr<std::string> RoleOf(const std::string& org_id,
                                             const std::string& account_id) = 0;
};

// What a call does for the organization (the table above).
enum class OrgAccessKind { kRead, kWrite, kDelete, kTrash, kRestore, kShare };

// The rule table: OK if `role` ("owner", "admin", "member", "read-only") may make a call
// of `kind` for organization `org_id`; else PERMISSION_DENIED naming the role, the
// organization and what it may not do. An unknown role is refused everything (fail
// closed). Pure; no I/O.
absl::Status OrgRoleAllows(absl::string_view role, OrgAccessKind kind, absl::string_view org_id);

// Whether a call of `kind` changes the organization's data (records it in org_owners).
bool OrgAccessWrites(OrgAccessKind kind);

// Thread-safe.
class OrgAccess {
 public:
  // `membership` null: organizations are off (FAILED_PRECONDITION for a call naming one).
  // `owners` (may be null) records each organization at its first write.
  OrgAccess(OrgMembership* membership, OrgOwners* owners, Clock& clock,
            absl::Duration ttl = kOrgMembershipTtl)
      : membership_(membership), owners_(owners), clock_(clock), ttl_(ttl) {}

  // The caller acting for `org_id` (metadata value, any UUID spelling). INVALID_ARGUMENT
  // for a malformed id; NOT_FOUND "organization ... not found" alike for a non-member
  // and an unknown organization; PERMISSION_DENIED for a role the table refuses `kind`
  // (OrgRoleAllows); FAILED_PRECONDITION when organizations are off; UNAVAILABLE from
  // accounts.
  absl::StatusOr<Caller> ActFor(const Caller& person, const std::string& org_id,
                                OrgAccessKind kind);

  uint64_t membership_calls() const;  // calls to accounts (not cached answers)

 private:
  absl::StatusOr<std::string> CachedRole(const std::string& org_id,
                                         const std::string& account_id);

  OrgMembership* const membership_;
  OrgOwners* const owners_;
  Clock& clock_;
  const absl::Duration ttl_;
  mutable absl::Mutex mu_;
  struct Entry {
    std::string role;
    absl::Time expires;
  };
  std::map<std::pair<std::string, std::string>, Entry> cache_ ABSL_GUARDED_BY(mu_);
  uint64_t calls_ ABSL_GUARDED_BY(mu_) = 0;
  std::set<std::string> known_orgs_ ABSL_GUARDED_BY(mu_);  // recorded in owners_
};

}  // namespace freehold::coordinator
