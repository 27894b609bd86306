#include "tests/support/test_pki.h"

#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace freehold::testing {
namespace {

std::string Script() { return std::string(FREEHOLD_SOURCE_DIR) + "/deploy/tls/pki.sh"; }

void RunOrAbort(const std::string& cmd) {
  if (std::system(cmd.c_str()) != 0) {
    std::fprintf(stderr, "TestPki: command failed: %s\n", cmd.c_str());
    std::abort();
  }
}

}  // namespace

bool TestPki::Available() { return std::system("command -v openssl >/dev/null 2>&1") == 0; }

TestPki::TestPki() { RunOrAbort(absl::StrCat(Script(), " ca ", dir_.path())); }

TlsConfig TestPki::Make(const char* command, const std::string& name, std::string_view role,
                        const std::string& id) const {
  RunOrAbort(absl::StrCat(Script(), " ", command, " ", dir_.path(), " ", name, " ",
                          std::string(role), " ", id, " DNS:localhost IP:127.0.0.1 IP:::1"));
  TlsConfig out;
  out.cert_file = dir_.File(name + ".crt");
  out.key_file = dir_.File(name + ".key");
  out.ca_file = ca_file();
  return out;
}

TlsConfig TestPki::Issue(const std::string& name, std::string_view role, const std::string& id,
                         absl::Duration reload_interval) const {
  TlsConfig out = Make("leaf", name, role, id);
  out.reload_interval = reload_interval;
  return out;
}

TlsConfig TestPki::IssueExpired(const std::string& name, std::string_view role,
                                const std::string& id) const {
  return Make("expired", name, role, id);
}

ClientTlsOptions TestPki::TrustOnly() const {
  ClientTlsOptions out;
  out.enabled = true;
  out.ca_file = ca_file();
  return out;
}

}  // namespace freehold::testing
