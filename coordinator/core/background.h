// Runs periodic tasks on their own threads. Leader-only tasks run only while
// the LeaderElector says this replica leads (PostgreSQL advisory lock), so
// several coordinator replicas never collect or mark nodes twice.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/logging.h"
#include "coordinator/core/store.h"

namespace freehold::coordinator {

struct PeriodicTask {
  std::string name;
  absl::Duration interval = absl::Seconds(2);
  bool leader_only = true;
  std::function<absl::Status()> run;  // errors are logged; the task runs again next period
};

class BackgroundLoops {
 public:
  // `elector` may be null when no task is leader-only.
  BackgroundLoops(LeaderElector* elector, Logger log);
  ~BackgroundLoops();  // Stop()

  void Add(PeriodicTask task);  // before Start()
  void Start();
  // Wakes every loop, waits for the current runs to finish. Idempotent.
  void Stop();

 private:
  void Loop(const PeriodicTask& task);

  LeaderElector* elector_;
  Logger log_;
  std::vector<PeriodicTask> tasks_;
  std::vector<std::thread> threads_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace freehold::coordinator
