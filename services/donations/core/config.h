// Typed configuration of freehold-donations (flags in main.cc, env FREEHOLD_...).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace freehold::donations {

struct DonationsConfig {
  std::string listen = "127.0.0.1:7600";          // gRPC
  std::string metrics_listen = "127.0.0.1:9600";  // Prometheus /metrics
  std::string http_listen = "127.0.0.1:8600";     // webhooks + transparency page
  std::string database_url;                       // required
  std::string log_level = "info";
  int db_pool_size = 8;
  int http_threads = 16;
  // How long the rendered transparency page and ledger export are served from memory
  // (core/page_cache.h; also invalidated by this replica's ledger changes); 0 = render
  // every request.
  absl::Duration page_cache_ttl = absl::Seconds(2);
  // Optional directory of static files served at /<name> on the HTTP port.
  std::string http_static_dir;
  std::string base_currency = "EUR";
  // Stripe endpoint secrets; several during rotation. Each may be "file:/path".
  std::vector<std::string> stripe_webhook_secrets;
  // Or a file of them, one per line (webhook_signature.h ParseWebhookSecretsFile),
  // re-read every secrets_reload_interval and on SIGHUP: rotation without a restart.
  std::string stripe_webhook_secrets_file;
  absl::Duration secrets_reload_interval = absl::Seconds(10);
  absl::Duration webhook_tolerance = absl::Minutes(5);
  std::string exchange_rates_file;     // CSV currency,rate,effective_from (optional; manual)
  // The ECB's reference rates (eurofxref CSV or XML, core/ecb_rates.h), re-read every
  // ecb_rates_reload_interval and on SIGHUP when changed; stored as source 'file'.
  std::string ecb_rates_file;
  absl::Duration ecb_rates_reload_interval = absl::Minutes(10);
  // How often payments parked for want of a rate are retried (also right after rates
  // are stored).
  absl::Duration parked_replay_interval = absl::Minutes(1);
  // The coordinator (Funding.GetFundingStatus): the page's storage cost is the one it
  // computes. The typed costs below are deprecated fallbacks for when it is not set or
  // not reachable.
  std::string coordinator;
  // accounts (GetLifecycleReport): the page shows the abandoned-account counts; empty
  // = not shown. (The abuse counts come from --coordinator.)
  std::string accounts;
  int64_t monthly_cost_minor = -1;     // base minor units; -1 = unknown
  std::string monthly_cost_file;       // file with one integer; re-read on each page view
  std::string receipt_key_file;        // Ed25519 signing key; created (0600) if missing
  std::string receipt_public_key_out;  // writes "ed25519 <key_id> <base64 pub>"
  absl::Duration gauge_refresh = absl::Seconds(15);
  // Group commit of webhook intake (core/intake_batcher.h): autocommit connections
  // for the one-statement path (0 = every event in its own transaction), events per
  // batch, and how long a batch leader waits for more.
  int intake_connections = 2;
  int intake_batch_max = 32;
  absl::Duration intake_batch_wait = absl::ZeroDuration();
  // How often journaled payments are copied into the ledger (pg migration 0006).
  absl::Duration ledger_projection_interval = absl::Milliseconds(100);
  // Accounts verification keys (`ed25519 <key_id> <base64>` per line). Without them the
  // operator RPCs answer FAILED_PRECONDITION. Re-read every gauge_refresh (rotation).
  std::string accounts_keys_file;

  // INVALID_ARGUMENT naming the flag.
  absl::Status Validate() const;
};

}  // namespace freehold::donations
