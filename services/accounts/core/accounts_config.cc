#include "services/accounts/core/accounts_config.h"

#include <algorithm>

#include "common/config.h"
#include "common/logging.h"

namespace freehold::accounts {

void AddAccountsFlags(CLI::App& app, AccountsConfig* c) {
  AddFlag(app, "--listen", &c->listen, "gRPC listen address (port 0 picks a free port)");
  AddFlag(app, "--metrics-listen", &c->metrics_listen, "Prometheus /metrics listen address");
  AddSecretFlag(
      app, "--database-url", &c->database_url,
      "PostgreSQL URL (schema 'accounts'); with a password only via FREEHOLD_DATABASE_URL "
      "or file:/path",
      SecretKind::kUrlPassword);
  AddFlag(app, "--database-pool-size", &c->database_pool_size, "PostgreSQL connections");
  AddFlag(app, "--login-workers", &c->login_workers,
          "threads that run Login's database round trip off gRPC's threads (0: on gRPC's "
          "callback threads, which then wait for PostgreSQL; for tests)");
  AddDurationFlag(app, "--database-wait", &c->database_wait,
                  "how long to wait for PostgreSQL at start-up");
  AddFlag(app, "--data-dir", &c->data_dir, "directory for the token signing keys");
  AddFlag(app, "--pepper-file", &c->pepper_file,
          "file holding the server pepper (>= 32 chars, mode 0600); else env FREEHOLD_PEPPER");
  AddFlag(app, "--verification-keys-out", &c->verification_keys_out,
          "write the token verification public keys here ('ed25519 <id> <base64>' lines)");
  AddFlag(app, "--log-level", &c->log_level, "debug | info | warn | error");
  AddFlag(app, "--bootstrap-admin", &c->bootstrap_admin,
          "grant every role (accounts:admin, donations:admin, coordinator:operator) to the "
          "account with this handle and exit (needs --database-url; makes the first admin)");
  AddFlag(app, "--rotate-signing-key", &c->rotate_signing_key,
          "add a new token signing key, write --verification-keys-out and exit");
  AddFlag(app, "--max-token-keys", &c->max_token_keys,
          "token keys kept for verification after rotation (>= 2)");
  AddFlag(app, "--signing-keys-file", &c->signing_keys_file,
          "token signing key set shared by every replica (mode 0600, written by "
          "--rotate-signing-keys-file), re-read on change and on SIGHUP; replaces the "
          "keys under --data-dir");
  AddDurationFlag(app, "--signing-keys-reload-interval", &c->signing_keys_reload_interval,
                  "how often --signing-keys-file is re-read");
  AddFlag(app, "--rotate-signing-keys-file", &c->rotate_signing_keys_file,
          "add a new signing key to this key set file (created if missing), prune retired "
          "keys, write --verification-keys-out and exit");
  AddFlag(app, "--prune-signing-keys-file", &c->prune_signing_keys_file,
          "remove the keys of this key set file whose tokens have all expired, write "
          "--verification-keys-out and exit");
  AddDurationFlag(app, "--signing-key-activation-delay", &c->signing_key_activation_delay,
                  "a rotated-in key signs this long after the rotation, once every verifier "
                  "has re-read the published keys");
  AddDurationFlag(app, "--signing-key-retire-margin", &c->signing_key_retire_margin,
                  "a retired key is kept --access-token-lifetime plus this margin (reloads, "
                  "clock skew) before pruning");
  AddFlag(app, "--allow-weak-kdf", &c->allow_weak_kdf,
          "TESTS/DEV ONLY: accept Argon2id parameters below ops 2 / 19 MiB");
  AddFlag(app, "--kdf-default-ops", &c->kdf_default_ops,
          "Argon2id ops limit for new password wrappings (PreLogin recommended_kdf; "
          "default 3 = libsodium MODERATE); weaker accounts are upgraded at login");
  AddFlag(app, "--kdf-default-mem", &c->kdf_default_mem,
          "Argon2id memory (bytes) for new password wrappings (default 268435456 = 256 MiB, "
          "libsodium MODERATE)");
  AddDurationFlag(app, "--access-token-lifetime", &c->access_token_lifetime,
                  "access token lifetime");
  AddDurationFlag(app, "--refresh-token-lifetime", &c->refresh_token_lifetime,
                  "refresh token (session) lifetime, extended on every refresh");
  AddDurationFlag(app, "--recovery-challenge-lifetime", &c->recovery_challenge_lifetime,
                  "how long a recovery challenge can be answered");
  AddDurationFlag(app, "--maintenance-interval", &c->maintenance_interval,
                  "period of the sessions gauge refresh and purge of old rows");
  AddDurationFlag(app, "--session-retention", &c->session_retention,
                  "how long revoked or expired sessions are kept before purging");
  AddDurationFlag(app, "--inactivity-silence", &c->lifecycle.silence,
                  "silence (no login, recovery or refresh) after which an account is warned "
                  "through its contact address (default 17520h, ~24 months; 0 disables the "
                  "abandoned-account lifecycle)");
  AddDurationFlag(app, "--inactivity-grace", &c->lifecycle.grace,
                  "from the warning to the trash, unless the owner logs in (default 1440h)");
  AddDurationFlag(app, "--inactivity-trash-retention", &c->lifecycle.trash_retention,
                  "from the trash to collection (deletion), unless the owner logs in "
                  "(default 720h)");
  AddDurationFlag(app, "--lifecycle-report-cache", &c->lifecycle.report_cache,
                  "GetLifecycleReport (unauthenticated) answers from a report at most this "
                  "old, so it cannot load the database (default 5s; 0 reads every call)");
  FairUseConfig& f = c->fair_use;
  AddFlag(app, "--login-free-failures-per-account", &f.login_free_failures_per_account,
          "failed logins per handle from one network (IPv4 address, IPv6 /64) before "
          "back-off starts (shared by every replica, in PostgreSQL)");
  AddFlag(app, "--login-free-failures-per-address", &f.login_free_failures_per_address,
          "failed logins per network (IPv4 address, IPv6 /64), over all handles, before "
          "back-off starts");
  AddDurationFlag(app, "--login-backoff-base", &f.login_backoff_base,
                  "first back-off delay; doubles with every further failure");
  AddDurationFlag(app, "--login-backoff-max", &f.login_backoff_max, "longest back-off delay");
  AddDurationFlag(app, "--login-failure-memory", &f.login_failure_memory,
                  "failure counts are forgotten after this long without failures");
  AddFlag(app, "--registrations-per-address-per-hour", &f.registrations_per_address_per_hour,
          "registrations allowed per source address per hour (0 = unlimited)");
  AddFlag(app, "--public-key-lookups-per-account-per-minute",
          &f.public_key_lookups_per_account_per_minute,
          "GetPublicKey calls allowed per calling account per minute (0 = unlimited)");
  AddFlag(app, "--public-key-lookups-per-address-per-minute",
          &f.public_key_lookups_per_address_per_minute,
          "GetPublicKey calls allowed per source address per minute (0 = unlimited)");
}

absl::Status AccountsConfig::Validate() const {
  const int commands = int{rotate_signing_key} + int{!rotate_signing_keys_file.empty()} +
                       int{!prune_signing_keys_file.empty()};
  if (commands > 1) {
    return absl::InvalidArgumentError(
        "--rotate-signing-key, --rotate-signing-keys-file, --prune-signing-keys-file: one at "
        "a time");
  }
  const bool file_keys = !signing_keys_file.empty() || !rotate_signing_keys_file.empty() ||
                         !prune_signing_keys_file.empty();
  if (data_dir.empty() && !file_keys && bootstrap_admin.empty()) return absl::InvalidArgumentError("--data-dir: required");
  if (rotate_signing_key && !signing_keys_file.empty()) {
    return absl::InvalidArgumentError(
        "--rotate-signing-key: rotates the keys under --data-dir; with --signing-keys-file "
        "use --rotate-signing-keys-file");
  }
  if (max_token_keys < 2) return absl::InvalidArgumentError("--max-token-keys: must be >= 2");
  if (!ParseLogLevel(log_level).ok()) {
    return absl::InvalidArgumentError("--log-level: must be debug, info, warn or error");
  }
  if (signing_key_activation_delay < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--signing-key-activation-delay: must be >= 0");
  }
  if (signing_key_retire_margin < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--signing-key-retire-margin: must be >= 0");
  }
  if (access_token_lifetime <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--access-token-lifetime: must be > 0");
  }
  if (IsKeyCommand()) return absl::OkStatus();  // needs nothing else
  if (signing_keys_reload_interval < absl::Milliseconds(100)) {
    return absl::InvalidArgumentError("--signing-keys-reload-interval: must be >= 100ms");
  }
  if (listen.empty()) return absl::InvalidArgumentError("--listen: required");
  if (metrics_listen.empty()) return absl::InvalidArgumentError("--metrics-listen: required");
  if (database_url.empty()) return absl::InvalidArgumentError("--database-url: required");
  if (login_workers < 0 || login_workers > 256) {
    return absl::InvalidArgumentError("--login-workers: must be 0..256");
  }
  if (database_pool_size < 1 || database_pool_size > 256) {
    return absl::InvalidArgumentError("--database-pool-size: must be 1..256");
  }
  if (database_wait < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--database-wait: must be >= 0");
  }
  if (maintenance_interval < absl::Milliseconds(100)) {
    return absl::InvalidArgumentError("--maintenance-interval: must be >= 100ms");
  }
  if (session_retention < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--session-retention: must be >= 0");
  }
  if (absl::Status s = fair_use.Validate(); !s.ok()) return s;
  if (absl::Status s = lifecycle.Validate(); !s.ok()) return s;
  return ToOptions().Validate();
}

RotationPolicy AccountsConfig::Rotation() const {
  return RotationPolicy{signing_key_activation_delay,
                        access_token_lifetime + signing_key_retire_margin};
}

LoginThrottleConfig AccountsConfig::LoginThrottle() const {
  LoginThrottleConfig t;
  t.free_failures_per_handle = fair_use.login_free_failures_per_account;
  t.free_failures_per_network = fair_use.login_free_failures_per_address;
  t.base = fair_use.login_backoff_base;
  t.max = fair_use.login_backoff_max;
  t.memory = fair_use.login_failure_memory;
  return t;
}

AccountsOptions AccountsConfig::ToOptions() const {
  AccountsOptions o;
  o.access_token_lifetime = access_token_lifetime;
  o.refresh_token_lifetime = refresh_token_lifetime;
  o.recovery_challenge_lifetime = recovery_challenge_lifetime;
  o.kdf_bounds = allow_weak_kdf ? KdfBounds::Weak() : KdfBounds::Production();
  o.default_kdf = KdfParams{kdf_default_ops, kdf_default_mem, kKdfAlgorithm};
  if (lifecycle.enabled()) {
    o.lease_renew_interval = std::min(absl::Hours(24), lifecycle.silence / 10);
  }
  return o;
}

}  // namespace freehold::accounts
