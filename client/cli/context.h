// What every command needs, created lazily from the global options: the
// config dir and session, passwords, the accounts and coordinator clients,
// storage channels, output mode (human text or --json) and progress display.
#pragma once

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "client/cli/accounts_api.h"
#include "client/cli/coordinator_api.h"
#include "client/cli/org_session.h"
#include "client/cli/password.h"
#include "client/cli/progress.h"
#include "client/cli/session.h"
#include "client/cli/storage_nodes.h"
#include "client/cli/user_session.h"

namespace freehold::cli {

struct GlobalOptions {
  std::string accounts_address;     // --accounts / FREEHOLD_ACCOUNTS_ADDR
  std::string coordinator_address;  // --coordinator / FREEHOLD_COORDINATOR_ADDR
  std::string config_dir;           // --config-dir / FREEHOLD_CONFIG_DIR
  std::string password_file;        // --password-file / FREEHOLD_PASSWORD_FILE
  bool json = false;
  bool quiet = false;
  bool allow_weak_kdf = false;  // FREEHOLD_ALLOW_WEAK_KDF (tests only)
  int threads = 0;              // encode threads; 0 = automatic
  ClientTransport transport;    // --ca-file, --plaintext, ... (TLS by default)
};

class Context {
 public:
  explicit Context(GlobalOptions options)
      : options_(std::move(options)), nodes_(StorageNodesOptions{.transport = options_.transport}) {}
  const GlobalOptions& options() const { return options_; }
  bool json() const { return options_.json; }

  absl::StatusOr<const SessionStore*> Store();
  PasswordSource Passwords() const {
    return PasswordSource::FromEnvironment(options_.password_file);
  }

  // Address precedence: flag/env, then the session's, then the local default.
  absl::StatusOr<AccountsApi*> Accounts();
  // The logged-in user; UNAUTHENTICATED "not logged in" otherwise. In org mode
  // (SetOrg) its Identity() is the organization's current generation, the naming
  // identity of what is written now (org_session.h).
  absl::StatusOr<UserSession*> User();
  // Org mode (`--org ORG`): set before the first User()/Coordinator() call. The
  // organization's keys are opened (password asked if needed) by the first User().
  // `write`: the command writes for the organization; if a rotation is due (a member's
  // account was deleted) the first User() rotates the key first (RotateDueOrgKey).
  void SetOrg(std::string org_name, bool write = false) {
    org_name_ = std::move(org_name);
    org_write_ = write;
  }
  bool org_mode() const { return !org_name_.empty(); }
  // The opened organization (org mode, after User() succeeded), else null.
  const OrgKeys* Org() const { return org_ ? &*org_ : nullptr; }
  // Identities that may open an object's age header besides Identity(): every
  // generation of the organization in org mode (newest first), else none. Also the
  // naming generations readers try (client/core/naming_keys.h: `older`).
  std::vector<const client::X25519Identity*> ExtraIdentities() const;
  // Calls carry the user's token; `anonymous` makes calls without one.
  absl::StatusOr<CoordinatorApi*> Coordinator(bool anonymous = false);
  std::string CoordinatorAddress();
  StorageNodes& Nodes() { return nodes_; }

  std::unique_ptr<ProgressDisplay> Progress(std::string label) const;

  // Prints a JSON document to stdout (--json).
  void PrintJson(const nlohmann::json& doc) const;

 private:
  absl::StatusOr<std::optional<Session>> LoadSession();

  GlobalOptions options_;
  std::optional<SessionStore> store_;
  bool session_loaded_ = false;
  std::optional<Session> session_;
  std::unique_ptr<AccountsApi> accounts_;
  std::unique_ptr<UserSession> user_;
  std::string org_name_;
  bool org_write_ = false;
  std::optional<OrgKeys> org_;
  std::unique_ptr<CoordinatorApi> coordinator_;
  std::unique_ptr<CoordinatorApi> anonymous_coordinator_;
  StorageNodes nodes_;
};

}  // namespace freehold::cli
