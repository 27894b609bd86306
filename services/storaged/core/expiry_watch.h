// ExpiryWatch: calls a function once a deadline has passed, from its own thread.
// The storage daemon uses it to end a PutShard stream whose grant expires while the
// client sends nothing (a blocked read cannot look at the clock itself).
//
// Thread-safe. Callbacks run with the watch's lock held, so they must be short and
// must not call back into the watch (cancelling a gRPC call is fine); once a Handle
// is destroyed its callback is not running and will never run.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace freehold::storaged {

class ExpiryWatch {
 public:
  // Deadlines are compared with clock.Now() every `poll` (their resolution).
  explicit ExpiryWatch(Clock& clock, absl::Duration poll = absl::Milliseconds(100));
  ~ExpiryWatch();

  // Unregisters its callback when destroyed (after it ran or not).
  class Handle {
   public:
    ~Handle();
    Handle(const Handle&) = delete;
    Handle& operator=(const Handle&) = delete;

   private:
    friend class ExpiryWatch;
    Handle(ExpiryWatch& watch, uint64_t id) : watch_(watch), id_(id) {}
    ExpiryWatch& watch_;
    const uint64_t id_;
  };

  // Calls `on_expiry` once, soon after clock.Now() >= deadline, unless the returned
  // handle is destroyed first.
  std::unique_ptr<Handle> Watch(absl::Time deadline, std::function<void()> on_expiry);

  size_t watched() const;

 private:
  struct Entry {
    absl::Time deadline;
    std::function<void()> on_expiry;
  };
  void Run();

  Clock& clock_;
  const absl::Duration poll_;
  mutable absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  std::map<uint64_t, Entry> entries_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace freehold::storaged
