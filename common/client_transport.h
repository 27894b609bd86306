// How the command lines (freehold, freehold-admin) secure their connections
// (docs/PROTOCOL.md#transport). TLS by default, verified against the system trust
// store or --ca-file. Plaintext only when asked for, and then:
//   --plaintext                            to loopback addresses only (127.0.0.0/8,
//                                          [::1], localhost); refused for any other
//   --insecure-plaintext-to-remote-host    to any address, with a warning on stderr
//                                          on every use
// freehold-admin may also present an operator client certificate (--tls-cert/--tls-key).
#pragma once

#include <CLI/CLI.hpp>
#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/grpc_server.h"

namespace freehold {

struct ClientTransport {
  std::string ca_file;             // --ca-file / FREEHOLD_CA_FILE; empty = system trust store
  bool plaintext = false;          // --plaintext / FREEHOLD_PLAINTEXT=1 (loopback only)
  bool insecure_remote = false;    // --insecure-plaintext-to-remote-host
  std::string cert_file;           // --tls-cert (freehold-admin: operator certificate)
  std::string key_file;            // --tls-key

  // INVALID_ARGUMENT naming the flag: --tls-cert without --tls-key (or the reverse),
  // a TLS file together with a plaintext flag.
  absl::Status Validate() const;

  // The channel security for `address`: TLS (the default), or plaintext if a
  // plaintext flag allows it. FAILED_PRECONDITION naming the flags for plaintext to
  // a non-loopback address without --insecure-plaintext-to-remote-host; with it, a
  // warning naming the address goes to `warnings` (if not null).
  absl::StatusOr<ClientTlsOptions> For(const std::string& address,
                                       std::ostream* warnings) const;

  // What to check when a call to a TLS server failed with `error` (a handshake or
  // connection failure): the CA file, the server's certificate, --plaintext for a
  // plaintext server. Empty if `error` does not look like a transport failure.
  std::string Hint(const std::string& error) const;
};

// --ca-file, --plaintext, --insecure-plaintext-to-remote-host (environment
// FREEHOLD_CA_FILE, FREEHOLD_PLAINTEXT, FREEHOLD_INSECURE_PLAINTEXT_TO_REMOTE_HOST) and,
// with `client_certificate`, --tls-cert/--tls-key (FREEHOLD_ADMIN_TLS_CERT,
// FREEHOLD_ADMIN_TLS_KEY: not the services' FREEHOLD_TLS_* so one shell can hold both).
void AddClientTransportFlags(CLI::App& app, ClientTransport* transport,
                             bool client_certificate = false);

}  // namespace freehold
