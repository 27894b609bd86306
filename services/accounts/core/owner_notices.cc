#include "services/accounts/core/owner_notices.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "services/accounts/core/validation.h"

namespace freehold::accounts {
namespace {

bool GoodCategory(const std::string& c) {
  if (c.empty() || c.size() > 32) return false;
  for (char ch : c) {
    if (!((ch >= 'a' && ch <= 'z') || ch == '_')) return false;
  }
  return true;
}

absl::Status Check(const OwnerNoticeInput& n, size_t i, absl::Time now) {
  const std::string at = absl::StrCat("notices[", i, "].");
  FH_RETURN_IF_ERROR(ValidateUuid(n.notice_id, at + "notice_id"));
  FH_RETURN_IF_ERROR(ValidateUuid(n.owner_id, at + "owner_id"));
  FH_RETURN_IF_ERROR(ValidateUuid(n.object_id, at + "object_id"));
  if (n.kind != kOwnerNoticeLinkDisabled) {
    return absl::InvalidArgumentError(
        absl::StrCat(at, "kind: must be ", kOwnerNoticeLinkDisabled));
  }
  if (!GoodCategory(n.reason_category)) {
    return absl::InvalidArgumentError(
        absl::StrCat(at, "reason_category: must be 1 to 32 of [a-z_]"));
  }
  if (n.occurred_at <= absl::UnixEpoch()) {
    return absl::InvalidArgumentError(absl::StrCat(at, "occurred_at: required"));
  }
  if (n.occurred_at > now + absl::Hours(24)) {
    return absl::InvalidArgumentError(absl::StrCat(at, "occurred_at: in the future"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<OwnerNoticeOutcome> OwnerNotices::Record(
    const std::vector<OwnerNoticeInput>& notices) {
  if (notices.empty()) return absl::InvalidArgumentError("notices: at least one");
  if (notices.size() > kMaxBatch) {
    return absl::InvalidArgumentError(absl::StrCat("notices: at most ", kMaxBatch));
  }
  const absl::Time now = clock_.Now();
  std::set<std::string> ids;
  for (size_t i = 0; i < notices.size(); ++i) {
    FH_RETURN_IF_ERROR(Check(notices[i], i, now));
    if (!ids.insert(notices[i].notice_id).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("notices[", i, "].notice_id: repeated in the batch"));
    }
  }
  return store_.Record(notices, now);
}

}  // namespace freehold::accounts
