// freehold-accounts: zero-knowledge sign-up and login, sessions and access tokens
// (docs/ARCHITECTURE.md#3-accounts-and-keys). Wiring only; the logic lives in
// accounts_core/_pg/_grpc.
#include <iostream>
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_join.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "common/config.h"
#include "common/file_reloader.h"
#include "common/grpc_server.h"
#include "common/leader_lease.h"
#include "common/logging.h"
#include "common/metrics.h"
#include "common/migrate_options.h"
#include "common/pg.h"
#include "common/secure_compare.h"
#include "common/status.h"
#include "common/tls_config.h"
#include "services/accounts/core/account_crypto.h"
#include "services/accounts/core/account_service.h"
#include "services/accounts/core/accounts_config.h"
#include "services/accounts/core/accounts_metrics.h"
#include "services/accounts/core/fair_use_limiter.h"
#include "services/accounts/core/live_token_keys.h"
#include "services/accounts/core/login_service.h"
#include "services/accounts/core/maintenance_loop.h"
#include "services/accounts/pg/pg_lifecycle_store.h"
#include "services/accounts/pg/pg_org_store.h"
#include "services/accounts/pg/pg_owner_notice_store.h"
#include "services/accounts/core/session_service.h"
#include "services/accounts/core/signing_key_set.h"
#include "services/accounts/core/token_issuer.h"
#include "services/accounts/core/token_keyring.h"
#include "services/accounts/grpc/accounts_grpc_service.h"
#include "services/accounts/pg/pg_role_store.h"
#include "services/accounts/pg/pg_account_repository.h"
#include "services/accounts/pg/pg_login_throttle.h"

namespace freehold::accounts {
namespace {

constexpr char kProgram[] = "freehold-accounts";

absl::StatusOr<Pepper> LoadPepper(const AccountsConfig& config) {
  absl::StatusOr<std::string> secret;
  if (!config.pepper_file.empty()) {
    secret = ReadSecretFile(config.pepper_file);
  } else if (const char* env = std::getenv("FREEHOLD_PEPPER"); env != nullptr && *env) {
    secret = ResolveSecret(env);
  } else {
    return absl::InvalidArgumentError("--pepper-file or FREEHOLD_PEPPER: required");
  }
  if (!secret.ok()) return Annotate(secret.status(), "pepper");
  absl::StatusOr<Pepper> pepper = Pepper::FromSecret(*secret);
  SecureZero(*secret);
  return pepper;
}

absl::Status WaitForDatabase(PgPool& pool, absl::Duration wait, const Logger& log) {
  const absl::Time deadline = absl::Now() + wait;
  absl::Status s = pool.Ping();
  while (!s.ok() && absl::Now() < deadline) {
    log.Warn("waiting for PostgreSQL", {{"error", s}});
    absl::SleepFor(absl::Milliseconds(500));
    s = pool.Ping();
  }
  return s;
}

// "host:port" with the port replaced by `port`.
std::string WithPort(const std::string& address, int port) {
  const size_t colon = address.rfind(':');
  return absl::StrCat(address.substr(0, colon), ":", port);
}

// A new version of --signing-keys-file: published (--verification-keys-out) first,
// then in force. An error changes nothing.
absl::Status ApplyKeySet(const std::string& text, const AccountsConfig& config, LiveTokenKeys& keys,
                         const Logger& log) {
  FH_ASSIGN_OR_RETURN(SigningKeySet set, ParseSigningKeySet(text, config.signing_keys_file));
  if (!config.verification_keys_out.empty()) {
    FH_RETURN_IF_ERROR(WriteVerificationKeysFile(set.PublicKeys(), config.verification_keys_out));
  }
  keys.Replace(std::make_shared<TokenKeySnapshot>(set));
  const TimedSigningKey& signing = set.SignerAt(absl::Now());
  log.Info("token keys loaded",
           {{"keys", set.keys.size()},
            {"signing_key_id", signing.key.key_id},
            {"newest_key_id", set.keys.front().key.key_id},
            {"newest_signs_from", absl::FormatTime(absl::RFC3339_sec, set.keys.front().signs_from,
                                                   absl::UTCTimeZone())}});
  return absl::OkStatus();
}

// --rotate-signing-keys-file / --prune-signing-keys-file: rewrites the key set file
// (and --verification-keys-out) and exits.
int RunKeySetCommand(const AccountsConfig& config, const Logger& log) {
  const bool rotate = !config.rotate_signing_keys_file.empty();
  const std::string& path =
      rotate ? config.rotate_signing_keys_file : config.prune_signing_keys_file;
  SigningKeySet set;
  absl::StatusOr<SigningKeySet> current = ReadSigningKeySetFile(path);
  if (current.ok()) {
    set = *std::move(current);
  } else if (!rotate || current.status().code() != absl::StatusCode::kNotFound) {
    ExitIfError(Annotate(current.status(), path), kProgram);
  }
  const size_t before = set.keys.size();
  const absl::Time now = absl::Now();
  if (rotate) {
    absl::StatusOr<SigningKeySet> next =
        RotateSigningKeySet(std::move(set), now, config.Rotation());
    ExitIfError(next.status(), kProgram);
    set = *std::move(next);
  } else {
    set = PruneSigningKeySet(std::move(set), now, config.Rotation());
  }
  ExitIfError(WriteSigningKeySetFile(set, path), kProgram);
  if (!config.verification_keys_out.empty()) {
    ExitIfError(WriteVerificationKeysFile(set.PublicKeys(), config.verification_keys_out),
                kProgram);
  }
  log.Info(rotate ? "signing key set rotated" : "signing key set pruned",
           {{"file", path},
            {"keys", set.keys.size()},
            {"pruned", before + (rotate ? 1 : 0) - set.keys.size()},
            {"newest_key_id", set.keys.front().key.key_id},
            {"newest_signs_from", absl::FormatTime(absl::RFC3339_sec, set.keys.front().signs_from,
                                                   absl::UTCTimeZone())}});
  return 0;
}

// --bootstrap-admin HANDLE: grants every role to the account and exits (0 also when it
// held them all already).
int RunBootstrapAdmin(const AccountsConfig& config, const Logger& log) {
  PgPool pool(AccountsPoolOptions(config.database_url, 1));
  if (absl::Status s = WaitForDatabase(pool, config.database_wait, log); !s.ok()) {
    log.Error("PostgreSQL is unreachable", {{"error", s}});
    return 1;
  }
  if (absl::Status s = MigrateAccountsSchema(pool); !s.ok()) {
    log.Error("schema migration failed", {{"error", s}});
    return 1;
  }
  RealClock clock;
  PgRoleStore store(pool);
  RoleService roles(store, clock);
  absl::StatusOr<std::vector<std::string>> granted = roles.BootstrapAdmin(config.bootstrap_admin);
  if (!granted.ok()) {
    std::cerr << kProgram << ": --bootstrap-admin: " << granted.status().message() << "\n";
    return 1;
  }
  log.Info("bootstrap admin", {{"handle", config.bootstrap_admin},
                               {"roles_granted", absl::StrJoin(*granted, ",")}});
  std::cout << config.bootstrap_admin << " holds roles " << absl::StrJoin(KnownRoles(), ", ")
            << "\n";
  return 0;
}

int Run(const AccountsConfig& config, const TlsConfig& tls, const MigrateOptions& migrate) {
  Logger log("accounts", *ParseLogLevel(config.log_level));

  // Key set commands need no database.
  if (!config.rotate_signing_keys_file.empty() || !config.prune_signing_keys_file.empty()) {
    return RunKeySetCommand(config, log);
  }

  // Migrations with the owner role (deploy/README.md "Database roles"), if configured.
  absl::StatusOr<bool> migrated_only =
      RunMigrateStep(migrate, config.database_url, [&](PgPool& owner) {
        if (absl::Status s = WaitForDatabase(owner, config.database_wait, log); !s.ok()) return s;
        return MigrateAccountsSchema(owner);
      });
  if (!migrated_only.ok()) {
    log.Error("schema migration failed", {{"error", migrated_only.status()}});
    return 1;
  }
  if (*migrated_only) {
    log.Info("schema migrated (--migrate-only)");
    return 0;
  }

  if (!config.bootstrap_admin.empty()) return RunBootstrapAdmin(config, log);

  if (config.rotate_signing_key) {
    absl::StatusOr<std::string> id = TokenKeyring::Rotate(config.data_dir, config.max_token_keys);
    ExitIfError(id.status(), kProgram);
    auto ring = TokenKeyring::OpenOrCreate(config.data_dir);
    ExitIfError(ring.status(), kProgram);
    if (!config.verification_keys_out.empty()) {
      ExitIfError(WriteVerificationKeysFile((*ring)->public_keys(), config.verification_keys_out),
                  kProgram);
    }
    log.Info("rotated token signing key; restart the service to sign with it", {{"key_id", *id}});
    return 0;
  }

  absl::StatusOr<Pepper> pepper = LoadPepper(config);
  ExitIfError(pepper.status(), kProgram);

  PgPool pool(AccountsPoolOptions(config.database_url, config.database_pool_size));
  if (absl::Status s = WaitForDatabase(pool, config.database_wait, log); !s.ok()) {
    log.Error("PostgreSQL is unreachable", {{"error", s}});
    return 1;
  }
  if (absl::Status s = MigrateAccountsSchema(pool); !s.ok()) {
    log.Error("schema migration failed", {{"error", s}});
    return 1;
  }

  absl::StatusOr<std::unique_ptr<MetricsExposer>> exposer =
      MetricsExposer::Start(config.metrics_listen);
  if (!exposer.ok()) {
    log.Error("cannot serve metrics", {{"error", exposer.status()}});
    return 1;
  }

  // The token keys: the shared key set file (re-read while serving) or the keyring
  // under --data-dir (fixed until a restart).
  LiveTokenKeys keys(nullptr);
  std::unique_ptr<FileReloader> key_file;
  if (!config.signing_keys_file.empty()) {
    key_file = std::make_unique<FileReloader>(
        "--signing-keys-file", config.signing_keys_file,
        [&](const std::string& text) { return ApplyKeySet(text, config, keys, log); }, log,
        &(*exposer)->registry());
    ExitIfError(key_file->Load(), kProgram);
  } else {
    auto keyring = TokenKeyring::OpenOrCreate(config.data_dir);
    ExitIfError(keyring.status(), kProgram);
    if (!config.verification_keys_out.empty()) {
      ExitIfError(
          WriteVerificationKeysFile((*keyring)->public_keys(), config.verification_keys_out),
          kProgram);
    }
    keys.Replace(
        std::make_shared<TokenKeySnapshot>((*keyring)->signer(), (*keyring)->public_keys()));
  }
  std::unique_ptr<ReloadLoop> reloads;
  if (key_file != nullptr) {
    reloads = std::make_unique<ReloadLoop>(config.signing_keys_reload_interval,
                                           std::vector<FileReloader*>{key_file.get()});
  }

  RealClock clock;
  const AccountsOptions options = config.ToOptions();
  AccountsMetrics metrics((*exposer)->registry());
  PgAccountRepository repo(pool);
  FairUseLimiter limiter(config.fair_use, clock);
  PgLoginThrottle throttle(pool, *pepper, config.LoginThrottle());
  TokenIssuer issuer(keys, options);
  LoginService login(repo, *pepper, limiter, throttle, issuer, metrics, clock, options);
  SessionService sessions(repo, issuer, metrics, clock);
  AccountService accounts(repo, *pepper, limiter, throttle, metrics, clock, options);
  PgRoleStore role_store(pool);
  RoleService roles(role_store, clock);
  login.SetRoleStore(&role_store);
  sessions.SetRoleStore(&role_store);
  sessions.SetLeaseRenewInterval(options.lease_renew_interval);
  AccountsGrpcService service(
      login, sessions, accounts,
      AccountsGrpcOptions{{}, options.audience, tls.enabled(), config.login_workers, &keys});
  service.SetRoles(&roles);
  PgLifecycleStore lifecycle_store(pool);
  AccountLifecycle lifecycle(lifecycle_store, config.lifecycle, metrics, clock);
  service.SetLifecycle(&lifecycle);
  PgOrgStore org_store(pool);
  RepositoryAccountDirectory directory(repo);
  OrgService orgs(org_store, directory, clock);
  service.SetOrgs(&orgs);
  // Notices the coordinator owes owners (core/owner_notices.h): outbox rows for the
  // owners who gave a contact address.
  PgOwnerNoticeStore notice_store(pool);
  OwnerNotices owner_notices(notice_store, clock);
  service.SetOwnerNotices(&owner_notices);

  GrpcServerOptions server_options;
  server_options.listen_address = config.listen;
  // The CLI calls without a client certificate; services present theirs (role checks).
  server_options.tls = tls.Server(ClientCertificates::kVerifyIfPresented);
  server_options.allow_plaintext_non_loopback = tls.insecure_plaintext_listen;
  server_options.max_receive_message_bytes = 64 << 10;  // every request is small
  server_options.max_send_message_bytes = 4 << 20;
  server_options.metrics_registry = &(*exposer)->registry();
  // Handlers block on one database round trip; keep enough sync-server pollers so that
  // concurrent logins do not queue behind each other.
  server_options.configure = [](grpc::ServerBuilder& builder) {
    builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MIN_POLLERS, 4);
    builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MAX_POLLERS, 16);
  };
  absl::StatusOr<std::unique_ptr<GrpcServer>> server =
      GrpcServer::Start(server_options, {&service});
  if (!server.ok()) {
    log.Error("cannot start gRPC server", {{"error", server.status()}});
    return 1;
  }
  // Replicas share the database; one of them purges (freehold_accounts_leader).
  LeaderLease lease({.connection_string = config.database_url,
                     .lock_key = kAccountsLeaderLockKey,
                     .application_name = "freehold-accounts-leader",
                     .gauge = &AddLeaderGauge((*exposer)->registry(), "accounts")});
  lease.Start();
  MaintenanceLoop maintenance(repo, metrics, clock, config.maintenance_interval,
                              config.session_retention, log, &lease, &lifecycle);

  const std::string metrics_address = WithPort(config.metrics_listen, (*exposer)->port());
  log.Info("serving", {{"grpc", (*server)->address()},
                       {"metrics", metrics_address},
                       {"signing_key_id", keys.Get()->SignerAt(absl::Now()).key_id()},
                       {"weak_kdf_allowed", config.allow_weak_kdf}});
  std::printf("READY grpc=%s metrics=%s\n", (*server)->address().c_str(), metrics_address.c_str());
  std::fflush(stdout);

  // SIGTERM / SIGINT -> graceful shutdown; SIGHUP -> re-read --signing-keys-file now
  // (signals are blocked in every thread; this one waits for them).
  GrpcServer* srv = server->get();
  std::thread signal_thread([srv, &log, &reloads] {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    int sig = 0;
    while (sigwait(&set, &sig) == 0 && sig == SIGHUP) {
      if (reloads != nullptr) {
        reloads->Trigger();
      } else {
        log.Info("SIGHUP: no --signing-keys-file to re-read");
      }
    }
    log.Info("shutting down", {{"signal", sig}});
    srv->Shutdown(absl::Seconds(5));
  });
  srv->Wait();
  signal_thread.join();
  reloads.reset();
  log.Info("gRPC server stopped");
  return 0;
}

}  // namespace
}  // namespace freehold::accounts

int main(int argc, char** argv) {
  // Debian's Abseil is built in debug mode, where every absl::Mutex (gRPC's included)
  // feeds a process-wide lock-order graph on each lock and destruction: a debugging aid
  // that costs every RPC; off in the service.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  // Block the shutdown signals before any thread starts so only sigwait sees them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  CLI::App app{"freehold-accounts: zero-knowledge sign-up, login, sessions and access tokens"};
  freehold::accounts::AccountsConfig config;
  freehold::accounts::AddAccountsFlags(app, &config);
  freehold::TlsConfig tls;
  freehold::AddTlsFlags(app, &tls);
  freehold::MigrateOptions migrate;
  freehold::AddMigrateFlags(app, &migrate);
  freehold::ParseOrExit(app, argc, argv);
  freehold::ExitIfError(config.Validate(), freehold::accounts::kProgram);
  freehold::ExitIfError(tls.Validate(), freehold::accounts::kProgram);
  return freehold::accounts::Run(config, tls, migrate);
}
