// Configuration of the freehold-accounts binary: one typed struct, filled from flags with
// FREEHOLD_* environment fallbacks (common/config.h), validated at start-up.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "services/accounts/core/account_lifecycle.h"
#include "services/accounts/core/accounts_options.h"
#include "services/accounts/core/fair_use_limiter.h"
#include "services/accounts/core/login_throttle.h"
#include "services/accounts/core/signing_key_set.h"

namespace freehold::accounts {

struct AccountsConfig {
  std::string listen = "127.0.0.1:7101";          // gRPC; port 0 picks one (READY line)
  std::string metrics_listen = "127.0.0.1:7201";  // Prometheus /metrics
  std::string database_url;                       // libpq URL (required)
  int database_pool_size = 8;
  int login_workers = 4;  // threads running Login (each holds one connection at a time)
  absl::Duration database_wait = absl::Seconds(30);  // how long to wait for PostgreSQL
  std::string data_dir;  // token signing keys in <data_dir>/token-keys (without signing_keys_file)
  std::string pepper_file;            // else env FREEHOLD_PEPPER (value or "file:/path")
  std::string verification_keys_out;  // public key file for other services (optional)
  std::string log_level = "info";

  bool rotate_signing_key = false;  // rotate, write the public key file, exit
  // Grant every role (core/roles.h) to this account, then exit: makes the first admin.
  std::string bootstrap_admin;
  int max_token_keys = 3;

  // The signing key set from one file every replica shares (core/signing_key_set.h),
  // instead of <data_dir>/token-keys; re-read every signing_keys_reload_interval and
  // on SIGHUP.
  std::string signing_keys_file;
  absl::Duration signing_keys_reload_interval = absl::Seconds(10);
  // Commands on such a file (then exit): add a new key and prune, or only prune.
  std::string rotate_signing_keys_file;
  std::string prune_signing_keys_file;
  // A new key signs this long after the rotation (every verifier re-reads the public
  // keys first); a retired key is kept access_token_lifetime + this margin.
  absl::Duration signing_key_activation_delay = absl::Minutes(5);
  absl::Duration signing_key_retire_margin = absl::Minutes(5);

  // Argon2id policy. allow_weak_kdf accepts parameters below the production floor
  // (ops >= 1, mem >= 8 KiB) so tests and development run fast. Never in production.
  bool allow_weak_kdf = false;
  // Default: libsodium's MODERATE level (crypto_pwhash_OPSLIMIT_MODERATE = 3,
  // crypto_pwhash_MEMLIMIT_MODERATE = 256 MiB).
  uint64_t kdf_default_ops = 3;
  uint64_t kdf_default_mem = 256ull << 20;

  absl::Duration access_token_lifetime = absl::Minutes(15);
  absl::Duration refresh_token_lifetime = absl::Hours(24 * 30);
  absl::Duration recovery_challenge_lifetime = absl::Minutes(5);
  absl::Duration maintenance_interval = absl::Seconds(15);  // sessions gauge + purge
  absl::Duration session_retention = absl::Hours(24 * 7);   // keep revoked/expired rows

  FairUseConfig fair_use;
  // Abandoned accounts (core/account_lifecycle.h): --inactivity-silence (0 disables),
  // --inactivity-grace, --inactivity-trash-retention; run every maintenance_interval.
  LifecyclePolicy lifecycle;

  // INVALID_ARGUMENT naming the flag.
  absl::Status Validate() const;
  // The core options these flags describe.
  AccountsOptions ToOptions() const;
  // The shared login throttle's settings (the --login-* flags).
  LoginThrottleConfig LoginThrottle() const;
  // How --rotate-signing-keys-file / --prune-signing-keys-file treat the key set.
  RotationPolicy Rotation() const;
  // True for the offline commands that rewrite a key file and exit.
  bool IsKeyCommand() const {
    return rotate_signing_key || !rotate_signing_keys_file.empty() ||
           !prune_signing_keys_file.empty();
  }
};

// Registers every flag of AccountsConfig on `app` (bound to *config).
void AddAccountsFlags(CLI::App& app, AccountsConfig* config);

}  // namespace freehold::accounts
