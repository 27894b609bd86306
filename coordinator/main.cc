// freehold-coordinator: storage-node registry, placement, signed grants,
// manifests, commit, GC and repair planning (docs/ARCHITECTURE.md#7-the-coordinator). Wiring only.
#include <signal.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <memory>
#include <thread>

#include "absl/synchronization/notification.h"

#include "common/config.h"
#include "common/grpc_server.h"
#include "common/logging.h"
#include "common/metrics.h"
#include "common/migrate_options.h"
#include "common/pg.h"
#include "common/tls_config.h"
#include "coordinator/core/account_trash.h"
#include "coordinator/core/owner_notices.h"
#include "coordinator/core/access.h"
#include "coordinator/core/admission.h"
#include "coordinator/core/audit_worker.h"
#include "coordinator/core/background.h"
#include "coordinator/core/drain_worker.h"
#include "coordinator/core/rebalance_worker.h"
#include "coordinator/core/respread_worker.h"
#include "coordinator/core/reputation_book.h"
#include "coordinator/core/shard_mover.h"
#include "coordinator/core/config.h"
#include "coordinator/core/flags.h"
#include "coordinator/core/funding_metrics.h"
#include "coordinator/core/funding_monitor.h"
#include "coordinator/core/grant_keys.h"
#include "coordinator/core/maintenance.h"
#include "coordinator/core/metrics.h"
#include "coordinator/core/node_registry.h"
#include "coordinator/core/object_catalog.h"
#include "coordinator/core/object_writer.h"
#include "coordinator/core/orphan_sweep.h"
#include "coordinator/core/folders.h"
#include "coordinator/core/small_objects.h"
#include "coordinator/core/placement_snapshots.h"
#include "coordinator/core/policy_admission.h"
#include "coordinator/core/repair_worker.h"
#include "coordinator/core/session_revocations.h"
#include "coordinator/grpc/claims_codec.h"
#include "coordinator/grpc/coordinator_service.h"
#include "coordinator/grpc/donations_feed.h"
#include "coordinator/grpc/abuse_service.h"
#include "coordinator/grpc/funding_service.h"
#include "coordinator/grpc/orphan_sweep_client.h"
#include "coordinator/grpc/inventory_lister.h"
#include "coordinator/grpc/org_membership_client.h"
#include "coordinator/grpc/owner_notice_sink.h"
#include "coordinator/grpc/remote_clients.h"
#include "coordinator/grpc/shard_rebuilder.h"
#include "coordinator/grpc/shard_transfer.h"
#include "coordinator/core/outage_aware_store.h"
#include "coordinator/pg/pg_abuse_store.h"
#include "coordinator/pg/pg_durability_store.h"
#include "coordinator/pg/pg_shard_refs.h"
#include "coordinator/pg/pg_inventory_store.h"
#include "coordinator/pg/pg_node_donations.h"
#include "coordinator/pg/pg_org_owners.h"
#include "coordinator/pg/pg_owner_notices.h"
#include "coordinator/pg/pg_store.h"

namespace fc = freehold::coordinator;

namespace {

int Fail(const freehold::Logger& log, const std::string& what, const absl::Status& s) {
  log.Error(what, {{"error", s}});
  std::cerr << "freehold-coordinator: " << what << ": " << s << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "freehold-coordinator: storage cluster coordinator (registry, placement, grants, "
      "manifests, GC, repair) and funding monitor (admission instead of quotas)"};
  app.footer(
      "Funding and admission (docs/ARCHITECTURE.md#12-funding-and-admission; "
      "docs/API.md): every --funding-refresh\n"
      "the coordinator compares usage with what donations fund (--donations, --cost-model)\n"
      "and with physical capacity, exports freehold_funded_capacity_bytes,\n"
      "freehold_funding_{coverage_ratio,runway_seconds,monthly_income,monthly_cost},\n"
      "freehold_admission_state and freehold_admission_throttled_total, and serves\n"
      "freehold.v1.Funding/GetFundingStatus (public, aggregate only). Near a limit\n"
      "(--throttle-at) BeginSegment slows the heaviest recent writers first:\n"
      "RESOURCE_EXHAUSTED with the reason, --donate-url and retry-after; past physical\n"
      "capacity minus the reserve it refuses new writes. Reads, deletes, repair and stored\n"
      "data are never affected. Without --donations funding never throttles; only\n"
      "physical capacity does.");
  fc::CoordinatorConfig config;
  fc::AddCoordinatorFlags(app, &config);
  freehold::TlsConfig tls;
  freehold::AddTlsFlags(app, &tls);
  freehold::MigrateOptions migrate;
  freehold::AddMigrateFlags(app, &migrate);
  freehold::ParseOrExit(app, argc, argv);
  freehold::ExitIfError(config.Validate(), "freehold-coordinator");
  freehold::ExitIfError(tls.Validate(), "freehold-coordinator");
  absl::StatusOr<freehold::LogLevel> level = freehold::ParseLogLevel(config.log_level);
  freehold::ExitIfError(level.status(), "freehold-coordinator");
  freehold::Logger log("coordinator", *level);

  // Migrations with the owner role (deploy/README.md "Database roles"), if configured.
  absl::StatusOr<bool> migrated_only =
      freehold::RunMigrateStep(migrate, config.database_url, [](freehold::PgPool& owner) {
        return fc::MigrateCoordinatorSchema(owner).status();
      });
  if (!migrated_only.ok()) return Fail(log, "database migration failed", migrated_only.status());
  if (*migrated_only) {
    log.Info("schema migrated (--migrate-only)");
    return 0;
  }

  absl::StatusOr<freehold::funding::CostModel> cost_model =
      fc::LoadCostModel(config.funding.cost_model_file);
  if (!cost_model.ok()) return Fail(log, "bad cost model", cost_model.status());

  // Block termination signals in every thread; the main thread waits for them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  absl::StatusOr<freehold::SigningKey> key =
      config.grant_key_file.empty()
          ? fc::LoadOrCreateGrantKey(config.data_dir, config.public_keys_out)
          : fc::LoadGrantKeyFile(config.grant_key_file, config.data_dir, config.public_keys_out);
  if (!key.ok()) return Fail(log, "cannot load or create the grant-signing key", key.status());

  freehold::PgPool pool(fc::CoordinatorPoolOptions(config.database_url, config.database_pool_size));
  if (absl::Status s = pool.Ping(); !s.ok()) return Fail(log, "cannot reach PostgreSQL", s);
  absl::StatusOr<int> migrated = fc::MigrateCoordinatorSchema(pool);
  if (!migrated.ok()) return Fail(log, "database migration failed", migrated.status());

  freehold::RealClock clock;
  fc::AccessTokenVerifier tokens(config.accounts_keys, clock);
  if (absl::Status s = tokens.Reload(); !s.ok()) {
    log.Warn("access-token keys not loaded yet; user calls answer UNAVAILABLE until they are",
             {{"error", s}});
  }

  std::unique_ptr<freehold::MetricsExposer> exposer;
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  if (!config.metrics_listen.empty()) {
    absl::StatusOr<std::unique_ptr<freehold::MetricsExposer>> started =
        freehold::MetricsExposer::Start(config.metrics_listen, registry);
    if (!started.ok()) return Fail(log, "cannot start the metrics endpoint", started.status());
    exposer = *std::move(started);
  }
  fc::CoordinatorMetrics metrics(*registry, config.data_shards, config.parity_shards);

  fc::PgMetadataStore pg_store(pool);
  // Heartbeats refused while the database was out of reach do not count against nodes.
  fc::OutageAwareStore store(pg_store, clock, config.node_down_after);
  fc::ProtoClaimsCodec codec;
  fc::GrantSigner grants(*key, codec);

  // Funding and admission (docs/ARCHITECTURE.md#12-funding-and-admission).
  std::unique_ptr<fc::GrpcDonationsFeed> donations;
  if (!config.funding.donations.empty()) {
    absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
        freehold::MakeChannel(config.funding.donations, tls.Client());
    if (!channel.ok()) return Fail(log, "bad --donations address", channel.status());
    donations = std::make_unique<fc::GrpcDonationsFeed>(*channel, config.funding.donations_timeout);
  } else {
    log.Warn(
        "no --donations: no donation intake configured; funding does not throttle writes, "
        "only physical capacity does");
  }
  fc::FundingMetrics funding_metrics(*registry, cost_model->currency);
  freehold::funding::AdmissionPolicy admission_policy(config.funding.Admission());
  fc::PolicyAdmission admission(admission_policy, clock, &funding_metrics);
  fc::StoreUsageSource usage(store);
  fc::FundingMonitor funding_monitor(
      usage, donations.get(), clock, *cost_model,
      fc::FundingMonitorOptions{config.funding.recent_window, config.funding.growth_window,
                                config.funding.admission.donate_url},
      admission_policy, &funding_metrics, log.With({{"part", "funding"}}));
  // Organizations that own objects (core/org_owners.h): per-organization usage.
  fc::PgOrgOwners org_owners(pool);
  funding_monitor.SetOrgOwners(&org_owners);
  // Donated disks (core/inkind_valuation.h): counted at every funding refresh.
  fc::PgDurabilityStore durability(pool);
  fc::PgNodeDonations donation_store(pool);
  fc::StoreInKindSource inkind(
      donation_store, store, durability, clock,
      fc::InKindRules{config.node_down_after, config.durability.reputation.threshold,
                      config.funding.inkind_min_audits});
  funding_monitor.SetInKind(&inkind);
  fc::NodeDonations node_donations(store, donation_store, clock);
  // A first refresh before serving, so admission starts from real figures.
  if (absl::Status s = funding_monitor.Refresh(); !s.ok()) {
    log.Warn("first funding refresh incomplete; retrying every --funding-refresh", {{"error", s}});
  }
  fc::PlacementSnapshots placement(
      config.Policy(), config.node_down_after,
      fc::NodeWeightRamp{config.node_weight_ramp, config.node_weight_floor});
  // Audits, reputation (scales placement weights), drains (the store is made above).
  fc::DurabilityMetrics durability_metrics(*registry);
  fc::ReputationBook reputation(durability, config.durability.reputation, &durability_metrics);
  placement.SetReputation(&reputation);
  fc::NodeRegistry registry_core(store, clock, config, log.With({{"part", "registry"}}),
                                 registry.get());
  fc::ObjectWriter writer(store, clock, config, placement, grants, admission, &metrics,
                          log.With({{"part", "upload"}}));
  fc::ObjectCatalog catalog(store, clock, config, grants, log.With({{"part", "catalog"}}));
  fc::SmallObjects small(store, clock, config, admission, log.With({{"part", "small"}}));
  fc::ClusterMonitor monitor(store, registry_core, config, &metrics);
  fc::GrpcStorageNodeClient node_client(tls.Client());
  fc::GarbageCollector gc(store, clock, config, grants, node_client, log.With({{"part", "gc"}}));
  fc::GrpcShardRebuilder rebuilder(node_client);
  fc::PgShardRefs shard_refs(pool);
  fc::GrpcOrphanSweepSender sweep_sender(node_client);
  fc::OrphanSweepWorker orphan_sweep(store, shard_refs, sweep_sender, config.orphan_sweep, clock,
                                     config.node_down_after, log.With({{"part", "orphan-sweep"}}));
  fc::RepairWorker repair(store, clock, config, placement, grants, monitor, rebuilder,
                          log.With({{"part", "repair"}}));
  repair.set_metrics(&metrics);
  fc::GrpcShardTransfer transfer(node_client);
  fc::ByteRateLimiter move_limiter(config.durability.move_bytes_per_second);
  fc::ShardMover mover(store, clock, config, placement, grants, transfer, rebuilder, move_limiter,
                       &durability_metrics);
  fc::AuditWorker audits(store, durability, clock, config, grants, transfer, registry_core,
                         &durability_metrics, log.With({{"part", "audit"}}));
  fc::DrainWorker drains(store, durability, clock, config, mover, registry_core,
                         &durability_metrics, log.With({{"part", "drain"}}));
  fc::RebalanceWorker rebalancer(store, durability, clock, config, placement, mover,
                                 log.With({{"part", "rebalance"}}));
  fc::RespreadWorker respread(store, durability, clock, config, placement, mover,
                             log.With({{"part", "respread"}}));
  // Inventory reconciliation: nodes that lost shard files (coordinator/core/inventory.h).
  fc::PgInventoryStore inventory_store(pool);
  fc::GrpcInventoryLister inventory_lister(node_client);
  fc::InventoryReconciler inventory(inventory_store, store, inventory_lister, registry.get(),
                                    log.With({{"part", "inventory"}}));

  std::unique_ptr<fc::GrpcDeletedAccountsFeed> feed;
  std::unique_ptr<fc::AccountDeletionConsumer> consumer;
  std::unique_ptr<fc::GrpcRevokedSessionsFeed> revoked_feed;
  std::unique_ptr<fc::GrpcTrashedAccountsFeed> trashed_feed;
  std::unique_ptr<fc::AccountTrashConsumer> trash_consumer;
  std::unique_ptr<fc::GrpcOrgMembership> org_membership;
  std::unique_ptr<fc::GrpcOwnerNoticeSink> notice_sink;
  if (!config.accounts.empty()) {
    absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
        freehold::MakeChannel(config.accounts, tls.Client());
    if (!channel.ok()) return Fail(log, "bad --accounts address", channel.status());
    // Accounts admits the outbox calls by the coordinator's certificate (--tls-*).
    feed = std::make_unique<fc::GrpcDeletedAccountsFeed>(*channel);
    revoked_feed = std::make_unique<fc::GrpcRevokedSessionsFeed>(*channel);
    org_membership = std::make_unique<fc::GrpcOrgMembership>(*channel);
    // Notices to owners go to accounts, which knows their contact addresses
    // (core/owner_notices.h).
    notice_sink = std::make_unique<fc::GrpcOwnerNoticeSink>(*channel);
    consumer = std::make_unique<fc::AccountDeletionConsumer>(store, catalog, *feed,
                                                             log.With({{"part", "outbox"}}));
    // The abandoned-account trash (core/account_trash.h).
    trashed_feed = std::make_unique<fc::GrpcTrashedAccountsFeed>(*channel);
    trash_consumer = std::make_unique<fc::AccountTrashConsumer>(
        store, *trashed_feed, clock, config, log.With({{"part", "account-trash"}}));
  }

  // Ended sessions: their access tokens are refused within --revocation-poll-interval
  // (on every replica: each verifies tokens). One poll before serving.
  fc::SessionDenyList deny_list;
  std::unique_ptr<fc::SessionRevocationPoller> revocations;
  absl::Notification stop_revocations;
  std::thread revocation_thread;
  if (revoked_feed != nullptr) {
    revocations = std::make_unique<fc::SessionRevocationPoller>(*revoked_feed, deny_list, clock);
    tokens.SetSessionDenyList(&deny_list);
    if (absl::Status s = revocations->PollOnce(); !s.ok()) {
      log.Warn("cannot read ended sessions from --accounts yet; retrying", {{"error", s}});
    }
    revocation_thread = std::thread([&] {
      bool failing = false;
      while (!stop_revocations.WaitForNotificationWithTimeout(config.revocation_poll_interval)) {
        absl::Status s = revocations->PollOnce();
        if (!s.ok() && !failing) {
          log.Warn("cannot read ended sessions from --accounts; tokens of sessions ended "
                   "since are accepted until they expire or the next successful read",
                   {{"error", s}});
        } else if (s.ok() && failing) {
          log.Info("reading ended sessions from --accounts again");
        }
        failing = !s.ok();
      }
    });
  } else {
    log.Warn("no --accounts: access tokens of ended sessions are accepted until they expire");
  }

  // Readers' corrupt-shard reports, audited before anything is marked.
  fc::CorruptionReports corruption(catalog, store, audits, clock,
                                   log.With({{"part", "corruption-reports"}}));
  fc::TrashBin trash(store, clock, config, &metrics, log.With({{"part", "trash"}}));
  fc::FolderTree folders(store, clock, config, log.With({{"part", "folders"}}));
  // Calls for an organization: membership asked of --accounts (core/org_access.h).
  fc::OrgAccess org_access(org_membership.get(), &org_owners, clock);
  fc::CoordinatorParts parts{tokens,      registry_core, writer, catalog,    monitor,
                            tls.enabled(), &durability,   &small, &inventory, &corruption,
                            &trash,        &folders,      &org_access};
  parts.donations = &node_donations;
  parts.inkind = &inkind;
  parts.cost_model = &*cost_model;
  fc::CoordinatorGrpcService service(parts);
  fc::FundingGrpcService funding_service(funding_monitor);
  // Abuse reports of public links (core/abuse_desk.h; docs/ARCHITECTURE.md "Abuse reports").
  fc::PgAbuseStore abuse_store(pool);
  fc::AbuseMetrics abuse_metrics(*registry);
  fc::AbuseDesk abuse_desk(abuse_store, clock, &abuse_metrics, log.With({{"part", "abuse"}}));
  fc::AbuseGrpcService abuse_service(abuse_desk, tokens);
  fc::PgOwnerNoticeQueue notice_queue(pool);
  std::unique_ptr<fc::OwnerNoticeSender> notice_sender;
  if (notice_sink != nullptr) {
    notice_sender = std::make_unique<fc::OwnerNoticeSender>(
        notice_queue, *notice_sink, log.With({{"part", "owner-notices"}}));
  } else {
    log.Warn("no --accounts: owners are not notified of disabled links (the notices wait "
             "in owner_notices until a coordinator with --accounts delivers them)");
  }
  freehold::GrpcServerOptions server_options;
  server_options.listen_address = config.listen;
  // The CLI calls with tokens and no certificate; storage daemons and operators
  // present theirs (their roles are checked per call).
  server_options.tls = tls.Server(freehold::ClientCertificates::kVerifyIfPresented);
  server_options.allow_plaintext_non_loopback = tls.insecure_plaintext_listen;
  server_options.metrics_registry = registry.get();
  absl::StatusOr<std::unique_ptr<freehold::GrpcServer>> server =
      freehold::GrpcServer::Start(server_options, {&service, &funding_service, &abuse_service});
  if (!server.ok()) {
    stop_revocations.Notify();
    if (revocation_thread.joinable()) revocation_thread.join();
    return Fail(log, "cannot start the gRPC server", server.status());
  }

  // One replica leads the leader-only loops (freehold_coordinator_leader); the others
  // take over within about one --loop-interval of its session ending.
  fc::PgLeaderElector elector(config.database_url, fc::PgLeaderElector::kCoordinatorLockKey,
                              &freehold::AddLeaderGauge(*registry, "coordinator"),
                              config.loop_interval);
  elector.StartChecking();
  fc::BackgroundLoops loops(&elector, log.With({{"part", "loops"}}));
  const absl::Duration every = config.loop_interval;
  // A replica that has just become leader (start, takeover, or a new session after a
  // database failover) waits --node-down-after before marking nodes down: heartbeats
  // refused while the database was unreachable are not silence.
  loops.Add({"node-liveness", every, true, [&]() -> absl::Status {
               if (absl::Now() - elector.leading_since() < config.node_down_after) {
                 return absl::OkStatus();
               }
               return registry_core.MarkSilentNodesDown().status();
             }});
  loops.Add(
      {"gc-abandoned-uploads", every, true, [&] { return gc.CollectAbandonedUploads().status(); }});
  loops.Add({"gc-shard-deletions", every, true, [&] { return gc.RunDeletions().status(); }});
  loops.Add({"trash-purge", every, true, [&] { return trash.PurgeDue().status(); }});
  if (consumer != nullptr) {
    loops.Add({"accounts-deletion-outbox", every, true, [&] { return consumer->Poll().status(); }});
  }
  if (trash_consumer != nullptr) {
    loops.Add({"accounts-trash-outbox", every, true,
               [&] { return trash_consumer->Poll().status(); }});
  }
  if (notice_sender != nullptr) {
    loops.Add({"owner-notices", every, true, [&] { return notice_sender->RunOnce().status(); }});
  }
  if (config.repair) {
    loops.Add({"repair", every, true, [&] { return repair.RunOnce().status(); }});
  }
  // Reported corrupt shards are audited by the replica that took the report.
  loops.Add({"corruption-reports", every, false, [&] { return corruption.RunOnce().status(); }});
  if (config.durability.inventory_check_interval > absl::ZeroDuration()) {
    loops.Add({"inventory", config.durability.inventory_check_interval, true,
               [&] { return inventory.RunOnce().status(); }});
  }
  if (config.durability.audits) {
    loops.Add({"audits", every, true, [&] { return audits.RunOnce(every).status(); }});
  }
  if (config.durability.drains) {
    loops.Add({"drains", every, true, [&] { return drains.RunOnce().status(); }});
  }
  if (config.durability.rebalance) {
    loops.Add({"rebalance", every, true, [&] { return rebalancer.RunOnce().status(); }});
  }
  if (config.durability.respread) {
    loops.Add({"respread", every, true, [&] { return respread.RunOnce().status(); }});
  }
  loops.Add({"orphan-sweep", every, true, [&] { return orphan_sweep.RunIfDue(absl::Now()); }});
  loops.Add({"reputation", every, false, [&] { return reputation.Refresh(); }});
  loops.Add({"cluster-stats", every, false, [&] { return monitor.Refresh(); }});
  loops.Add({"reload-accounts-keys", every, false, [&] { return tokens.Reload(); }});
  if (!config.grant_key_file.empty()) {
    // Every replica (not only the leader) signs grants: each re-reads the shared key.
    loops.Add({"reload-grant-key", every, false, [&]() -> absl::Status {
                 absl::StatusOr<std::optional<freehold::SigningKey>> next =
                     fc::ReloadGrantKeyFile(config.grant_key_file, grants.public_key(),
                                            config.data_dir, config.public_keys_out);
                 if (!next.ok()) return next.status();  // the current key stays in use
                 if (next->has_value()) {
                   log.Info("grant-signing key rotated", {{"key_id", (*next)->key_id}});
                   grants.SetKey(**std::move(next));
                 }
                 return absl::OkStatus();
               }});
  }
  // Every replica enforces admission, so every replica refreshes.
  loops.Add({"funding", config.funding.refresh, false, [&] { return funding_monitor.Refresh(); }});
  loops.Start();

  std::string ready = "READY grpc=" + (*server)->address() + " metrics=";
  if (exposer != nullptr) {
    const std::string host = config.metrics_listen.substr(0, config.metrics_listen.rfind(':'));
    ready += host + ":" + std::to_string(exposer->port());
  }
  std::printf("%s\n", ready.c_str());
  std::fflush(stdout);
  log.Info("coordinator ready", {{"grpc", (*server)->address()},
                                 {"grant_key_id", key->key_id},
                                 {"data_shards", config.data_shards},
                                 {"parity_shards", config.parity_shards},
                                 {"failure_domain", config.failure_domain}});

  int sig = 0;
  sigwait(&signals, &sig);
  log.Info("shutting down", {{"signal", sig}});
  (*server)->Shutdown(absl::Seconds(5));
  loops.Stop();
  stop_revocations.Notify();
  if (revocation_thread.joinable()) revocation_thread.join();
  return 0;
}
