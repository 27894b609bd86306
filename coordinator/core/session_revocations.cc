#include "coordinator/core/session_revocations.h"

#include <vector>

#include "absl/strings/ascii.h"

namespace freehold::coordinator {

void SessionDenyList::Add(std::string_view session_id, absl::Time tokens_expire_by) {
  std::string key = absl::AsciiStrToLower(std::string(session_id));
  const absl::Time until = tokens_expire_by + skew_;
  absl::MutexLock lock(&mu_);
  auto [it, inserted] = until_.try_emplace(std::move(key), until);
  if (!inserted && it->second < until) it->second = until;
}

bool SessionDenyList::Contains(std::string_view session_id, absl::Time now) const {
  const std::string key = absl::AsciiStrToLower(std::string(session_id));
  absl::MutexLock lock(&mu_);
  auto it = until_.find(key);
  return it != until_.end() && now <= it->second;
}

int SessionDenyList::Prune(absl::Time now) {
  absl::MutexLock lock(&mu_);
  int removed = 0;
  for (auto it = until_.begin(); it != until_.end();) {
    if (it->second < now) {
      until_.erase(it++);
      ++removed;
    } else {
      ++it;
    }
  }
  return removed;
}

size_t SessionDenyList::size() const {
  absl::MutexLock lock(&mu_);
  return until_.size();
}

absl::Status SessionRevocationPoller::PollOnce() {
  for (int page = 0; page < kMaxPagesPerPoll; ++page) {
    absl::StatusOr<std::vector<RevokedSessionEvent>> events = feed_.List(cursor_, kPageSize);
    if (!events.ok()) return events.status();
    for (const RevokedSessionEvent& e : *events) {
      if (e.sequence <= cursor_) continue;  // never expected; keeps the cursor monotonic
      list_.Add(e.session_id, e.tokens_expire_by);
      cursor_ = e.sequence;
    }
    if (static_cast<int>(events->size()) < kPageSize) {
      caught_up_at_ = clock_.Now();
      break;
    }
  }
  list_.Prune(clock_.Now());
  return absl::OkStatus();
}

}  // namespace freehold::coordinator
