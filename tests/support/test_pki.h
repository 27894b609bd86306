// A private fleet CA and its certificates for tests, made with the same script the
// local cluster uses (deploy/tls/pki.sh), in a temporary directory.
//
//   TestPki pki;                                     // CA (aborts the test binary on failure)
//   TlsConfig coordinator = pki.Issue("c", kRoleCoordinator, "c1");
//   options.tls = coordinator.Server(ClientCertificates::kVerifyIfPresented);
#pragma once

#include <string>
#include <string_view>

#include "common/tls_config.h"
#include "tests/support/temp_dir.h"

namespace freehold::testing {

class TestPki {
 public:
  // True if the openssl command is there (tests skip otherwise).
  static bool Available();

  TestPki();
  // A certificate NAME.crt / NAME.key for role/id with the loopback SANs
  // (DNS:localhost, IP:127.0.0.1, IP:::1), as a TlsConfig trusting this CA.
  TlsConfig Issue(const std::string& name, std::string_view role, const std::string& id,
                  absl::Duration reload_interval = absl::Seconds(10)) const;
  // As Issue, but valid only in 2020.
  TlsConfig IssueExpired(const std::string& name, std::string_view role,
                         const std::string& id) const;
  // A client-side config that trusts this CA and presents no certificate (the CLI).
  ClientTlsOptions TrustOnly() const;
  const std::string& dir() const { return dir_.path(); }
  std::string ca_file() const { return dir_.File("ca.crt"); }

 private:
  TlsConfig Make(const char* command, const std::string& name, std::string_view role,
                 const std::string& id) const;
  TempDir dir_{"freehold-pki-"};
};

}  // namespace freehold::testing
