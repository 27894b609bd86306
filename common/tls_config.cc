#include "common/tls_config.h"

#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "common/config.h"

namespace freehold {

absl::Status TlsConfig::Validate() const {
  if (!enabled()) return absl::OkStatus();
  const std::pair<const char*, const std::string*> files[] = {
      {"--tls-cert", &cert_file}, {"--tls-key", &key_file}, {"--tls-ca", &ca_file}};
  for (const auto& [flag, path] : files) {
    if (path->empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(flag, ": required with the other --tls-* files (give all three or none)"));
    }
  }
  for (const auto& [flag, path] : files) {
    if (access(path->c_str(), R_OK) != 0) {
      return absl::InvalidArgumentError(absl::StrCat(flag, ": cannot read ", *path));
    }
  }
  if (reload_interval < absl::Seconds(1)) {
    return absl::InvalidArgumentError("--tls-reload-interval: at least 1s");
  }
  return absl::OkStatus();
}

ServerTlsOptions TlsConfig::Server(ClientCertificates client_certificates) const {
  ServerTlsOptions out;
  out.cert_file = cert_file;
  out.key_file = key_file;
  out.client_ca_file = ca_file;
  out.client_certificates = client_certificates;
  out.reload_interval = reload_interval;
  return out;
}

ClientTlsOptions TlsConfig::Client() const {
  ClientTlsOptions out;
  out.enabled = enabled();
  out.ca_file = ca_file;
  out.cert_file = cert_file;
  out.key_file = key_file;
  out.reload_interval = reload_interval;
  return out;
}

void AddTlsFlags(CLI::App& app, TlsConfig* config) {
  AddFlag(app, "--tls-cert", &config->cert_file,
          "PEM certificate of this process (server, and client certificate for mutual TLS)");
  AddFlag(app, "--tls-key", &config->key_file, "PEM private key of --tls-cert");
  AddFlag(app, "--tls-ca", &config->ca_file,
          "PEM CA of the fleet: verifies servers called and client certificates received");
  AddDurationFlag(app, "--tls-reload-interval", &config->reload_interval,
                  "how often the --tls-* files are re-read (certificate rotation)");
  AddFlag(app, "--insecure-plaintext-listen", &config->insecure_plaintext_listen,
          "without --tls-*: listen on a non-loopback address anyway, UNENCRYPTED and with no "
          "caller identity (refused otherwise; never in production)");
}

}  // namespace freehold
