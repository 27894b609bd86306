#include "services/storaged/core/expiry_watch.h"

#include <vector>

namespace freehold::storaged {

ExpiryWatch::ExpiryWatch(Clock& clock, absl::Duration poll) : clock_(clock), poll_(poll) {
  thread_ = std::thread([this] { Run(); });
}

ExpiryWatch::~ExpiryWatch() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  thread_.join();
}

ExpiryWatch::Handle::~Handle() {
  absl::MutexLock lock(&watch_.mu_);
  watch_.entries_.erase(id_);
}

std::unique_ptr<ExpiryWatch::Handle> ExpiryWatch::Watch(absl::Time deadline,
                                                        std::function<void()> on_expiry) {
  absl::MutexLock lock(&mu_);
  const uint64_t id = next_id_++;
  entries_.emplace(id, Entry{deadline, std::move(on_expiry)});
  return std::unique_ptr<Handle>(new Handle(*this, id));
}

size_t ExpiryWatch::watched() const {
  absl::MutexLock lock(&mu_);
  return entries_.size();
}

void ExpiryWatch::Run() {
  absl::MutexLock lock(&mu_);
  auto stopped = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stop_; };
  while (!mu_.AwaitWithTimeout(absl::Condition(&stopped), poll_)) {
    const absl::Time now = clock_.Now();
    for (auto it = entries_.begin(); it != entries_.end();) {
      if (now >= it->second.deadline) {
        it->second.on_expiry();  // under the lock: see the header
        it = entries_.erase(it);
      } else {
        ++it;
      }
    }
  }
}

}  // namespace freehold::storaged
