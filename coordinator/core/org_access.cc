#include "coordinator/core/org_access.h"

#include "absl/strings/str_cat.h"
#include "coordinator/core/ids.h"

namespace freehold::coordinator {

namespace {
constexpr size_t kMaxCacheEntries = 100000;
}  // namespace

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
    return absl::PermissionDeniedError(
        absl::StrCat("not a member of organization ", *org_id));
  }
  if (kind == OrgAccessKind::kWrite && *role == "read-only") {
    return absl::PermissionDeniedError(absl::StrCat(
        "read-only members of organization ", *org_id, " cannot change its files"));
  }
  if (kind == OrgAccessKind::kWrite && owners_ != nullptr) {
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
