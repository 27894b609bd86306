#include "tests/support/restartable_postgres.h"

#include <cstdio>
#include <pqxx/pqxx>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "tests/support/postgres_harness.h"

namespace freehold::testing {
namespace {

std::string Script() { return std::string(FREEHOLD_SOURCE_DIR) + "/tests/support/pg_ctl.sh"; }

// Runs `cmd` through the shell; stdout (stderr folded in) and the exit status.
absl::StatusOr<std::string> RunScript(const std::string& cmd) {
  FILE* f = ::popen((cmd + " 2>&1").c_str(), "r");
  if (f == nullptr) return absl::InternalError(absl::StrCat("popen failed: ", cmd));
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  const int rc = ::pclose(f);
  if (rc != 0) return absl::UnavailableError(absl::StrCat(cmd, " failed (", rc, "): ", out));
  return out;
}

}  // namespace

absl::StatusOr<std::unique_ptr<RestartablePostgres>> RestartablePostgres::Start() {
  std::unique_ptr<RestartablePostgres> pg(new RestartablePostgres());
  absl::StatusOr<std::string> out = RunScript(absl::StrCat(Script(), " start ", pg->dir_.path()));
  if (!out.ok()) return out.status();
  // The URL is the last line: postgresql://postgres@127.0.0.1:PORT/postgres
  std::string url(absl::StripAsciiWhitespace(*out));
  if (size_t nl = url.rfind('\n'); nl != std::string::npos) url = url.substr(nl + 1);
  absl::string_view rest = url;
  if (!absl::ConsumePrefix(&rest, "postgresql://postgres@127.0.0.1:")) {
    return absl::InternalError(absl::StrCat("unexpected pg_ctl.sh output: ", *out));
  }
  pg->port_ = std::string(rest.substr(0, rest.find('/')));
  pg->url_ = url;
  return pg;
}

RestartablePostgres::~RestartablePostgres() { (void)Stop(); }

absl::StatusOr<std::string> RestartablePostgres::CreateDatabase(const std::string& name) {
  try {
    pqxx::connection admin(url_);
    pqxx::nontransaction txn(admin);
    txn.exec("CREATE DATABASE " + txn.quote_name(name) + " TEMPLATE template0");
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("CREATE DATABASE ", name, ": ", e.what()));
  }
  return WithDatabase(url_, name);
}

absl::Status RestartablePostgres::Stop() {
  return RunScript(absl::StrCat(Script(), " stop ", dir_.path())).status();
}

absl::Status RestartablePostgres::StartAgain() {
  return RunScript(absl::StrCat(Script(), " start ", dir_.path(), " ", port_)).status();
}

absl::Status RestartablePostgres::Restart() {
  if (absl::Status s = Stop(); !s.ok()) return s;
  return StartAgain();
}

}  // namespace freehold::testing
