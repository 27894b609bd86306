// Group commit for webhook intake (see intake_batcher.h).
#include "services/donations/core/intake_batcher.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace freehold::donations {

absl::Status IntakeBatchOptions::Validate() const {
  if (max_events < 1 || max_events > 64) {
    return absl::InvalidArgumentError("--intake-batch-max: must be 1..64");
  }
  if (max_wait < absl::ZeroDuration() || max_wait > absl::Milliseconds(50)) {
    return absl::InvalidArgumentError("--intake-batch-wait: must be 0..50ms");
  }
  if (max_concurrent < 1 || max_concurrent > 64) {
    return absl::InvalidArgumentError("--intake-connections: must be 1..64");
  }
  return absl::OkStatus();
}

IntakeBatcher::IntakeBatcher(DonationStore& store, IntakeBatchOptions options,
                             DonationMetrics* metrics)
    : store_(store), options_(std::move(options)), metrics_(metrics) {}

size_t IntakeBatcher::queued() const {
  absl::MutexLock lock(&mu_);
  return queue_.size();
}

absl::StatusOr<FastIntakeOutcome> IntakeBatcher::Apply(const FastIntakeEvent& event) {
  Pending self{&event, std::nullopt};
  std::vector<Pending*> batch;
  {
    absl::MutexLock lock(&mu_);
    queue_.push_back(&self);
    // Done by another leader, or our turn to lead: first in line and a slot is free.
    // Taken by a leader but not answered yet, we may no longer be in the queue at all,
    // which may then be empty: front() of an empty deque is undefined (it can even
    // yield a stale pointer equal to &self, since each thread's `self` tends to sit at
    // the same stack address), so emptiness is checked first.
    auto done_or_lead = [this, &self]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return self.outcome.has_value() || (running_ < options_.max_concurrent &&
                                          !queue_.empty() && queue_.front() == &self);
    };
    mu_.Await(absl::Condition(&done_or_lead));
    if (self.outcome.has_value()) return *std::move(self.outcome);
    ++running_;
    if (options_.max_wait > absl::ZeroDuration() &&
        queue_.size() < static_cast<size_t>(options_.max_events)) {
      auto full = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return queue_.size() >= static_cast<size_t>(options_.max_events);
      };
      mu_.AwaitWithTimeout(absl::Condition(&full), options_.max_wait);
    }
    // We are still at the front: nobody else takes from the queue while we lead
    // (another leader needs the front position).
    while (!queue_.empty() && batch.size() < static_cast<size_t>(options_.max_events)) {
      batch.push_back(queue_.front());
      queue_.pop_front();
    }
  }

  std::vector<const FastIntakeEvent*> events;
  events.reserve(batch.size());
  for (const Pending* p : batch) events.push_back(p->event);
  absl::StatusOr<std::vector<FastIntakeOutcome>> outcomes = store_.ApplyFast(events);
  if (outcomes.ok() && outcomes->size() != batch.size()) {
    outcomes = absl::InternalError(
        absl::StrCat("intake batch of ", batch.size(), " events answered ", outcomes->size()));
  }
  if (metrics_ != nullptr) metrics_->ObserveBatch(batch.size());

  absl::MutexLock lock(&mu_);
  for (size_t i = 0; i < batch.size(); ++i) {
    if (outcomes.ok()) {
      batch[i]->outcome.emplace(std::move((*outcomes)[i]));
    } else {
      batch[i]->outcome.emplace(outcomes.status());
    }
  }
  --running_;
  return *std::move(self.outcome);
}

}  // namespace freehold::donations
