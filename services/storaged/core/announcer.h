// Announcer: keeps the coordinator informed about this node. Registers at start,
// heartbeats every interval with usage and newly found corrupt shards, registers
// again when the coordinator answers NOT_FOUND (it forgot the node), and backs off
// exponentially (capped, with jitter) while the coordinator is unreachable. It runs
// on its own thread, so serving never waits for the coordinator.
#pragma once

#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/logging.h"
#include "services/storaged/core/shard_store.h"

namespace freehold::storaged {

struct NodeRegistration {
  std::string node_id;
  std::string address;
  std::string region;
  std::string zone;
  std::string host;
  uint64_t capacity_bytes = 0;
  uint64_t filesystem_bytes = 0;  // total size of the file system (0 = unknown)
  std::string public_key;  // raw 32 bytes
  std::string version;
};

struct HeartbeatReport {
  std::string node_id;
  uint64_t used_bytes = 0;
  uint64_t free_bytes = 0;
  uint64_t shard_count = 0;
  std::string version;
  std::vector<std::string> corrupt_shard_keys;
  uint64_t inventory_count = 0;  // StoreStats::inventory_count / inventory_digest
  std::string inventory_digest;  // 32 raw bytes
};

// The coordinator as seen by the announcer. Implementations sign the requests with
// the node key. Thread-compatible (used from the announcer thread only).
class CoordinatorClient {
 public:
  virtual ~CoordinatorClient() = default;
  // Returns the heartbeat interval the coordinator asks for (zero = no preference).
  virtual absl::StatusOr<absl::Duration> Register(const NodeRegistration& registration) = 0;
  // NOT_FOUND means "register again"; other errors are retried with backoff.
  virtual absl::Status Heartbeat(const HeartbeatReport& report) = 0;
};

struct AnnouncerOptions {
  absl::Duration heartbeat_interval = absl::Seconds(5);
  absl::Duration initial_backoff = absl::Milliseconds(200);
  absl::Duration max_backoff = absl::Seconds(30);
};

// Thread-safe. `client` and `store` must outlive it.
class Announcer {
 public:
  Announcer(CoordinatorClient& client, ShardStore& store, NodeRegistration registration,
            AnnouncerOptions options, Logger log);
  ~Announcer();  // Stop()

  void Start();
  void Stop();  // idempotent; interrupts waits, not an RPC in flight

  // For tests and status: counts of successful calls and whether registered now.
  uint64_t registrations() const;
  uint64_t heartbeats() const;

  // The delay after `failures` consecutive failures: initial * 2^(failures-1), capped
  // at max, without jitter. Exposed for tests.
  static absl::Duration Backoff(int failures, const AnnouncerOptions& options);

 private:
  void Run();
  bool SleepFor(absl::Duration d);  // false if stopped

  CoordinatorClient& client_;
  ShardStore& store_;
  const NodeRegistration registration_;
  const AnnouncerOptions options_;
  const Logger log_;

  mutable absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t registrations_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t heartbeats_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;
};

}  // namespace freehold::storaged
