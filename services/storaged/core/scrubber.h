// Scrubber: re-hashes every stored shard in the background at a bounded rate and
// marks the ones whose bytes no longer match their SHA-256 as corrupt (ShardStore::
// MarkCorrupt), so NodeStats and heartbeats report them and repair can replace them.
// A shard the index lists but whose file cannot be opened or read (deleted behind the
// daemon's back, a replaced disk, an I/O error) is treated the same way: its bytes
// are gone, so it is marked corrupt and reported, never skipped.
#pragma once

#include <cstdint>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/logging.h"
#include "services/storaged/core/metrics.h"
#include "services/storaged/core/shard_store.h"

namespace freehold::storaged {

struct ScrubberOptions {
  absl::Duration interval = absl::Hours(24);  // pause between two full passes
  uint64_t bytes_per_second = 64 << 20;       // 0 = unlimited
  // After Start(), before the first pass: short, so a restarted daemon finds what
  // went bad while it was down without waiting a whole interval.
  absl::Duration first_pass_delay = absl::Minutes(1);
};

struct ScrubPass {
  uint64_t checked = 0;        // shards fully re-hashed
  uint64_t newly_corrupt = 0;  // shards marked corrupt by this pass (unreadable included)
  uint64_t unreadable = 0;     // of those, shards whose file could not be opened or read
  uint64_t bytes = 0;
  bool stopped = false;  // Stop() interrupted the pass
};

// Thread-safe. `store` and `metrics` (nullable) must outlive the scrubber.
class Scrubber {
 public:
  Scrubber(ShardStore& store, ScrubberOptions options, StoragedMetrics* metrics, Logger log);
  ~Scrubber();  // Stop()

  // Starts the background thread: wait `first_pass_delay`, scrub everything, then
  // wait `interval` between passes.
  void Start();
  // Stops and joins the thread, interrupting a pass in progress. Idempotent.
  void Stop();

  // One full pass on the calling thread (rate-limited like the background one).
  ScrubPass ScrubOnce();

  uint64_t passes_completed() const;

 private:
  // Waits until `deadline` or Stop(); returns false if stopped.
  bool SleepUntil(absl::Time deadline);
  void Run();

  ShardStore& store_;
  const ScrubberOptions options_;
  StoragedMetrics* const metrics_;
  const Logger log_;

  mutable absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t passes_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;
};

}  // namespace freehold::storaged
