// The TLS material of one Freehold process, from the flags every service binary
// shares (docs/ARCHITECTURE.md#14-trust):
//   --tls-cert, --tls-key    this process's certificate and key: served to its clients
//                            and presented as its client certificate (mutual TLS)
//   --tls-ca                 the fleet's CA: verifies the servers it calls and the
//                            client certificates it receives
//   --tls-reload-interval    how often the three files are re-read (rotation without
//                            a restart; swap key and certificate together)
//   --insecure-plaintext-listen  lets a server without TLS listen on a non-loopback
//                            address (refused otherwise)
// All three files or none: with none the process speaks plaintext (tests, loopback).
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/grpc_server.h"

namespace freehold {

struct TlsConfig {
  std::string cert_file;
  std::string key_file;
  std::string ca_file;
  absl::Duration reload_interval = absl::Seconds(10);
  // --insecure-plaintext-listen: without TLS, listen on a non-loopback address anyway
  // (GrpcServerOptions::allow_plaintext_non_loopback). Ignored with TLS.
  bool insecure_plaintext_listen = false;

  bool enabled() const { return !cert_file.empty() || !key_file.empty() || !ca_file.empty(); }
  // INVALID_ARGUMENT naming the flag: some but not all files, an unreadable file, a
  // reload interval under 1s.
  absl::Status Validate() const;
  // Server side: this process's pair; client certificates verified with the CA
  // according to `client_certificates`.
  ServerTlsOptions Server(ClientCertificates client_certificates) const;
  // Client side: trusts the CA and presents this process's pair.
  ClientTlsOptions Client() const;
};

// Adds --tls-cert, --tls-key, --tls-ca, --tls-reload-interval and
// --insecure-plaintext-listen (environment FREEHOLD_TLS_CERT, ...,
// FREEHOLD_INSECURE_PLAINTEXT_LISTEN).
void AddTlsFlags(CLI::App& app, TlsConfig* config);

}  // namespace freehold
