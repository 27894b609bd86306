// A minimal Freehold-style server binary for tests of tests/support/process.h and the
// gRPC helpers: flags with env fallbacks, structured logs, health, metrics, SIGTERM.
#include <signal.h>

#include <thread>

#include "absl/synchronization/notification.h"
#include "common/config.h"
#include "common/grpc_server.h"
#include "common/logging.h"
#include "common/metrics.h"

namespace {

struct TestServerConfig {
  std::string listen = "127.0.0.1:0";
  std::string metrics_listen = "127.0.0.1:0";
  absl::Status Validate() const {
    if (listen.empty()) return absl::InvalidArgumentError("--listen must not be empty");
    return absl::OkStatus();
  }
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"common_test_server: health-only gRPC server for tests"};
  TestServerConfig config;
  freehold::AddFlag(app, "--listen", &config.listen, "gRPC listen address",
                    "FREEHOLD_TEST_SERVER_LISTEN");
  freehold::AddFlag(app, "--metrics-listen", &config.metrics_listen, "metrics listen address",
                    "FREEHOLD_TEST_SERVER_METRICS_LISTEN");
  freehold::ParseOrExit(app, argc, argv);
  freehold::ExitIfError(config.Validate(), "common_test_server");

  // Block SIGTERM/SIGINT; a thread waits for them and shuts the server down.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  freehold::Logger log("test_server");
  auto exposer = freehold::MetricsExposer::Start(config.metrics_listen);
  if (!exposer.ok()) {
    log.Error("cannot start metrics", {{"status", exposer.status()}});
    return 1;
  }
  freehold::GrpcServerOptions options;
  options.listen_address = config.listen;
  options.metrics_registry = &(*exposer)->registry();
  auto server = freehold::GrpcServer::Start(options, {});
  if (!server.ok()) {
    log.Error("cannot start server", {{"status", server.status()}});
    return 1;
  }
  log.Info("serving", {{"address", (*server)->address()}, {"metrics_port", (*exposer)->port()}});
  std::thread waiter([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    log.Info("shutting down", {{"signal", sig}});
    (*server)->Shutdown(absl::Seconds(2));
  });
  (*server)->Wait();
  waiter.join();
  log.Info("stopped");
  return 0;
}
