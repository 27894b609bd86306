// Group commit for webhook intake: concurrent deliveries are applied together, in one
// transaction and one database round trip (DonationStore::ApplyFast), instead of one
// transaction of several round trips each.
//
// Leader/follower, no timer thread: a caller queues its event; the first queued caller
// becomes the leader when a batch slot is free (at most `max_concurrent` batches run
// at once), takes up to `max_events` queued events (its own first), optionally waits
// `max_wait` for more, runs the batch on its own thread and hands every follower its
// own outcome. With no concurrency a batch is just the caller's event, with no delay.
// Exactly-once and per-event answers come from ApplyFast's contract: each event is
// applied atomically and independently, and its outcome goes to its own caller only.
#pragma once

#include <deque>
#include <optional>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/donations/core/metrics.h"
#include "services/donations/core/store.h"

namespace freehold::donations {

struct IntakeBatchOptions {
  // Events per transaction (1..64). Each event is a subtransaction on the server;
  // PostgreSQL caches 64 subtransactions per transaction before snapshots slow down.
  int max_events = 32;
  // How long a leader waits for more events before running a batch that is not full.
  // 0: run with whatever is queued (batches then form only under concurrency).
  absl::Duration max_wait = absl::ZeroDuration();
  // Batches in flight at once (1..64), normally the store's FastConcurrency().
  int max_concurrent = 2;

  // INVALID_ARGUMENT naming the flag (--intake-batch-max, --intake-batch-wait,
  // --intake-connections).
  absl::Status Validate() const;
};

// Thread-safe. `store` (and `metrics`, if given) must outlive it.
class IntakeBatcher {
 public:
  IntakeBatcher(DonationStore& store, IntakeBatchOptions options, DonationMetrics* metrics);

  // Applies `event` in some batch and returns its own outcome, or the batch's error
  // status (see DonationStore::ApplyFast). Blocks until that batch has ended; `event`
  // must stay valid until then (it is not copied).
  absl::StatusOr<FastIntakeOutcome> Apply(const FastIntakeEvent& event);

  // Events waiting for a batch to take them (tests, debugging).
  size_t queued() const;

 private:
  struct Pending {
    const FastIntakeEvent* event;
    std::optional<absl::StatusOr<FastIntakeOutcome>> outcome;
  };

  DonationStore& store_;
  const IntakeBatchOptions options_;
  DonationMetrics* const metrics_;
  mutable absl::Mutex mu_;
  std::deque<Pending*> queue_ ABSL_GUARDED_BY(mu_);
  int running_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace freehold::donations
