// freehold-donations: signed webhook intake, append-only ledger, campaigns, pledges,
// donor portal and the public funding page. Wiring only; logic lives in donations_core.
#include <signal.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "common/clock.h"
#include "common/config.h"
#include "common/encoding.h"
#include "common/file_reloader.h"
#include "common/grpc_server.h"
#include "common/leader_lease.h"
#include "common/logging.h"
#include "common/metrics.h"
#include "common/migrate_options.h"
#include "common/pg.h"
#include "common/signed_token.h"
#include "common/tls_config.h"
#include "services/donations/core/admin_access.h"
#include "services/donations/core/config.h"
#include "services/donations/core/ecb_rates.h"
#include "services/donations/core/exchange_rate.h"
#include "services/donations/core/page_cache.h"
#include "services/donations/core/parked_payment_replayer.h"
#include "services/donations/core/public_ledger.h"
#include "services/donations/grpc/accountability_feed.h"
#include "services/donations/grpc/coordinator_funding_feed.h"
#include "services/donations/core/intake.h"
#include "services/donations/core/intake_batcher.h"
#include "services/donations/core/ledger_rules.h"
#include "services/donations/core/metrics.h"
#include "services/donations/core/read_side.h"
#include "services/donations/core/stripe_provider.h"
#include "services/donations/core/transparency_page.h"
#include "services/donations/grpc/donations_grpc_service.h"
#include "services/donations/http/webhook_http_server.h"
#include "services/donations/pg/pg_store.h"

namespace fd = freehold::donations;

namespace {

constexpr char kProgram[] = "freehold-donations";

[[noreturn]] void Die(const freehold::Logger& log, std::string_view what, const absl::Status& s) {
  log.Error(what, {{"error", s}});
  std::fprintf(stderr, "%s: %.*s: %s\n", kProgram, static_cast<int>(what.size()), what.data(),
               s.ToString().c_str());
  std::exit(1);
}

absl::StatusOr<std::string> ReadFile(const std::string& path, const std::string& flag) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(flag, ": cannot read ", path));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The receipt signing key: loaded from `path`, or generated and saved there (0600).
// Without a path an ephemeral key is used (receipts then verify only until restart).
absl::StatusOr<freehold::SigningKey> ReceiptKey(const std::string& path,
                                                const freehold::Logger& log) {
  if (path.empty()) {
    log.Warn("no --receipt-key: receipts are signed with an ephemeral key");
    return freehold::GenerateSigningKey("donations-receipts");
  }
  if (std::ifstream(path).good()) return freehold::LoadSigningKey(path);
  absl::StatusOr<freehold::SigningKey> key = freehold::GenerateSigningKey("donations-receipts");
  if (!key.ok()) return key.status();
  if (absl::Status s = freehold::SaveSigningKey(*key, path); !s.ok()) return s;
  log.Info("generated receipt signing key", {{"path", path}, {"key_id", key->key_id}});
  return key;
}

absl::Status WritePublicKeyLine(const freehold::SigningKey& key, const std::string& path) {
  std::ofstream out(path, std::ios::trunc);
  if (!out)
    return absl::UnavailableError(absl::StrCat("--receipt-public-key-out: cannot write ", path));
  std::string pub(reinterpret_cast<const char*>(key.public_key.data()), key.public_key.size());
  out << "ed25519 " << key.key_id << " " << freehold::Base64Encode(pub) << "\n";
  return out.good() ? absl::OkStatus()
                    : absl::UnavailableError(
                          absl::StrCat("--receipt-public-key-out: cannot write ", path));
}

std::optional<int64_t> MonthlyCost(const fd::DonationsConfig& config) {
  if (!config.monthly_cost_file.empty()) {
    absl::StatusOr<std::string> text = ReadFile(config.monthly_cost_file, "--monthly-cost-file");
    int64_t v = 0;
    if (text.ok() && absl::SimpleAtoi(absl::StripAsciiWhitespace(*text), &v) && v >= 0) return v;
    return std::nullopt;
  }
  if (config.monthly_cost_minor >= 0) return config.monthly_cost_minor;
  return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
  // Debian's Abseil is built in debug mode, where every absl::Mutex (gRPC's, the intake
  // batcher's) feeds a process-wide lock-order graph on each lock: a debugging aid that
  // costs every webhook; off in the service (as in freehold-accounts).
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  fd::DonationsConfig config;
  CLI::App app{
      "freehold-donations: signed donation webhooks, append-only ledger, campaigns, "
      "pledges and the public funding page"};
  freehold::AddFlag(app, "--listen", &config.listen, "gRPC listen address (port 0 picks one)");
  freehold::AddFlag(app, "--metrics-listen", &config.metrics_listen,
                    "Prometheus /metrics listen address");
  freehold::AddFlag(app, "--http-listen", &config.http_listen,
                    "HTTP listen address for POST /webhooks/<provider> and the GET / page");
  freehold::AddSecretFlag(app, "--database-url", &config.database_url,
                          "PostgreSQL URL (libpq); with a password only via "
                          "FREEHOLD_DATABASE_URL or file:/path",
                          freehold::SecretKind::kUrlPassword);
  freehold::AddFlag(app, "--log-level", &config.log_level, "debug|info|warn|error");
  freehold::AddFlag(app, "--db-pool-size", &config.db_pool_size, "PostgreSQL connections");
  freehold::AddFlag(app, "--http-threads", &config.http_threads, "HTTP worker threads");
  freehold::AddDurationFlag(app, "--page-cache-ttl", &config.page_cache_ttl,
                            "how long the rendered transparency page and ledger export are "
                            "served from memory (also re-rendered after this replica records "
                            "a payment); 0 = render every request");
  freehold::AddFlag(app, "--http-static-dir", &config.http_static_dir,
                    "directory of static files served at /<name> on the HTTP port "
                    "(e.g. a stylesheet or logo for the page)");
  freehold::AddFlag(app, "--base-currency", &config.base_currency,
                    "ISO 4217 currency all totals are kept in");
  freehold::MarkSecretFlag(
      freehold::AddFlag(app, "--stripe-webhook-secret", &config.stripe_webhook_secrets,
                        "Stripe endpoint secret: \"file:/path\" on the command line, or the "
                        "secret itself in FREEHOLD_STRIPE_WEBHOOK_SECRET (repeatable for "
                        "rotation; env comma-separated)")
          ->delimiter(','),
      freehold::SecretKind::kSecret);
  freehold::AddFlag(app, "--stripe-webhook-secrets-file", &config.stripe_webhook_secrets_file,
                    "file of Stripe endpoint secrets, one per line (mode 0600; several during "
                    "a rotation), re-read on change and on SIGHUP; instead of "
                    "--stripe-webhook-secret");
  freehold::AddDurationFlag(app, "--stripe-webhook-secrets-reload-interval",
                            &config.secrets_reload_interval,
                            "how often --stripe-webhook-secrets-file is re-read");
  freehold::AddDurationFlag(app, "--webhook-tolerance", &config.webhook_tolerance,
                            "accepted signature timestamp skew (replay window)");
  freehold::AddFlag(app, "--exchange-rates", &config.exchange_rates_file,
                    "CSV file currency,rate,effective_from loaded at start (manual rates: "
                    "override the --ecb-rates rows of the same currency and instant)");
  freehold::AddFlag(app, "--ecb-rates", &config.ecb_rates_file,
                    "the European Central Bank's reference rates (eurofxref CSV or XML), "
                    "re-read on change every --ecb-rates-reload-interval and on SIGHUP");
  freehold::AddDurationFlag(app, "--ecb-rates-reload-interval", &config.ecb_rates_reload_interval,
                            "how often --ecb-rates is re-read");
  freehold::AddDurationFlag(app, "--parked-replay-interval", &config.parked_replay_interval,
                            "how often payments parked for want of an exchange rate are "
                            "retried (also whenever rates are stored)");
  freehold::AddFlag(app, "--coordinator", &config.coordinator,
                    "coordinator gRPC address: the transparency page shows the storage cost "
                    "it computes (Funding.GetFundingStatus), refreshed every --gauge-refresh",
                    "FREEHOLD_COORDINATOR_ADDR");
  freehold::AddFlag(app, "--accounts", &config.accounts,
                    "accounts gRPC address: the transparency page shows the abandoned-account "
                    "counts (GetLifecycleReport), refreshed every --gauge-refresh",
                    "FREEHOLD_ACCOUNTS_ADDR");
  freehold::AddFlag(app, "--monthly-cost-minor", &config.monthly_cost_minor,
                    "this month's storage cost in base minor units (-1 = unknown)");
  freehold::AddFlag(app, "--monthly-cost-file", &config.monthly_cost_file,
                    "file holding the monthly cost in base minor units (re-read per page view)");
  freehold::AddFlag(app, "--receipt-key", &config.receipt_key_file,
                    "Ed25519 receipt signing key file (created if missing)");
  freehold::AddFlag(app, "--receipt-public-key-out", &config.receipt_public_key_out,
                    "write the receipt verification key here (ed25519 <key_id> <base64>)");
  freehold::AddDurationFlag(app, "--gauge-refresh", &config.gauge_refresh,
                            "how often balance and recurring gauges are recomputed (and "
                            "--accounts-keys re-read)");
  freehold::AddFlag(app, "--intake-connections", &config.intake_connections,
                    "autocommit PostgreSQL connections for group-committed webhook intake "
                    "(batches in flight); 0 = every event in its own transaction");
  freehold::AddFlag(app, "--intake-batch-max", &config.intake_batch_max,
                    "most webhook events applied per group-commit transaction (1..64)");
  freehold::AddDurationFlag(app, "--intake-batch-wait", &config.intake_batch_wait,
                            "how long a group-commit batch waits for more events (0 = take "
                            "what is queued; batches form under concurrency)");
  freehold::AddDurationFlag(app, "--ledger-projection-interval", &config.ledger_projection_interval,
                            "how often payments recorded by the one-statement intake are "
                            "copied from the journal into the ledger (readers catch up "
                            "themselves)");
  freehold::AddFlag(app, "--accounts-keys", &config.accounts_keys_file,
                    "accounts verification keys file (ed25519 <key_id> <base64> per line). "
                    "Operator RPCs (SetExchangeRates, CreateCampaign, ListPledges, "
                    "ExportLedger, EraseDonor without donor_token) need an accounts access "
                    "token with scope donations:admin; without this flag they are refused "
                    "with FAILED_PRECONDITION");
  freehold::TlsConfig tls;
  freehold::AddTlsFlags(app, &tls);
  freehold::MigrateOptions migrate;
  freehold::AddMigrateFlags(app, &migrate);
  freehold::ParseOrExit(app, argc, argv);
  freehold::ExitIfError(config.Validate(), kProgram);
  freehold::ExitIfError(tls.Validate(), kProgram);
  absl::StatusOr<freehold::LogLevel> level = freehold::ParseLogLevel(config.log_level);
  if (!level.ok())
    freehold::ExitIfError(
        absl::InvalidArgumentError("--log-level: " + std::string(level.status().message())),
        kProgram);
  freehold::Logger log("donations", *level);

  // Migrations with the owner role (deploy/README.md "Database roles"), if configured.
  absl::StatusOr<bool> migrated_only =
      freehold::RunMigrateStep(migrate, config.database_url, fd::MigrateDonationsSchema);
  if (!migrated_only.ok()) Die(log, "database migration failed", migrated_only.status());
  if (*migrated_only) {
    log.Info("schema migrated (--migrate-only)");
    return 0;
  }

  // Block termination signals before any thread starts; main waits for them below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);  // re-read --stripe-webhook-secrets-file
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  std::vector<std::string> secrets;
  for (const std::string& value : config.stripe_webhook_secrets) {
    absl::StatusOr<std::string> secret = freehold::ResolveSecret(value);
    if (!secret.ok()) Die(log, "--stripe-webhook-secret", secret.status());
    secrets.push_back(std::move(*secret));
  }
  if (secrets.empty() && config.stripe_webhook_secrets_file.empty()) {
    log.Warn("no --stripe-webhook-secret(s-file): every Stripe delivery is rejected");
  }
  auto stripe_secrets = std::make_shared<const fd::WebhookSecrets>(std::move(secrets));

  freehold::PgPool pool(fd::DonationsPoolOptions(config.database_url, config.db_pool_size));
  if (absl::Status s = fd::MigrateDonationsSchema(pool); !s.ok())
    Die(log, "database migration failed", s);
  std::unique_ptr<freehold::PgPool> one_statement;
  if (config.intake_connections > 0) {
    one_statement = fd::NewOneStatementIntakePool(pool.options(), config.intake_connections);
  }
  fd::PgLedgerProjection projection(pool, config.base_currency, log.With({{"part", "ledger"}}));
  fd::PgDonationStore store(pool, one_statement.get(), &projection);
  fd::PgQueryStore queries(pool, &projection);

  absl::StatusOr<std::unique_ptr<freehold::MetricsExposer>> exposer =
      freehold::MetricsExposer::Start(config.metrics_listen);
  if (!exposer.ok()) Die(log, "--metrics-listen", exposer.status());
  prometheus::Registry& registry = (*exposer)->registry();

  absl::StatusOr<freehold::SigningKey> receipt_key = ReceiptKey(config.receipt_key_file, log);
  if (!receipt_key.ok()) Die(log, "--receipt-key", receipt_key.status());
  if (!config.receipt_public_key_out.empty()) {
    if (absl::Status s = WritePublicKeyLine(*receipt_key, config.receipt_public_key_out); !s.ok()) {
      Die(log, "--receipt-public-key-out", s);
    }
  }
  freehold::TokenSigner receipt_signer(*receipt_key);

  freehold::RealClock clock;
  fd::DonationMetrics metrics(registry);
  projection.CountInto(&metrics);  // reversals it applies count like intake's
  fd::LedgerRules rules(config.base_currency);
  fd::StripeProvider stripe(stripe_secrets, config.webhook_tolerance);
  // Secrets from a file: re-read while serving, so a rotation needs no restart.
  std::unique_ptr<freehold::FileReloader> secrets_file;
  std::unique_ptr<freehold::ReloadLoop> reloads;
  if (!config.stripe_webhook_secrets_file.empty()) {
    secrets_file = std::make_unique<freehold::FileReloader>(
        "--stripe-webhook-secrets-file", config.stripe_webhook_secrets_file,
        [&](const std::string& text) -> absl::Status {
          absl::StatusOr<std::vector<std::string>> parsed =
              fd::ParseWebhookSecretsFile(text, config.stripe_webhook_secrets_file);
          if (!parsed.ok()) return parsed.status();
          const size_t count = parsed->size();
          stripe.SetSecrets(std::make_shared<const fd::WebhookSecrets>(*std::move(parsed)));
          log.Info("Stripe webhook secrets loaded", {{"secrets", count}});
          return absl::OkStatus();
        },
        log, &registry);
    if (absl::Status s = secrets_file->Load(); !s.ok())
      Die(log, "--stripe-webhook-secrets-file", s);
    reloads = std::make_unique<freehold::ReloadLoop>(
        config.secrets_reload_interval, std::vector<freehold::FileReloader*>{secrets_file.get()});
  }
  std::unique_ptr<fd::IntakeBatcher> batcher;
  if (one_statement != nullptr) {
    batcher = std::make_unique<fd::IntakeBatcher>(
        store,
        fd::IntakeBatchOptions{.max_events = config.intake_batch_max,
                               .max_wait = config.intake_batch_wait,
                               .max_concurrent = config.intake_connections},
        &metrics);
  }
  fd::WebhookIntake intake({&stripe}, store, rules, clock, metrics, log.With({{"part", "intake"}}),
                           batcher.get());
  fd::CampaignBook campaigns(queries, clock);
  fd::FundingReport report(
      queries, queries, clock, config.base_currency, [&config] { return MonthlyCost(config); },
      log);
  // Payments in a currency without a rate are parked; they are recorded once rates
  // arrive (any SetExchangeRates, --ecb-rates reload) or at the next periodic pass.
  fd::ParkedPaymentReplayer replayer(intake, config.parked_replay_interval,
                                     log.With({{"part", "parked"}}));
  // The public documents, rendered at most once per --page-cache-ttl (and after this
  // replica records a payment, stores rates or changes a campaign), however many read.
  fd::PageCache page_cache(
      [&report]() -> absl::StatusOr<std::string> {
        absl::StatusOr<fd::TransparencyData> data = report.Transparency();
        if (!data.ok()) return data.status();
        return fd::RenderTransparencyPage(*data);
      },
      config.page_cache_ttl, clock);
  auto ledger_renderer = [&queries, &config, &clock](fd::LedgerFormat format) {
    return [&queries, &config, &clock, format]() {
      return fd::RenderPublicLedger(queries, config.base_currency, clock.Now(), format);
    };
  };
  fd::PageCache ledger_csv(ledger_renderer(fd::LedgerFormat::kCsv), config.page_cache_ttl, clock);
  fd::PageCache ledger_json(ledger_renderer(fd::LedgerFormat::kJson), config.page_cache_ttl, clock);
  auto invalidate_public = [&page_cache, &ledger_csv, &ledger_json] {
    page_cache.Invalidate();
    ledger_csv.Invalidate();
    ledger_json.Invalidate();
  };
  intake.SetRecordedListener(invalidate_public);
  campaigns.SetChangeListener(invalidate_public);
  report.SetRatesListener([&replayer, &invalidate_public] {
    replayer.Trigger();
    invalidate_public();  // new rates change the page's figures
  });
  std::unique_ptr<fd::CoordinatorFundingFeed> funding_feed;
  if (!config.coordinator.empty()) {
    absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
        freehold::MakeChannel(config.coordinator, tls.Client());
    if (!channel.ok()) Die(log, "--coordinator", channel.status());
    funding_feed = std::make_unique<fd::CoordinatorFundingFeed>(
        *channel, 3 * config.gauge_refresh + absl::Minutes(1));
    report.SetStorageFigures([&funding_feed] { return funding_feed->Latest(absl::Now()); });
  }
  // Abuse counts (--coordinator) and account-lifecycle counts (--accounts) for the page.
  std::unique_ptr<fd::AccountabilityFeed> accountability;
  {
    std::shared_ptr<grpc::Channel> coordinator_channel, accounts_channel;
    if (!config.coordinator.empty()) {
      absl::StatusOr<std::shared_ptr<grpc::Channel>> c =
          freehold::MakeChannel(config.coordinator, tls.Client());
      if (!c.ok()) Die(log, "--coordinator", c.status());
      coordinator_channel = *c;
    }
    if (!config.accounts.empty()) {
      absl::StatusOr<std::shared_ptr<grpc::Channel>> c =
          freehold::MakeChannel(config.accounts, tls.Client());
      if (!c.ok()) Die(log, "--accounts", c.status());
      accounts_channel = *c;
    }
    if (coordinator_channel != nullptr || accounts_channel != nullptr) {
      accountability = std::make_unique<fd::AccountabilityFeed>(
          coordinator_channel, accounts_channel, 3 * config.gauge_refresh + absl::Minutes(1));
      report.SetAccountabilityFigures(
          [&accountability] { return accountability->Latest(absl::Now()); });
    }
  }
  fd::DonorPortal portal(queries, receipt_signer, clock, config.base_currency);
  fd::PgIntentStore intent_store(pool, &projection);
  fd::DonationIntents intents(intent_store, queries, clock);
  fd::PgClaimStore claim_store(pool, &projection);
  fd::DonationClaims claims(claim_store, clock);

  if (!config.exchange_rates_file.empty()) {
    absl::StatusOr<std::string> csv = ReadFile(config.exchange_rates_file, "--exchange-rates");
    if (!csv.ok()) Die(log, "--exchange-rates", csv.status());
    absl::StatusOr<std::vector<fd::RateRow>> rows = fd::ParseRatesCsv(*csv, config.base_currency);
    if (!rows.ok()) Die(log, "--exchange-rates", rows.status());
    if (!rows->empty()) {
      absl::StatusOr<int> stored = report.SetExchangeRates(*rows);
      if (!stored.ok()) Die(log, "--exchange-rates", stored.status());
      log.Info("exchange rates loaded", {{"rows", *stored}});
    }
  }

  std::unique_ptr<freehold::FileReloader> ecb_file;
  std::unique_ptr<freehold::ReloadLoop> ecb_reloads;
  if (!config.ecb_rates_file.empty()) {
    ecb_file = std::make_unique<freehold::FileReloader>(
        "--ecb-rates", config.ecb_rates_file,
        [&](const std::string& text) -> absl::Status {
          absl::StatusOr<std::vector<fd::RateRow>> rows =
              fd::ParseEcbRates(text, config.base_currency, config.ecb_rates_file);
          if (!rows.ok()) return rows.status();
          absl::StatusOr<int> stored = report.SetExchangeRates(*rows, fd::RateSource::kFile);
          if (!stored.ok()) return stored.status();
          log.Info("ECB exchange rates loaded", {{"rows", *stored}});
          return absl::OkStatus();
        },
        log, &registry, /*secret=*/false);
    if (absl::Status s = ecb_file->Load(); !s.ok()) Die(log, "--ecb-rates", s);
    ecb_reloads = std::make_unique<freehold::ReloadLoop>(
        config.ecb_rates_reload_interval, std::vector<freehold::FileReloader*>{ecb_file.get()});
  }

  std::unique_ptr<fd::AdminAuthorizer> admin =
      config.accounts_keys_file.empty()
          ? std::make_unique<fd::AdminAuthorizer>(clock)
          : std::make_unique<fd::AdminAuthorizer>(config.accounts_keys_file, clock);
  if (absl::Status s = admin->Reload(); !s.ok()) Die(log, "--accounts-keys", s);
  if (!admin->enabled()) {
    log.Warn(
        "no --accounts-keys: operator RPCs (SetExchangeRates, CreateCampaign, ListPledges, "
        "ExportLedger, operator EraseDonor) are disabled");
  }
  fd::DonationsGrpcService grpc_service(intake, report, campaigns, portal, *admin,
                                        log.With({{"part", "audit"}}), &intents,
                                        &claims);
  freehold::GrpcServerOptions grpc_options;
  grpc_options.listen_address = config.listen;
  // The donor portal's backend and the CLI call with tokens; the coordinator presents
  // its certificate.
  grpc_options.tls = tls.Server(freehold::ClientCertificates::kVerifyIfPresented);
  grpc_options.allow_plaintext_non_loopback = tls.insecure_plaintext_listen;
  grpc_options.metrics_registry = &registry;
  absl::StatusOr<std::unique_ptr<freehold::GrpcServer>> grpc_server =
      freehold::GrpcServer::Start(grpc_options, {&grpc_service});
  if (!grpc_server.ok()) Die(log, "--listen", grpc_server.status());

  absl::StatusOr<std::unique_ptr<fd::WebhookHttpServer>> http = fd::WebhookHttpServer::Start(
      {.listen = config.http_listen,
       .threads = config.http_threads,
       .static_dir = config.http_static_dir},
      intake, page_cache, log.With({{"part", "http"}}));
  if (!http.ok()) Die(log, "--http-listen", http.status());
  (*http)->ServeLedger(ledger_csv, ledger_json);

  // Replicas share the database; one of them runs the projector below
  // (freehold_donations_leader).
  freehold::LeaderLease lease({.connection_string = config.database_url,
                               .lock_key = freehold::kDonationsLeaderLockKey,
                               .application_name = "freehold-donations-leader",
                               .gauge = &freehold::AddLeaderGauge(registry, "donations")});
  lease.Start();
  absl::Notification stopping;
  // Journaled payments reach the ledger within --ledger-projection-interval (readers
  // catch up by themselves; this keeps the ledger current between them). Only the
  // leading replica runs it; every replica reports the lag.
  std::thread projector([&] {
    while (!stopping.WaitForNotificationWithTimeout(config.ledger_projection_interval)) {
      // How long the oldest payment has waited for its copy, then the copy.
      if (absl::StatusOr<absl::Duration> lag = projection.Lag(); lag.ok()) {
        metrics.SetJournalLagSeconds(absl::ToDoubleSeconds(*lag));
      }
      // Logs its errors; the next round retries.
      if (lease.IsLeader()) (void)projection.CatchUp();
    }
  });
  std::thread gauges([&] {
    do {
      if (absl::Status s = report.RefreshGauges(metrics); !s.ok()) {
        log.Warn("could not refresh funding gauges", {{"error", s}});
      }
      if (funding_feed != nullptr) {
        if (absl::Status s = funding_feed->Refresh(); !s.ok()) {
          log.Warn("could not read the coordinator's funding figures", {{"error", s}});
        }
      }
      if (accountability != nullptr) {
        bool changed = false;
        if (absl::Status s = accountability->Refresh(&changed); !s.ok()) {
          log.Warn("could not read the abuse or account-lifecycle counts", {{"error", s}});
        }
        if (changed) page_cache.Invalidate();  // new counts show at once
      }
      if (absl::Status s = admin->Reload(); !s.ok()) {
        log.Warn("could not re-read --accounts-keys; keeping the previous keys", {{"error", s}});
      }
    } while (!stopping.WaitForNotificationWithTimeout(config.gauge_refresh));
  });

  std::string metrics_address = config.metrics_listen;
  metrics_address =
      absl::StrCat(metrics_address.substr(0, metrics_address.rfind(':')), ":", (*exposer)->port());
  log.Info("serving", {{"grpc", (*grpc_server)->address()},
                       {"http", (*http)->address()},
                       {"metrics", metrics_address},
                       {"base_currency", config.base_currency}});
  std::cout << "READY grpc=" << (*grpc_server)->address() << " metrics=" << metrics_address
            << " http=" << (*http)->address() << std::endl;

  int sig = 0;
  while (sigwait(&signals, &sig) == 0 && sig == SIGHUP) {
    if (ecb_reloads != nullptr) ecb_reloads->Trigger();
    if (reloads != nullptr) {
      reloads->Trigger();
    } else {
      log.Info("SIGHUP: no --stripe-webhook-secrets-file to re-read");
    }
  }
  log.Info("shutting down", {{"signal", sig}});
  stopping.Notify();
  (*grpc_server)->Shutdown(absl::Seconds(5));
  http->reset();
  gauges.join();
  projector.join();
  reloads.reset();
  ecb_reloads.reset();
  return 0;
}
