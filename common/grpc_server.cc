// gRPC server builder and client channel helpers; health polling without generated code.
#include "common/grpc_server.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/client_interceptor.h>

#include <cstdio>
#include <fstream>
#include <future>
#include <sstream>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/grpc_metrics.h"
#include "common/grpc_status.h"

namespace freehold {
namespace {

absl::StatusOr<std::string> ReadPem(const std::string& path, const char* field) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat(field, ": cannot read ", path));
  std::ostringstream buf;
  buf << in.rdbuf();
  if (buf.str().empty())
    return absl::InvalidArgumentError(absl::StrCat(field, ": ", path, " is empty"));
  return buf.str();
}

// "host:port" -> (host, port). Host may be "[v6]" or empty.
bool SplitHostPort(const std::string& address, std::string* host, int* port) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos) return false;
  *host = address.substr(0, colon);
  return absl::SimpleAtoi(address.substr(colon + 1), port) && *port >= 0 && *port <= 65535;
}

absl::Status CheckReadable(const std::string& path, const char* field) {
  return ReadPem(path, field).status();
}

unsigned int RefreshSeconds(absl::Duration d) {
  return static_cast<unsigned int>(std::max<int64_t>(1, absl::ToInt64Seconds(d)));
}

// TLS channel credentials over files that are re-read every reload_interval: the
// trust roots (or the system store) and, for mutual TLS, the client key pair.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ClientCredentials(
    const ClientTlsOptions& tls) {
  namespace gx = grpc::experimental;
  if (!tls.active()) return grpc::InsecureChannelCredentials();
  const bool has_ca = !tls.ca_file.empty();
  const bool has_pair = !tls.cert_file.empty() || !tls.key_file.empty();
  if (has_ca) {
    if (absl::Status s = CheckReadable(tls.ca_file, "tls ca_file"); !s.ok()) return s;
  }
  if (has_pair) {
    if (absl::Status s = CheckReadable(tls.cert_file, "tls cert_file"); !s.ok()) return s;
    if (absl::Status s = CheckReadable(tls.key_file, "tls key_file"); !s.ok()) return s;
  }
  gx::TlsChannelCredentialsOptions options;
  if (has_ca || has_pair) {
    std::shared_ptr<gx::CertificateProviderInterface> provider;
    const unsigned int refresh = RefreshSeconds(tls.reload_interval);
    if (has_pair && has_ca) {
      provider = std::make_shared<gx::FileWatcherCertificateProvider>(tls.key_file, tls.cert_file,
                                                                      tls.ca_file, refresh);
    } else if (has_pair) {
      provider = std::make_shared<gx::FileWatcherCertificateProvider>(tls.key_file, tls.cert_file,
                                                                      refresh);
    } else {
      provider = std::make_shared<gx::FileWatcherCertificateProvider>(tls.ca_file, refresh);
    }
    options.set_certificate_provider(std::move(provider));
    // Without a CA file gRPC verifies against the system trust store.
    if (has_ca) options.watch_root_certs();
    if (has_pair) options.watch_identity_key_cert_pairs();
  }
  std::shared_ptr<grpc::ChannelCredentials> creds = gx::TlsCredentials(options);
  if (creds == nullptr) return absl::InvalidArgumentError("tls: cannot build channel credentials");
  return creds;
}

// TLS server credentials over files that are re-read every reload_interval.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentials(
    const ServerTlsOptions& tls) {
  namespace gx = grpc::experimental;
  if (!tls.enabled()) return grpc::InsecureServerCredentials();
  if (absl::Status s = CheckReadable(tls.cert_file, "tls cert_file"); !s.ok()) return s;
  if (absl::Status s = CheckReadable(tls.key_file, "tls key_file"); !s.ok()) return s;
  const bool clients =
      tls.client_certificates != ClientCertificates::kNotRequested && !tls.client_ca_file.empty();
  if (clients) {
    if (absl::Status s = CheckReadable(tls.client_ca_file, "tls client_ca_file"); !s.ok()) return s;
  }
  const unsigned int refresh = RefreshSeconds(tls.reload_interval);
  std::shared_ptr<gx::CertificateProviderInterface> provider =
      clients ? std::make_shared<gx::FileWatcherCertificateProvider>(tls.key_file, tls.cert_file,
                                                                     tls.client_ca_file, refresh)
              : std::make_shared<gx::FileWatcherCertificateProvider>(tls.key_file, tls.cert_file,
                                                                     refresh);
  gx::TlsServerCredentialsOptions options(provider);
  options.watch_identity_key_cert_pairs();
  if (clients) {
    options.watch_root_certs();
    options.set_cert_request_type(tls.client_certificates == ClientCertificates::kRequired
                                      ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
                                      : GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
  } else {
    options.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  }
  std::shared_ptr<grpc::ServerCredentials> creds = gx::TlsServerCredentials(options);
  if (creds == nullptr) return absl::InvalidArgumentError("tls: cannot build server credentials");
  return creds;
}

// Refuses, on the client and before anything is sent, a call whose request metadata
// is larger than `limit` bytes (HPACK accounting: name + value + 32 per entry). gRPC 1.51
// servers treat a header block over their GRPC_ARG_MAX_METADATA_SIZE as a connection
// error: sending one would fail every other call multiplexed on the connection.
class MetadataLimitInterceptor : public grpc::experimental::Interceptor {
 public:
  explicit MetadataLimitInterceptor(size_t limit) : limit_(limit) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    using grpc::experimental::InterceptionHookPoints;
    bool hijack = false;
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      size_t size = 0;
      for (const auto& [key, value] : *methods->GetSendInitialMetadata()) {
        size += key.size() + value.size() + 32;
      }
      if (size > limit_) {
        refused_size_ = size;
        hijack = true;
      }
    }
    if (refused_size_ > 0) {
      if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_RECV_MESSAGE)) {
        methods->FailHijackedRecvMessage();
      }
      if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_RECV_STATUS)) {
        *methods->GetRecvStatus() = grpc::Status(
            grpc::StatusCode::RESOURCE_EXHAUSTED,
            absl::StrCat("request metadata of ", refused_size_, " bytes is larger than the limit of ",
                         limit_, " bytes; the call was not sent"));
      }
    }
    if (hijack) {
      methods->Hijack();
    } else {
      methods->Proceed();
    }
  }

 private:
  const size_t limit_;
  size_t refused_size_ = 0;  // > 0 once this call is refused
};

class MetadataLimitFactory : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateClientInterceptor(
      grpc::experimental::ClientRpcInfo*) override {
    return new MetadataLimitInterceptor(kMaxRequestMetadataBytes);
  }
};

absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannelWithArgs(const std::string& target,
                                                                   const ClientTlsOptions& tls,
                                                                   grpc::ChannelArguments args) {
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> creds = ClientCredentials(tls);
  if (!creds.ok()) return creds.status();
  if (!tls.server_name_override.empty()) args.SetSslTargetNameOverride(tls.server_name_override);
  std::vector<std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(std::make_unique<MetadataLimitFactory>());
  return grpc::experimental::CreateCustomChannelWithInterceptors(target, *creds, args,
                                                                 std::move(interceptors));
}

}  // namespace

bool IsLoopbackHost(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host == "localhost" || host == "::1") return true;
  if (host.starts_with("::ffff:")) host.remove_prefix(7);
  if (!host.starts_with("127.")) return false;
  int dots = 0;
  for (char c : host) {
    if (c == '.') {
      ++dots;
    } else if (c < '0' || c > '9') {
      return false;
    }
  }
  return dots == 3;
}

bool IsLoopbackAddress(std::string_view address) {
  if (address.starts_with("unix:")) return true;
  for (std::string_view prefix : {"dns:///", "dns:", "ipv4:", "ipv6:"}) {
    if (address.starts_with(prefix)) {
      address.remove_prefix(prefix.size());
      break;
    }
  }
  const size_t colon = address.rfind(':');
  // "[::1]:443" -> "[::1]"; a bare "::1" has no port.
  std::string_view host = address;
  if (colon != std::string_view::npos && (address.front() != '[' || address[colon - 1] == ']')) {
    host = address.substr(0, colon);
  }
  return IsLoopbackHost(host);
}

absl::Status ValidateGrpcServerOptions(const GrpcServerOptions& o) {
  std::string host;
  int port;
  if (!SplitHostPort(o.listen_address, &host, &port)) {
    return absl::InvalidArgumentError(
        absl::StrCat("listen_address: '", o.listen_address, "' is not host:port"));
  }
  if (!o.tls.enabled() && !o.allow_plaintext_non_loopback && !IsLoopbackHost(host)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "listen address ", host.empty() ? "(all interfaces)" : host,
        " is not loopback: a server without TLS may listen only on 127.0.0.1, [::1] or "
        "localhost; give --tls-cert/--tls-key/--tls-ca, or --insecure-plaintext-listen to "
        "accept unencrypted connections from the network"));
  }
  if (o.max_receive_message_bytes <= 0 || o.max_send_message_bytes <= 0) {
    return absl::InvalidArgumentError("max message sizes must be positive");
  }
  if (o.tls.enabled() && o.tls.key_file.empty()) {
    return absl::InvalidArgumentError("tls key_file: required when tls cert_file is set");
  }
  if (!o.tls.enabled() && (!o.tls.key_file.empty() || !o.tls.client_ca_file.empty())) {
    return absl::InvalidArgumentError("tls cert_file: required when other tls files are set");
  }
  if (o.tls.reload_interval < absl::Seconds(1)) {
    return absl::InvalidArgumentError("tls reload_interval: at least 1s");
  }
  if (o.max_concurrent_streams <= 0 || o.max_metadata_bytes < 1024) {
    return absl::InvalidArgumentError(
        "max_concurrent_streams must be positive and max_metadata_bytes at least 1024");
  }
  if (o.keepalive_time < absl::Seconds(1) || o.keepalive_timeout < absl::Seconds(1) ||
      o.min_client_ping_interval < absl::Seconds(1)) {
    return absl::InvalidArgumentError("keepalive durations must be at least 1s");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<GrpcServer>> GrpcServer::Start(
    const GrpcServerOptions& options, const std::vector<grpc::Service*>& services) {
  if (absl::Status s = ValidateGrpcServerOptions(options); !s.ok()) return s;
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> creds = ServerCredentials(options.tls);
  if (!creds.ok()) return creds.status();

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int selected_port = 0;
  builder.AddListeningPort(options.listen_address, *creds, &selected_port);
  builder.SetMaxReceiveMessageSize(options.max_receive_message_bytes);
  builder.SetMaxSendMessageSize(options.max_send_message_bytes);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, options.max_concurrent_streams);
  builder.AddChannelArgument(GRPC_ARG_MAX_METADATA_SIZE, options.max_metadata_bytes);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS,
                             static_cast<int>(absl::ToInt64Milliseconds(options.keepalive_time)));
  builder.AddChannelArgument(
      GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
      static_cast<int>(absl::ToInt64Milliseconds(options.keepalive_timeout)));
  builder.AddChannelArgument(
      GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
      static_cast<int>(absl::ToInt64Milliseconds(options.min_client_ping_interval)));
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 2);
  // gRPC enables SO_REUSEPORT by default, which lets a second server silently share
  // (and steal connections from) a port that is already in use: refuse instead.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  for (grpc::Service* service : services) builder.RegisterService(service);
  if (options.metrics_registry != nullptr) {
    std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> f;
    f.push_back(MakeRpcMetricsInterceptorFactory(*options.metrics_registry));
    builder.experimental().SetInterceptorCreators(std::move(f));
  }
  if (options.configure) options.configure(builder);

  std::unique_ptr<GrpcServer> self(new GrpcServer());
  self->server_ = builder.BuildAndStart();
  if (self->server_ && !options.tls.enabled() && !IsLoopbackAddress(options.listen_address)) {
    std::fprintf(stderr,
                 "WARNING: gRPC server on %s WITHOUT TLS (--insecure-plaintext-listen): traffic "
                 "is unencrypted and callers are not authenticated\n",
                 options.listen_address.c_str());
  }
  if (!self->server_ || selected_port == 0) {
    if (self->server_) self->Shutdown(absl::ZeroDuration());
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options.listen_address,
                                               " (address in use, not local, or malformed)"));
  }
  self->port_ = selected_port;
  std::string host;
  int unused;
  SplitHostPort(options.listen_address, &host, &unused);
  if (host.empty() || host == "0.0.0.0") host = "127.0.0.1";
  if (host == "[::]") host = "[::1]";
  self->address_ = absl::StrCat(host, ":", selected_port);
  self->SetServing(true);
  return self;
}

GrpcServer::~GrpcServer() {
  if (server_ && !shut_down_) Shutdown(absl::ZeroDuration());
}

void GrpcServer::SetServing(bool serving) {
  if (!server_) return;
  if (grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService()) {
    health->SetServingStatus(serving);
  }
}

void GrpcServer::Shutdown(absl::Duration grace) {
  if (shut_down_) return;
  shut_down_ = true;
  SetServing(false);
  server_->Shutdown(absl::ToChronoTime(absl::Now() + grace));
}

void GrpcServer::Wait() { server_->Wait(); }

absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(const std::string& target,
                                                           const ClientTlsOptions& tls,
                                                           int max_message_bytes) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(max_message_bytes);
  args.SetMaxSendMessageSize(max_message_bytes);
  return MakeChannelWithArgs(target, tls, std::move(args));
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(const std::string& target,
                                                           const ClientTlsOptions& tls,
                                                           grpc::ChannelArguments args) {
  return MakeChannelWithArgs(target, tls, std::move(args));
}

absl::Status CheckHealth(grpc::Channel& channel, const std::string& service,
                         absl::Duration timeout) {
  // grpc.health.v1.HealthCheckRequest{service = 1}, hand-encoded (no generated code).
  std::string request;
  if (!service.empty()) {
    request.push_back(0x0a);
    size_t n = service.size();
    while (n >= 0x80) {
      request.push_back(static_cast<char>((n & 0x7f) | 0x80));
      n >>= 7;
    }
    request.push_back(static_cast<char>(n));
    request += service;
  }
  grpc::Slice slice(request);
  grpc::ByteBuffer req_buf(&slice, 1);
  grpc::ByteBuffer resp_buf;
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  grpc::GenericStub stub(std::shared_ptr<grpc::Channel>(&channel, [](grpc::Channel*) {}));
  std::promise<grpc::Status> done;
  stub.UnaryCall(&ctx, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &req_buf, &resp_buf,
                 [&done](grpc::Status s) { done.set_value(std::move(s)); });
  grpc::Status status = done.get_future().get();
  if (!status.ok()) return FromGrpcStatus(status);
  std::vector<grpc::Slice> slices;
  std::string response;
  if (resp_buf.Dump(&slices).ok()) {
    for (const grpc::Slice& s : slices)
      response.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  // HealthCheckResponse{status = 1 (enum)}: SERVING = 1.
  int serving_status = 0;
  if (response.size() >= 2 && response[0] == 0x08)
    serving_status = static_cast<uint8_t>(response[1]);
  if (serving_status == 1) return absl::OkStatus();
  static constexpr const char* kNames[] = {"UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"};
  return absl::UnavailableError(
      absl::StrCat("health status ", serving_status < 4 ? kNames[serving_status] : "UNRECOGNIZED"));
}

absl::Status WaitForServing(const std::string& target, absl::Time deadline,
                            const ClientTlsOptions& tls, const std::string& service) {
  grpc::ChannelArguments args;
  // Reconnect quickly while the server is starting up.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 20);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 20);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 200);
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      MakeChannelWithArgs(target, tls, std::move(args));
  if (!channel.ok()) return channel.status();
  absl::Status last = absl::UnavailableError("no attempt made");
  absl::Duration backoff = absl::Milliseconds(10);
  for (int attempt = 0; attempt < 100000; ++attempt) {
    const absl::Duration remaining = deadline - absl::Now();
    if (remaining <= absl::ZeroDuration()) break;
    last = CheckHealth(**channel, service, std::min(remaining, absl::Seconds(1)));
    if (last.ok()) return last;
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) break;
    absl::SleepFor(std::min(backoff, left));
    backoff = std::min(backoff * 2, absl::Milliseconds(200));
  }
  return absl::DeadlineExceededError(
      absl::StrCat(target, " not serving before the deadline; last error: ", last.ToString()));
}

}  // namespace freehold
