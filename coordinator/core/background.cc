#include "coordinator/core/background.h"

namespace freehold::coordinator {

BackgroundLoops::BackgroundLoops(LeaderElector* elector, Logger log)
    : elector_(elector), log_(std::move(log)) {}

BackgroundLoops::~BackgroundLoops() { Stop(); }

void BackgroundLoops::Add(PeriodicTask task) { tasks_.push_back(std::move(task)); }

void BackgroundLoops::Start() {
  for (const PeriodicTask& task : tasks_) {
    threads_.emplace_back([this, &task] { Loop(task); });
  }
}

void BackgroundLoops::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

void BackgroundLoops::Loop(const PeriodicTask& task) {
  bool was_leader = false;
  int failures = 0;
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
    }
    bool run = true;
    if (task.leader_only) {
      run = elector_ != nullptr && elector_->CheckLeadership();
      if (run != was_leader) {
        log_.Info(run ? "leading background task" : "not leading background task",
                  {{"task", task.name}});
        was_leader = run;
      }
    }
    if (run) {
      absl::Status s = task.run();
      if (!s.ok()) {
        // Log the first failure and then every 30th, so an outage does not flood.
        if (failures % 30 == 0) {
          log_.Warn("background task failed", {{"task", task.name}, {"error", s}});
        }
        ++failures;
      } else {
        failures = 0;
      }
    }
    absl::MutexLock lock(&mu_);
    auto stop = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; };
    mu_.AwaitWithTimeout(absl::Condition(&stop), task.interval);
  }
}

}  // namespace freehold::coordinator
