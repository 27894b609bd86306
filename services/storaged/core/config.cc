#include "services/storaged/core/config.h"

#include <CLI/CLI.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/config.h"
#include "common/logging.h"
#include "services/storaged/core/internal/sv.h"

namespace freehold::storaged {

bool IsHostPort(const std::string& address) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  std::string host = address.substr(0, colon);
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return false;
  } else if (host.find(':') != std::string::npos) {
    return false;
  }
  uint32_t port = 0;
  const std::string port_text = address.substr(colon + 1);
  return !port_text.empty() && absl::SimpleAtoi(port_text, &port) && port <= 65535;
}

absl::Status StoragedConfig::Validate() const {
  auto bad = [](std::string_view flag, std::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(internal::Sv(flag), " ", internal::Sv(why)));
  };
  if (!IsHostPort(listen)) return bad("--listen", "must be host:port, e.g. 127.0.0.1:7400");
  if (!metrics_listen.empty() && !IsHostPort(metrics_listen)) {
    return bad("--metrics-listen", "must be host:port or empty");
  }
  if (data_dir.empty()) return bad("--data-dir", "is required");
  if (coordinator_keys.empty()) {
    return bad("--coordinator-keys", "is required (file of coordinator public keys)");
  }
  if (keys_reload_interval < absl::ZeroDuration()) {
    return bad("--keys-reload-interval", "must not be negative");
  }
  if (capacity_bytes != 0 && reserve_bytes >= capacity_bytes) {
    return bad("--reserve-bytes", "must be smaller than --capacity-bytes");
  }
  if (max_shard_bytes == 0) return bad("--max-shard-bytes", "must be positive");
  if (write_buffer_bytes == 0 || write_buffer_bytes % 4096 != 0 ||
      write_buffer_bytes > (uint64_t{256} << 20)) {
    return bad("--write-buffer-bytes", "must be a multiple of 4KiB between 4KiB and 256MiB");
  }
  if (write_buffers < 2 || write_buffers > 64) {
    return bad("--write-buffers", "must be between 2 and 64");
  }
  // The ring is the memory one put in progress holds (and the pool keeps a few rings).
  if (static_cast<uint64_t>(write_buffers) * write_buffer_bytes > (uint64_t{256} << 20)) {
    return bad("--write-buffers", "times --write-buffer-bytes must be at most 256MiB per put");
  }
  if (!coordinator.empty() && !IsHostPort(coordinator)) {
    return bad("--coordinator", "must be host:port or empty");
  }
  if (!node_address.empty() && !IsHostPort(node_address)) {
    return bad("--node-address", "must be host:port or empty");
  }
  if (region.empty()) return bad("--region", "must not be empty");
  if (zone.empty()) return bad("--zone", "must not be empty");
  if (heartbeat_interval <= absl::ZeroDuration()) {
    return bad("--heartbeat-interval", "must be positive");
  }
  if (max_backoff <= absl::ZeroDuration()) return bad("--max-backoff", "must be positive");
  if (scrub_interval <= absl::ZeroDuration()) return bad("--scrub-interval", "must be positive");
  if (orphan_grace <= absl::ZeroDuration()) return bad("--orphan-grace", "must be positive");
  if (scrub_first_delay < absl::ZeroDuration()) {
    return bad("--scrub-first-delay", "must not be negative");
  }
  if (!ParseLogLevel(log_level).ok()) {
    return bad("--log-level", "must be one of debug, info, warn, error");
  }
  if (shutdown_timeout < absl::ZeroDuration()) {
    return bad("--shutdown-timeout", "must not be negative");
  }
  return absl::OkStatus();
}

void AddStoragedFlags(CLI::App& app, StoragedConfig* c) {
  AddFlag(app, "--listen", &c->listen, "gRPC listen address host:port (port 0 = any free port)");
  AddFlag(app, "--metrics-listen", &c->metrics_listen,
          "Prometheus /metrics listen address host:port (empty = disabled)");
  AddFlag(app, "--data-dir", &c->data_dir, "data directory (node identity, shards)");
  AddFlag(app, "--coordinator-keys", &c->coordinator_keys,
          "file of coordinator public keys whose grants are accepted (re-read on SIGHUP)");
  AddDurationFlag(app, "--keys-reload-interval", &c->keys_reload_interval,
                  "how often the key file is checked for changes (0 = only on SIGHUP)");
  AddByteSizeFlag(
      app, "--capacity-bytes", &c->capacity_bytes,
      "bytes offered by this node (0 = size of the file system); units k/M/G/KiB/MiB/GiB");
  AddByteSizeFlag(app, "--reserve-bytes", &c->reserve_bytes,
                  "bytes always left free; puts that would eat into it get RESOURCE_EXHAUSTED");
  AddByteSizeFlag(app, "--max-shard-bytes", &c->max_shard_bytes, "largest accepted shard");
  AddFlag(app, "--direct-io", &c->direct_io,
          "write shards with O_DIRECT (--direct-io=false: through the page cache)");
  AddByteSizeFlag(app, "--write-buffer-bytes", &c->write_buffer_bytes,
                  "O_DIRECT buffer size (--write-buffers of them per put in progress)");
  AddFlag(app, "--write-buffers", &c->write_buffers,
          "O_DIRECT buffers per put in progress (filled, hashed and written in turn)");
  AddFlag(app, "--coordinator", &c->coordinator,
          "coordinator gRPC address host:port (empty = no registration)");
  AddFlag(app, "--node-address", &c->node_address,
          "address advertised to the coordinator (empty = the bound gRPC address)");
  AddFlag(app, "--region", &c->region, "failure domain: region");
  AddFlag(app, "--zone", &c->zone, "failure domain: zone");
  AddFlag(app, "--host", &c->host, "failure domain: host (empty = this machine's host name)");
  AddDurationFlag(app, "--heartbeat-interval", &c->heartbeat_interval,
                  "time between heartbeats (the coordinator may ask for a shorter one)");
  AddDurationFlag(app, "--max-backoff", &c->max_backoff,
                  "cap of the retry backoff while the coordinator is unreachable");
  AddDurationFlag(app, "--scrub-interval", &c->scrub_interval,
                  "pause between two full scrub passes");
  AddDurationFlag(app, "--scrub-first-delay", &c->scrub_first_delay,
                  "delay from start to the first scrub pass");
  AddByteSizeFlag(app, "--scrub-bytes-per-second", &c->scrub_bytes_per_second,
                  "scrubber re-hash rate limit in bytes/s, e.g. 64MiB (0 = unlimited)");
  AddDurationFlag(app, "--orphan-grace", &c->orphan_grace,
                  "the orphan sweep spares unreferenced shards younger than this (must exceed "
                  "the coordinator's longest grant lifetime; default 2 x 1h + 1h)");
  AddFlag(app, "--log-level", &c->log_level, "debug, info, warn or error");
  AddDurationFlag(app, "--shutdown-timeout", &c->shutdown_timeout,
                  "on SIGTERM, how long in-flight RPCs may finish before being cancelled");
}

}  // namespace freehold::storaged
