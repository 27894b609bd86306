// freehold-admin's login session (see operator_session.h).
#include "client/admin/operator_session.h"

#include <cstdlib>

#include "absl/time/clock.h"
#include "client/cli/account_ops.h"
#include "client/cli/accounts_api.h"
#include "client/cli/config_dir.h"
#include "client/cli/password.h"
#include "client/cli/rpc.h"
#include "client/cli/session.h"
#include "common/status.h"

namespace freehold::admin {
namespace {

bool EnvTrue(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && (std::string(v) == "1" || std::string(v) == "true");
}

absl::Time FromProto(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

}  // namespace

absl::StatusOr<std::string> DefaultAdminConfigDir() {
  if (const char* dir = std::getenv("FREEHOLD_ADMIN_CONFIG_DIR"); dir != nullptr && *dir) {
    return std::string(dir);
  }
  FH_ASSIGN_OR_RETURN(std::string base, cli::DefaultConfigDir());
  return base + "/admin";
}

absl::StatusOr<std::string> OperatorSession::Login(const std::string& accounts_address,
                                                   const std::string& handle,
                                                   const std::string& password_file) {
  FH_ASSIGN_OR_RETURN(cli::Service service,
                      cli::ConnectService("accounts", accounts_address, "--accounts", transport_));
  cli::AccountsApi accounts(std::move(service));
  cli::PasswordSource passwords = cli::PasswordSource::FromEnvironment(password_file);
  FH_ASSIGN_OR_RETURN(client::SecretBytes password,
                      passwords.Get("Password for " + handle + ": "));
  cli::AccountOpsOptions options;
  options.device_name = "freehold-admin";
  options.allow_weak_kdf = EnvTrue("FREEHOLD_ALLOW_WEAK_KDF");
  FH_ASSIGN_OR_RETURN(cli::LoggedIn in, cli::Login(accounts, handle, password, options));
  in.session.accounts_address = accounts_address;
  cli::ConfigDir dir(config_dir_);
  FH_RETURN_IF_ERROR(dir.Ensure());
  cli::SessionStore store(dir);
  FH_RETURN_IF_ERROR(store.Save(in.session));
  return in.session.account_id;
}

absl::Status OperatorSession::Logout() { return cli::SessionStore(cli::ConfigDir(config_dir_)).Clear(); }

absl::StatusOr<std::string> OperatorSession::AccountsAddress() {
  cli::SessionStore store{cli::ConfigDir(config_dir_)};
  FH_ASSIGN_OR_RETURN(std::optional<cli::Session> session, store.Load());
  return session.has_value() ? session->accounts_address : std::string();
}

absl::StatusOr<std::string> OperatorSession::AccessToken() {
  cli::SessionStore store{cli::ConfigDir(config_dir_)};
  FH_ASSIGN_OR_RETURN(std::optional<cli::Session> session, store.Load());
  if (!session.has_value()) return std::string();
  if (session->access_expires_at - absl::Minutes(1) > absl::Now()) return session->access_token;
  // Refresh under the directory's lock: refresh tokens rotate, and a second admin
  // process refreshing with the same one would end the session.
  FH_ASSIGN_OR_RETURN(cli::FileLock lock, store.Lock());
  FH_ASSIGN_OR_RETURN(session, store.Load());
  if (!session.has_value()) return std::string();
  if (session->access_expires_at - absl::Minutes(1) > absl::Now()) return session->access_token;
  FH_ASSIGN_OR_RETURN(
      cli::Service service,
      cli::ConnectService("accounts", session->accounts_address, "--accounts", transport_));
  cli::AccountsApi accounts(std::move(service));
  absl::StatusOr<v1::RefreshResponse> fresh = accounts.Refresh(session->refresh_token);
  if (!fresh.ok()) {
    if (fresh.status().code() == absl::StatusCode::kUnauthenticated) {
      return absl::UnauthenticatedError(
          "the freehold-admin session has ended; run freehold-admin login again");
    }
    return fresh.status();
  }
  session->access_token = fresh->tokens().access_token();
  session->access_expires_at = FromProto(fresh->tokens().access_expires_at());
  session->refresh_token = fresh->tokens().refresh_token();
  session->refresh_expires_at = FromProto(fresh->tokens().refresh_expires_at());
  FH_RETURN_IF_ERROR(store.Save(*session));
  return session->access_token;
}

}  // namespace freehold::admin
