// DonationsConfig validation.
#include "services/donations/core/config.h"

#include "absl/strings/str_cat.h"
#include "services/donations/core/currency.h"

namespace freehold::donations {

absl::Status DonationsConfig::Validate() const {
  if (listen.empty()) return absl::InvalidArgumentError("--listen: required");
  if (http_listen.empty()) return absl::InvalidArgumentError("--http-listen: required");
  if (database_url.empty()) {
    return absl::InvalidArgumentError("--database-url: required (FREEHOLD_DATABASE_URL)");
  }
  if (db_pool_size < 1 || db_pool_size > 256) {
    return absl::InvalidArgumentError("--db-pool-size: must be 1..256");
  }
  if (http_threads < 1 || http_threads > 256) {
    return absl::InvalidArgumentError("--http-threads: must be 1..256");
  }
  if (page_cache_ttl < absl::ZeroDuration() || page_cache_ttl > absl::Hours(1)) {
    return absl::InvalidArgumentError("--page-cache-ttl: must be 0..1h");
  }
  if (base_currency.size() != 3 || !MinorDigits(base_currency).has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--base-currency: unknown currency \"", base_currency, "\""));
  }
  for (const std::string& s : stripe_webhook_secrets) {
    if (s.empty()) return absl::InvalidArgumentError("--stripe-webhook-secret: empty secret");
  }
  if (!stripe_webhook_secrets.empty() && !stripe_webhook_secrets_file.empty()) {
    return absl::InvalidArgumentError(
        "--stripe-webhook-secrets-file: give the secrets either in this file or with "
        "--stripe-webhook-secret, not both");
  }
  if (secrets_reload_interval < absl::Milliseconds(100)) {
    return absl::InvalidArgumentError("--stripe-webhook-secrets-reload-interval: must be >= 100ms");
  }
  if (webhook_tolerance <= absl::ZeroDuration() || webhook_tolerance > absl::Hours(24)) {
    return absl::InvalidArgumentError("--webhook-tolerance: must be in (0, 24h]");
  }
  if (monthly_cost_minor < -1) {
    return absl::InvalidArgumentError("--monthly-cost-minor: must be >= 0");
  }
  if (intake_connections < 0 || intake_connections > 64) {
    return absl::InvalidArgumentError("--intake-connections: must be 0..64");
  }
  if (intake_batch_max < 1 || intake_batch_max > 64) {
    return absl::InvalidArgumentError("--intake-batch-max: must be 1..64");
  }
  if (intake_batch_wait < absl::ZeroDuration() || intake_batch_wait > absl::Milliseconds(50)) {
    return absl::InvalidArgumentError("--intake-batch-wait: must be 0..50ms");
  }
  if (gauge_refresh < absl::Seconds(1)) {
    return absl::InvalidArgumentError("--gauge-refresh: must be at least 1s");
  }
  if (ledger_projection_interval < absl::Milliseconds(1) ||
      ledger_projection_interval > absl::Minutes(1)) {
    return absl::InvalidArgumentError("--ledger-projection-interval: must be 1ms..1m");
  }
  return absl::OkStatus();
}

}  // namespace freehold::donations
