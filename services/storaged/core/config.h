// Typed configuration of freehold-storaged (one struct, validated at start).
// Every field is a flag with an env fallback FREEHOLD_<FLAG>; see AddStoragedFlags.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace CLI {
class App;
}  // namespace CLI

namespace freehold::storaged {

struct StoragedConfig {
  // gRPC listen address host:port (port 0 = pick a free port, reported on the READY line).
  std::string listen = "127.0.0.1:7400";
  // Prometheus /metrics listen address host:port; empty disables the exposer.
  std::string metrics_listen = "127.0.0.1:9400";
  // Directory holding node identity, shards and temporary files (created if missing).
  std::string data_dir;
  // Coordinator public key file(s) whose grants are accepted (one key per line,
  // "ed25519 <key_id> <base64>" or "fh-ed25519-public:<key_id>:<base64url>").
  std::string coordinator_keys;
  // How often the key file is checked for changes (0 = only on SIGHUP).
  absl::Duration keys_reload_interval = absl::Seconds(5);
  // Bytes this node offers; 0 = the size of the file system holding data_dir.
  uint64_t capacity_bytes = 0;
  // Bytes kept free on the file system (and below capacity) that puts never use.
  uint64_t reserve_bytes = uint64_t{1} << 30;
  // Largest shard a grant may ask for.
  uint64_t max_shard_bytes = uint64_t{4} << 30;
  // Write shards with O_DIRECT (falls back to buffered writes where unsupported), through
  // write_buffers buffers of write_buffer_bytes (a multiple of 4 KiB) per put in progress.
  bool direct_io = true;
  uint64_t write_buffer_bytes = uint64_t{2} << 20;
  uint64_t write_buffers = 4;

  // Coordinator gRPC address; empty = no registration or heartbeats.
  std::string coordinator;
  // Address advertised to the coordinator; empty = the bound gRPC address.
  std::string node_address;
  std::string region = "default";
  std::string zone = "default";
  std::string host;  // empty = this machine's host name
  absl::Duration heartbeat_interval = absl::Seconds(5);
  // Upper bound of the exponential backoff while the coordinator is unreachable.
  absl::Duration max_backoff = absl::Seconds(30);

  // Pause between two full scrub passes, and the re-hash rate limit (0 = unlimited).
  absl::Duration scrub_interval = absl::Hours(24);
  uint64_t scrub_bytes_per_second = uint64_t{64} << 20;
  // Delay from start to the first scrub pass (then scrub_interval between passes).
  absl::Duration scrub_first_delay = absl::Minutes(1);

  // The orphan sweep (SweepOrphans) deletes unreferenced shards only when they were
  // stored longer ago than this: longer than any grant's lifetime plus the time a
  // commit may take. Default 2 x 1 h (the longest PUT grant lifetime to configure on
  // the coordinator, --grant-ttl, default 15 min) + 1 h.
  absl::Duration orphan_grace = absl::Hours(3);

  std::string log_level = "info";
  // How long SIGTERM waits for in-flight RPCs before cancelling them.
  absl::Duration shutdown_timeout = absl::Seconds(10);

  // OK, or INVALID_ARGUMENT naming the bad flag ("--data-dir is required").
  absl::Status Validate() const;
};

// Registers every field of *config as a flag on `app` (with env fallbacks).
// Size flags accept unit suffixes (k, M, G, KiB, MiB, GiB; powers of 1024).
void AddStoragedFlags(CLI::App& app, StoragedConfig* config);

// True if `address` is "host:port" or "[v6]:port" with a port in 0..65535.
bool IsHostPort(const std::string& address);

}  // namespace freehold::storaged
