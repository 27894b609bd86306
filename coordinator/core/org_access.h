// Objects owned by an organization (services/accounts/README.md "Organizations",
// docs/ARCHITECTURE.md "Organizations"). A user call that carries the metadata
// "freehold-org: <org id>" acts for that organization: after the caller's own access
// token is verified, the coordinator asks freehold-accounts (internal RPC
// CheckOrgMember, the coordinator role only) for the caller's role in the organization,
// and the call then runs as the organization (Caller.account_id = the org id).
// Everything the coordinator does per owner -- listing, reading, name lookups, folders,
// the trash, admission and fair-share -- then applies to the organization as one owner,
// with no separate code path. The first write for an organization records its id as an
// organization (org_owners.h) for the per-organization usage figures.
//
// Rules: any member reads; owner, admin and member write; a read-only member's write
// is refused PERMISSION_DENIED; a non-member (a removed member included) is refused
// PERMISSION_DENIED for every call. Answers are cached for `ttl` per (org, account)
// (kOrgMembershipTtl, 2 s): a removed member is refused within that long of the removal.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
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

// Whether a call reads or changes data.
enum class OrgAccessKind { kRead, kWrite };

// Thread-safe.
class OrgAccess {
 public:
  // `membership` null: organizations are off (FAILED_PRECONDITION for a call naming one).
  // `owners` (may be null) records each organization at its first write.
  OrgAccess(OrgMembership* membership, OrgOwners* owners, Clock& clock,
            absl::Duration ttl = kOrgMembershipTtl)
      : membership_(membership), owners_(owners), clock_(clock), ttl_(ttl) {}

  // The caller acting for `org_id` (metadata value, any UUID spelling). INVALID_ARGUMENT
  // for a malformed id; PERMISSION_DENIED for a non-member, or a read-only member's
  // write; FAILED_PRECONDITION when organizations are off; UNAVAILABLE from accounts.
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
