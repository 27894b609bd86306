// Building gRPC servers and client channels the same way everywhere
// (docs/ARCHITECTURE.md#15-wire-conventions): health service, reflection, message size limits,
// optional TLS / mutual TLS, and the metrics interceptor. Note: gRPC's health and reflection
// switches are process-wide, so every server built in the process has both.
//
//   AccountsGrpcService service(core);
//   freehold::GrpcServerOptions opts;
//   opts.listen_address = config.listen;           // "127.0.0.1:0" picks a port
//   opts.metrics_registry = &exposer->registry();
//   FH_ASSIGN_OR_RETURN(auto server, freehold::GrpcServer::Start(opts, {&service}));
//   log.Info("listening", {{"port", server->port()}});
//   server->Wait();
#pragma once

#include <grpcpp/channel.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <prometheus/registry.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace freehold {

// Which client certificates a TLS server asks for. Verified certificates carry the
// caller's role (peer_identity.h); calls that need a role check it themselves.
enum class ClientCertificates {
  kNotRequested,       // plain TLS
  kVerifyIfPresented,  // services that also serve the CLI: a cert, if sent, must verify
  kRequired,           // service-to-service only: no cert, no connection
};

// Server-side TLS. Enabled iff cert_file is set. PEM files, re-read every
// reload_interval (a rotated certificate is served to new connections without a
// restart; replace key and certificate together, e.g. by swapping a directory).
struct ServerTlsOptions {
  std::string cert_file;
  std::string key_file;
  std::string client_ca_file;  // CA for client certificates; none asked for when empty
  ClientCertificates client_certificates = ClientCertificates::kRequired;
  absl::Duration reload_interval = absl::Seconds(10);
  bool enabled() const { return !cert_file.empty(); }
};

// Client-side TLS. Enabled iff `enabled` or any file is set. With cert_file the
// channel presents a client certificate (mutual TLS). Files are re-read every
// reload_interval.
struct ClientTlsOptions {
  bool enabled = false;
  std::string ca_file;    // trust roots; empty = the system trust store
  std::string cert_file;  // client cert for mutual TLS
  std::string key_file;
  std::string server_name_override;  // for tests with a cert for "localhost"
  absl::Duration reload_interval = absl::Seconds(10);
  bool active() const { return enabled || !ca_file.empty() || !cert_file.empty(); }
};

struct GrpcServerOptions {
  std::string listen_address = "127.0.0.1:0";
  ServerTlsOptions tls;
  // A server without TLS may listen only on loopback (127.0.0.0/8, [::1], localhost):
  // Start refuses any other address with INVALID_ARGUMENT unless this is set, which
  // each binary does only from a loudly named flag (--insecure-plaintext-listen).
  bool allow_plaintext_non_loopback = false;
  int max_receive_message_bytes = 16 << 20;
  int max_send_message_bytes = 16 << 20;
  // Per connection: concurrent calls, and the size of a call's request headers
  // (an oversized header fails that call with RESOURCE_EXHAUSTED).
  int max_concurrent_streams = 256;
  int max_metadata_bytes = 64 << 10;
  // The server pings a connection idle for keepalive_time and drops it if no answer
  // comes within keepalive_timeout; clients that ping more often than
  // min_client_ping_interval (without data) are disconnected (ENHANCE_YOUR_CALM).
  absl::Duration keepalive_time = absl::Minutes(1);
  absl::Duration keepalive_timeout = absl::Seconds(20);
  absl::Duration min_client_ping_interval = absl::Seconds(10);
  // If set, installs the freehold_rpc_* interceptor (grpc_metrics.h). Must outlive the server.
  prometheus::Registry* metrics_registry = nullptr;
  // Extra builder customization (async completion queues, channel args), run last.
  std::function<void(grpc::ServerBuilder&)> configure;
};

// Validates listen address, sizes and that TLS files exist: INVALID_ARGUMENT naming the field.
// A plaintext server on a non-loopback address is refused (naming --tls-cert and
// --insecure-plaintext-listen) unless allow_plaintext_non_loopback.
absl::Status ValidateGrpcServerOptions(const GrpcServerOptions& options);

// True for "localhost", 127.0.0.0/8 and ::1 ("[::1]" too). Not for "", 0.0.0.0 or [::].
bool IsLoopbackHost(std::string_view host);
// True if the host of "host:port" (or "dns:///host:port", "ipv4:", "ipv6:") is loopback;
// "unix:" targets are local too.
bool IsLoopbackAddress(std::string_view address);

class GrpcServer {
 public:
  // Registers `services` (not owned; must outlive the server), starts listening and
  // marks health SERVING. INVALID_ARGUMENT for bad options / unreadable TLS files,
  // UNAVAILABLE if the address cannot be bound.
  static absl::StatusOr<std::unique_ptr<GrpcServer>> Start(
      const GrpcServerOptions& options, const std::vector<grpc::Service*>& services);
  ~GrpcServer();  // Shutdown(no grace) if still running

  // The bound port (the real one for ":0").
  int port() const { return port_; }
  // Host from the listen address with the bound port ("127.0.0.1:41234", "[::1]:41234").
  std::string address() const { return address_; }
  grpc::Server* server() { return server_.get(); }

  // Sets the health status of the whole server ("") and of every service name that
  // was given a status through server()->GetHealthCheckService().
  void SetServing(bool serving);
  // Marks NOT_SERVING, then stops accepting and waits up to `grace` for RPCs in flight,
  // cancelling the rest. Idempotent.
  void Shutdown(absl::Duration grace = absl::Seconds(5));
  // Blocks until Shutdown() completes (from another thread).
  void Wait();

 private:
  GrpcServer() = default;
  std::unique_ptr<grpc::Server> server_;
  std::vector<std::string> service_names_;
  std::string address_;
  int port_ = 0;
  bool shut_down_ = false;
};

// The largest request metadata a channel from MakeChannel sends: the servers' 64 KiB
// limit (GrpcServerOptions::max_metadata_bytes) less room for the headers gRPC adds
// (:path, :authority, user-agent, grpc-timeout, ...).
inline constexpr size_t kMaxRequestMetadataBytes = 60 << 10;

// A channel to `target` ("host:port", "dns:///name:port", "unix:/path"), TLS if active.
// INVALID_ARGUMENT if a TLS file cannot be read. A call whose request metadata is larger
// than kMaxRequestMetadataBytes fails with RESOURCE_EXHAUSTED without being sent: with
// gRPC 1.51 an oversized header block received by a server shuts down the whole
// connection, failing the other calls multiplexed on it.
absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(const std::string& target,
                                                           const ClientTlsOptions& tls = {},
                                                           int max_message_bytes = 16 << 20);

// As MakeChannel, with caller-chosen channel arguments (window sizes, backoff, ...).
absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(const std::string& target,
                                                           const ClientTlsOptions& tls,
                                                           grpc::ChannelArguments args);

// Polls grpc.health.v1.Health/Check for `service` ("" = whole server) until it answers
// SERVING or `deadline` passes: OK, or DEADLINE_EXCEEDED with the last error seen.
absl::Status WaitForServing(const std::string& target, absl::Time deadline,
                            const ClientTlsOptions& tls = {}, const std::string& service = "");

// One Health/Check call on an existing channel: OK if SERVING, UNAVAILABLE with the
// status name if not serving, or the RPC's error.
absl::Status CheckHealth(grpc::Channel& channel, const std::string& service,
                         absl::Duration timeout);

}  // namespace freehold
