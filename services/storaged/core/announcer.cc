#include "services/storaged/core/announcer.h"

#include <random>

namespace freehold::storaged {

Announcer::Announcer(CoordinatorClient& client, ShardStore& store, NodeRegistration registration,
                     AnnouncerOptions options, Logger log)
    : client_(client),
      store_(store),
      registration_(std::move(registration)),
      options_(options),
      log_(std::move(log)) {}

Announcer::~Announcer() { Stop(); }

void Announcer::Start() {
  if (!thread_.joinable()) thread_ = std::thread([this] { Run(); });
}

void Announcer::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

uint64_t Announcer::registrations() const {
  absl::MutexLock lock(&mu_);
  return registrations_;
}

uint64_t Announcer::heartbeats() const {
  absl::MutexLock lock(&mu_);
  return heartbeats_;
}

absl::Duration Announcer::Backoff(int failures, const AnnouncerOptions& options) {
  absl::Duration d = options.initial_backoff;
  for (int i = 1; i < failures && d < options.max_backoff; ++i) d *= 2;
  return std::min(d, options.max_backoff);
}

bool Announcer::SleepFor(absl::Duration d) {
  absl::MutexLock lock(&mu_);
  auto stopped = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stop_; };
  mu_.AwaitWithTimeout(absl::Condition(&stopped), d);
  return !stop_;
}

void Announcer::Run() {
  std::minstd_rand rng(std::random_device{}());
  std::uniform_real_distribution<double> jitter(0.8, 1.2);
  bool registered = false;
  bool just_registered = false;  // no heartbeat accepted since the last registration
  int failures = 0;
  absl::Duration interval = options_.heartbeat_interval;
  absl::StatusCode last_error = absl::StatusCode::kOk;
  auto failed = [&](const absl::Status& s, std::string_view what) {
    ++failures;
    // Log when the kind of failure changes, not on every retry.
    if (s.code() != last_error) {
      log_.Warn(what, {{"status", s}, {"coordinator_retry", failures}});
      last_error = s.code();
    }
    return Backoff(failures, options_) * jitter(rng);
  };

  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (stop_) return;
    }
    if (!registered) {
      absl::StatusOr<absl::Duration> asked = client_.Register(registration_);
      if (!asked.ok()) {
        if (!SleepFor(failed(asked.status(), "registration with the coordinator failed"))) return;
        continue;
      }
      registered = true;
      just_registered = true;
      failures = 0;
      last_error = absl::StatusCode::kOk;
      interval = options_.heartbeat_interval;
      if (*asked > absl::ZeroDuration()) interval = std::min(interval, *asked);
      {
        absl::MutexLock lock(&mu_);
        ++registrations_;
      }
      log_.Info("registered with the coordinator",
                {{"address", registration_.address}, {"heartbeat_interval", interval}});
      // Heartbeat right away so the coordinator learns the usage.
    }
    const StoreStats stats = store_.Stats();
    HeartbeatReport report;
    report.node_id = registration_.node_id;
    report.used_bytes = stats.used_bytes;
    report.free_bytes = stats.free_bytes;
    report.shard_count = stats.shard_count;
    report.inventory_count = stats.inventory_count;
    report.inventory_digest.assign(reinterpret_cast<const char*>(stats.inventory_digest.data()),
                                   stats.inventory_digest.size());
    report.version = registration_.version;
    report.corrupt_shard_keys = store_.TakeNewlyCorrupt();
    const absl::Status s = client_.Heartbeat(report);
    if (s.ok()) {
      {
        absl::MutexLock lock(&mu_);
        ++heartbeats_;
      }
      if (last_error != absl::StatusCode::kOk) log_.Info("coordinator reachable again");
      failures = 0;
      just_registered = false;
      last_error = absl::StatusCode::kOk;
      if (!SleepFor(interval)) return;
      continue;
    }
    store_.PutBackCorrupt(std::move(report.corrupt_shard_keys));
    if (s.code() == absl::StatusCode::kNotFound) {
      log_.Warn("coordinator does not know this node; registering again", {{"status", s}});
      registered = false;
      // Re-register at once, unless the coordinator forgot us again right after a
      // registration (then back off instead of spinning).
      if (just_registered && !SleepFor(failed(s, "coordinator forgot the node again"))) return;
      continue;
    }
    if (!SleepFor(failed(s, "heartbeat failed"))) return;
  }
}

}  // namespace freehold::storaged
