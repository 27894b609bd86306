// freehold-storaged: stores encrypted shards on local disk
// (docs/ARCHITECTURE.md#5-storage-daemons). Wiring only: configuration, identity, store, gRPC
// server, scrubber, announcer, signal handling (SIGTERM/SIGINT: graceful stop; SIGHUP: reload
// coordinator keys).
#include <grpc/grpc.h>
#include <grpcpp/server_builder.h>
#include <malloc.h>
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <ctime>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/config.h"
#include "common/grpc_server.h"
#include "common/logging.h"
#include "common/metrics.h"
#include "common/tls_config.h"
#include "services/storaged/core/announcer.h"
#include "services/storaged/core/config.h"
#include "services/storaged/core/grants.h"
#include "services/storaged/core/key_ring.h"
#include "services/storaged/core/metrics.h"
#include "services/storaged/core/node_identity.h"
#include "services/storaged/core/orphan_sweep.h"
#include "services/storaged/core/scrubber.h"
#include "services/storaged/core/shard_store.h"
#include "services/storaged/core/storage_node.h"
#include "services/storaged/grpc/coordinator_grpc_client.h"
#include "services/storaged/grpc/shard_copy_service.h"
#include "services/storaged/grpc/storage_grpc_service.h"

namespace {

using namespace freehold;            // NOLINT
using namespace freehold::storaged;  // NOLINT

constexpr int kMaxMessageBytes = 8 << 20;
constexpr int kStreamWindowBytes = 16 << 20;
constexpr int kMaxFrameBytes = (1 << 24) - 1;  // the HTTP/2 maximum

[[noreturn]] void Die(const Logger& log, std::string_view what, const absl::Status& status) {
  log.Error(what, {{"status", status}});
  std::fprintf(stderr, "freehold-storaged: %s: %s\n", std::string(what).c_str(),
               status.ToString().c_str());
  std::exit(1);
}

std::string HostOf(const std::string& address) { return address.substr(0, address.rfind(':')); }

std::string LocalHostName() {
  char name[256] = {};
  if (::gethostname(name, sizeof(name) - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

// --print-identity: so that an operator (or a test harness) can approve the node
// before it first starts.
int PrintIdentity(const std::string& data_dir) {
  if (data_dir.empty()) {
    std::fprintf(stderr, "freehold-storaged: --print-identity needs --data-dir\n");
    return 2;
  }
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) {
    std::fprintf(stderr, "freehold-storaged: cannot create --data-dir %s: %s\n",
                 data_dir.c_str(), ec.message().c_str());
    return 1;
  }
  absl::StatusOr<NodeIdentity> identity = LoadOrCreateNodeIdentity(data_dir);
  if (!identity.ok()) {
    std::fprintf(stderr, "freehold-storaged: cannot load the node identity: %s\n",
                 std::string(identity.status().message()).c_str());
    return 1;
  }
  std::printf("node_id %s\npublic_key %s\n", identity->node_id.c_str(),
              FormatPublicKey(identity->key.Public()).c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Signals are taken synchronously by the main thread; block them before any
  // thread starts so every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  // Shard bytes move through MiB-sized buffers; keep them on the heap instead of a
  // fresh mmap (and page faults) per message.
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);

  CLI::App app{
      "freehold-storaged: stores encrypted shards on local disk, verified by "
      "coordinator-signed grants"};
  StoragedConfig config;
  AddStoragedFlags(app, &config);
  TlsConfig tls;
  AddTlsFlags(app, &tls);
  bool print_identity = false;
  app.add_flag("--print-identity", print_identity,
               "create the node identity in --data-dir if missing, print 'node_id ID' and "
               "'public_key KEY' (for freehold-admin nodes approve ID --public-key KEY), exit");
  ParseOrExit(app, argc, argv);
  if (print_identity) return PrintIdentity(config.data_dir);
  ExitIfError(config.Validate(), "freehold-storaged");
  ExitIfError(tls.Validate(), "freehold-storaged");

  Logger log("storaged", *ParseLogLevel(config.log_level));

  std::unique_ptr<MetricsExposer> exposer;
  auto registry = std::make_shared<prometheus::Registry>();
  if (!config.metrics_listen.empty()) {
    absl::StatusOr<std::unique_ptr<MetricsExposer>> started =
        MetricsExposer::Start(config.metrics_listen, registry);
    if (!started.ok()) Die(log, "cannot start the metrics endpoint", started.status());
    exposer = *std::move(started);
  }
  StoragedMetrics metrics(*registry);

  ShardStoreOptions store_options;
  store_options.data_dir = config.data_dir;
  store_options.capacity_bytes = config.capacity_bytes;
  store_options.reserve_bytes = config.reserve_bytes;
  store_options.direct_io = config.direct_io;
  store_options.direct_buffer_bytes = static_cast<size_t>(config.write_buffer_bytes);
  store_options.direct_buffers = static_cast<size_t>(config.write_buffers);
  absl::StatusOr<std::unique_ptr<ShardStore>> store =
      ShardStore::Open(store_options, &metrics, log);
  if (!store.ok()) Die(log, "cannot open the data directory", store.status());

  absl::StatusOr<NodeIdentity> identity = LoadOrCreateNodeIdentity(config.data_dir);
  if (!identity.ok()) Die(log, "cannot load the node identity", identity.status());
  log = log.With({{"node_id", identity->node_id}});

  absl::StatusOr<std::unique_ptr<CoordinatorKeyRing>> keys =
      CoordinatorKeyRing::Load(config.coordinator_keys);
  if (!keys.ok()) Die(log, "cannot load --coordinator-keys", keys.status());

  RealClock clock;
  GrantChecker grants(**keys, identity->node_id, clock, config.max_shard_bytes);
  ReceiptSigner receipts(identity->key);
  StorageNode node(**store, grants, receipts, clock, &metrics);
  OrphanSweeper sweeper(**store, identity->node_id, clock, config.orphan_grace, &metrics, log);
  StorageGrpcService service(node, sweeper, log, tls.enabled());
  // Daemon-to-daemon copies for drains and rebalancing (shard_copy.proto).
  ShardCopyGrpcService copy_service(node, tls.Client(), log, tls.enabled());

  GrpcServerOptions server_options;
  server_options.listen_address = config.listen;
  // Clients (the CLI) call with signed grants and no certificate; the coordinator
  // presents its certificate for the calls only it may make.
  server_options.tls = tls.Server(ClientCertificates::kVerifyIfPresented);
  server_options.allow_plaintext_non_loopback = tls.insecure_plaintext_listen;
  server_options.max_receive_message_bytes = kMaxMessageBytes;
  server_options.max_send_message_bytes = kMaxMessageBytes;
  server_options.metrics_registry = registry.get();
  server_options.configure = [](grpc::ServerBuilder& builder) {
    // Shards stream in MiB-sized messages: let the HTTP/2 windows and frames be
    // big enough that a put or get is not bound by flow-control round trips.
    builder.AddChannelArgument(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, kStreamWindowBytes);
    builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_FRAME_SIZE, kMaxFrameBytes);
    builder.AddChannelArgument(GRPC_ARG_TCP_READ_CHUNK_SIZE, 1 << 20);
    builder.AddChannelArgument(GRPC_ARG_TCP_MIN_READ_CHUNK_SIZE, 256 << 10);
    builder.AddChannelArgument(GRPC_ARG_TCP_MAX_READ_CHUNK_SIZE, 8 << 20);
  };
  absl::StatusOr<std::unique_ptr<GrpcServer>> server =
      GrpcServer::Start(server_options, {&service, &copy_service});
  if (!server.ok()) Die(log, "cannot start the gRPC server", server.status());

  Scrubber scrubber(**store,
                    {config.scrub_interval, config.scrub_bytes_per_second,
                     config.scrub_first_delay},
                    &metrics, log);
  scrubber.Start();

  std::unique_ptr<CoordinatorGrpcClient> coordinator;
  std::unique_ptr<Announcer> announcer;
  if (!config.coordinator.empty()) {
    absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
        MakeChannel(config.coordinator, tls.Client());
    if (!channel.ok()) Die(log, "cannot create the coordinator channel", channel.status());
    coordinator = std::make_unique<CoordinatorGrpcClient>(*channel, identity->key, clock);
    NodeRegistration registration;
    registration.node_id = identity->node_id;
    registration.address = config.node_address.empty() ? (*server)->address() : config.node_address;
    registration.region = config.region;
    registration.zone = config.zone;
    registration.host = config.host.empty() ? LocalHostName() : config.host;
    const StoreStats stats = (*store)->Stats();
    registration.capacity_bytes = stats.capacity_bytes;
    registration.filesystem_bytes = stats.filesystem_bytes;
    registration.public_key.assign(reinterpret_cast<const char*>(identity->key.public_key.data()),
                                   identity->key.public_key.size());
    registration.version = std::string(kStoragedVersion);
    AnnouncerOptions announce;
    announce.heartbeat_interval = config.heartbeat_interval;
    announce.max_backoff = config.max_backoff;
    announce.initial_backoff = std::min(absl::Milliseconds(200), config.max_backoff);
    announcer = std::make_unique<Announcer>(*coordinator, **store, registration, announce, log);
    announcer->Start();
  }

  const std::string metrics_address =
      exposer ? absl::StrCat(HostOf(config.metrics_listen), ":", exposer->port()) : "none";
  log.Info("serving", {{"grpc", (*server)->address()},
                       {"metrics", metrics_address},
                       {"data_dir", config.data_dir},
                       {"coordinator_keys", (*keys)->key_count()}});
  std::printf("READY grpc=%s metrics=%s\n", (*server)->address().c_str(), metrics_address.c_str());
  std::fflush(stdout);

  // Signal loop; wakes up every second to re-check the key file and refresh gauges.
  absl::Time next_key_check = absl::Now() + config.keys_reload_interval;
  while (true) {
    timespec timeout{1, 0};
    const int sig = sigtimedwait(&signals, nullptr, &timeout);
    if (sig == SIGTERM || sig == SIGINT) {
      log.Info("shutting down", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
      break;
    }
    if (sig == SIGHUP) {
      absl::Status reloaded = (*keys)->Reload();
      if (reloaded.ok()) {
        log.Info("coordinator keys reloaded", {{"keys", (*keys)->key_count()}});
      } else {
        log.Error("coordinator keys not reloaded; keeping the old ones", {{"status", reloaded}});
      }
    }
    if (config.keys_reload_interval > absl::ZeroDuration() && absl::Now() >= next_key_check) {
      next_key_check = absl::Now() + config.keys_reload_interval;
      absl::StatusOr<bool> changed = (*keys)->ReloadIfChanged();
      if (!changed.ok()) {
        log.Error("coordinator key file changed but is invalid; keeping the old keys",
                  {{"status", changed.status()}});
      } else if (*changed) {
        log.Info("coordinator keys reloaded (file changed)", {{"keys", (*keys)->key_count()}});
      }
    }
    (*store)->RefreshMetrics();
  }

  if (announcer) announcer->Stop();
  scrubber.Stop();
  (*server)->Shutdown(config.shutdown_timeout);
  log.Info("stopped");
  // Every stored shard was fsynced before its receipt and the RPCs have drained;
  // library teardown (civetweb, gRPC) has nothing left to save but takes seconds.
  std::fflush(nullptr);
  std::_Exit(0);
}
