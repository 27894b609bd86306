#include "coordinator/core/org_access.h"

#include "absl/strings/str_cat.h"
#include "coordinator/core/ids.h"

namespace freehold::coordinator {

namespace {
constexpr size_t kMaxCacheEntries = 100000;

// What a refused role may not do, for the message.
absl::string_view Refused(OrgAccessKind kind) {
  switch (kind) {
    case OrgAccessKind::kRead:
      return "read its files";
    case OrgAccessKind::kWrite:
      return "change its files";
    case OrgAccessKind::kDelete:
      return "delete its files";
    case OrgAccessKind::kTrash:
      return "see its trash";
    case OrgAccessKind::kRestore:
      return "restore files from its trash";
    case OrgAccessKind::kShare:
      return "share its files or change their sharing and links";
  }
  return "make this call";
}

}  // namespace

bool OrgAccessWrites(OrgAccessKind kind) {
  return kind != OrgAccessKind::kRead && kind != OrgAccessKind::kTrash;
}

absl::Status OrgRoleAllows(absl::string_view role, OrgAccessKind kind, absl::string_view org_id) {
  if (role == "owner" || role == "admin" || role == "member") return absl::OkStatus();
  if (role == "read-only") {
    if (kind == OrgAccessKind::kRead) return absl::OkStatus();
    return absl::PermissionDeniedError(absl::StrCat("read-only members of organization ",
                                                    org_id, " cannot ", Refused(kind),
                                                    " (only list and read)"));
  }
  return absl::PermissionDeniedError(absl::StrCat("the role \"", role, "\" in organization ",
                                                  org_id, " is not known to this coordinator: "
                                                  "it cannot ", Refused(kind)));
}

absl::StatusOr<std::string> OrgAccess::CachedRole(const std::string& org_id,
                                                  const std::string& account_id) {
  const absl::Time now = clock_.Now();
  const auto key = std::make_pair(org_id, account_id);
  if (ttl_ > absl::ZeroDuration()) {
    absl::MutexLock lock(&mu_);
    auto it = cache_.find(key);
    if (it != cache_.end() && it->second.expires > now) return it->second.role;
  }
  absl::StatusOr<std::string> role = membership_->RoleOf(org_id, account_id);
  absl::MutexLock lock(&mu_);
  ++calls_;
  if (!role.ok()) return role.status();
  if (ttl_ > absl::ZeroDuration()) {
    if (cache_.size() >= kMaxCacheEntries) {
      for (auto it = cache_.begin(); it != cache_.end();) {
        it = it->second.expires <= now ? cache_.erase(it) : std::next(it);
      }
      if (cache_.size() >= kMaxCacheEntries) cache_.clear();
    }
    cache_[key] = Entry{*role, now + ttl_};
  }
  return role;
}

absl::StatusOr<Caller> OrgAccess::ActFor(const Caller& person, const std::string& raw_org_id,
                                         OrgAccessKind kind) {
  absl::StatusOr<std::string> org_id = CanonicalUuid(raw_org_id, kOrgMetadataKey);
  if (!org_id.ok()) return org_id.status();
  if (membership_ == nullptr) {
    return absl::FailedPreconditionError(
        "organizations are not enabled on this coordinator (it runs without --accounts)");
  }
  if (person.account_id.empty()) {
    return absl::PermissionDeniedError("only an account can act for an organization");
  }
  absl::StatusOr<std::string> role = CachedRole(*org_id, person.account_id);
  if (!role.ok()) {
    if (absl::IsInvalidArgument(role.status())) return role.status();
    return absl::UnavailableError(absl::StrCat(
        "cannot check organization membership now: ", role.status().message()));
  }
  if (role->empty()) {
    // The same answer for an unknown organization: org ids do not leak.
    return absl::NotFoundError(absl::StrCat(
        "organization ", *org_id, " not found (or you are not a member of it)"));
  }
  if (absl::Status s = OrgRoleAllows(*role, kind, *org_id); !s.ok()) return s;
  if (OrgAccessWrites(kind) && owners_ != nullptr) {
    bool known = false;
    {
      absl::MutexLock lock(&mu_);
      known = known_orgs_.count(*org_id) > 0;
    }
    if (!known) {
      if (absl::Status s = owners_->Remember(*org_id); !s.ok()) return s;
      absl::MutexLock lock(&mu_);
      if (known_orgs_.size() < kMaxCacheEntries) known_orgs_.insert(*org_id);
    }
  }
  Caller acting = person;
  acting.account_id = *org_id;
  return acting;
}

uint64_t OrgAccess::membership_calls() const {
  absl::MutexLock lock(&mu_);
  return calls_;
}

}  // namespace freehold::coordinator
