#include "common/client_transport.h"

#include <unistd.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/config.h"

namespace freehold {

absl::Status ClientTransport::Validate() const {
  if (cert_file.empty() != key_file.empty()) {
    return absl::InvalidArgumentError(
        cert_file.empty() ? "--tls-cert: required with --tls-key"
                          : "--tls-key: required with --tls-cert");
  }
  if ((plaintext || insecure_remote) && (!ca_file.empty() || !cert_file.empty())) {
    return absl::InvalidArgumentError(
        "--plaintext/--insecure-plaintext-to-remote-host cannot be combined with --ca-file or "
        "--tls-cert (unset FREEHOLD_CA_FILE for a plaintext cluster)");
  }
  for (const auto& [flag, path] :
       {std::pair<const char*, const std::string*>{"--ca-file", &ca_file},
        {"--tls-cert", &cert_file},
        {"--tls-key", &key_file}}) {
    if (!path->empty() && access(path->c_str(), R_OK) != 0) {
      return absl::InvalidArgumentError(absl::StrCat(flag, ": cannot read ", *path));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<ClientTlsOptions> ClientTransport::For(const std::string& address,
                                                      std::ostream* warnings) const {
  if (!plaintext && !insecure_remote) {
    ClientTlsOptions tls;
    tls.enabled = true;
    tls.ca_file = ca_file;
    tls.cert_file = cert_file;
    tls.key_file = key_file;
    return tls;
  }
  if (IsLoopbackAddress(address)) return ClientTlsOptions{};
  if (!insecure_remote) {
    return absl::FailedPreconditionError(absl::StrCat(
        "--plaintext: refused for ", address,
        ", which is not a loopback address (127.0.0.0/8, [::1], localhost). Use TLS (drop "
        "--plaintext / FREEHOLD_PLAINTEXT; --ca-file for a private CA), or "
        "--insecure-plaintext-to-remote-host if you really mean to send tokens and "
        "password-derived keys unencrypted"));
  }
  if (warnings != nullptr) {
    *warnings << "WARNING: talking to " << address
              << " WITHOUT TLS (--insecure-plaintext-to-remote-host): anyone on the network "
                 "can read and alter this traffic, including your access tokens\n";
  }
  return ClientTlsOptions{};
}

std::string ClientTransport::Hint(const std::string& error) const {
  // Nothing listens, or the name does not resolve: not a TLS matter.
  if (absl::StrContains(error, "Connection refused") || absl::StrContains(error, "DNS") ||
      absl::StrContains(error, "No route to host")) {
    return "";
  }
  const bool handshake = absl::StrContains(error, "andshake") ||
                         absl::StrContains(error, "SSL") || absl::StrContains(error, "TLS") ||
                         absl::StrContains(error, "certificate") ||
                         absl::StrContains(error, "Socket closed") ||
                         absl::StrContains(error, "failed to connect to all addresses");
  if (!handshake) return "";
  if (plaintext || insecure_remote) {
    return "this connection is plaintext (--plaintext): if the server speaks TLS, drop "
           "--plaintext / FREEHOLD_PLAINTEXT and give its CA with --ca-file";
  }
  std::string hint =
      ca_file.empty()
          ? "the TLS handshake may have failed: the server's certificate is checked against "
            "the system trust store; for a private CA (the local cluster: .run/tls/ca.crt) give "
            "--ca-file or FREEHOLD_CA_FILE"
          : absl::StrCat("the TLS handshake may have failed: check that --ca-file ", ca_file,
                         " is the CA that signed the server's certificate, that the certificate "
                         "is valid now and names the address you used (DNS/IP SAN)");
  if (!cert_file.empty()) {
    absl::StrAppend(&hint, "; the client certificate ", cert_file,
                    " must be signed by the server's CA and not expired");
  }
  absl::StrAppend(&hint, "; a plaintext development server on loopback needs --plaintext");
  return hint;
}

void AddClientTransportFlags(CLI::App& app, ClientTransport* transport, bool client_certificate) {
  AddFlag(app, "--ca-file", &transport->ca_file,
          "PEM CA that signs the servers' certificates (default: the system trust store)",
          "FREEHOLD_CA_FILE");
  AddFlag(app, "--plaintext", &transport->plaintext,
          "no TLS, for a development cluster on this machine (loopback addresses only)",
          "FREEHOLD_PLAINTEXT");
  AddFlag(app, "--insecure-plaintext-to-remote-host", &transport->insecure_remote,
          "no TLS even to another machine: UNENCRYPTED, tokens readable by anyone on the "
          "path (prints a warning every time)",
          "FREEHOLD_INSECURE_PLAINTEXT_TO_REMOTE_HOST");
  if (client_certificate) {
    AddFlag(app, "--tls-cert", &transport->cert_file,
            "PEM client certificate to present (operator role, mutual TLS)", "FREEHOLD_ADMIN_TLS_CERT");
    AddFlag(app, "--tls-key", &transport->key_file, "PEM private key of --tls-cert",
            "FREEHOLD_ADMIN_TLS_KEY");
  }
}

}  // namespace freehold
