// The operator's identity for freehold-admin: an account of freehold-accounts holding
// roles (coordinator:operator, donations:admin, accounts:admin). `freehold-admin login`
// logs in as that account (the same client-side login as the `freehold` CLI) and keeps
// the session -- the CLI's session format, mode 0600 -- in the admin's own config
// directory; every operator call then presents the session's access token as
// "authorization: Bearer <token>", refreshed through accounts when it is about to
// expire. The token carries the account's roles, which the services check.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/client_transport.h"

namespace freehold::admin {

// $FREEHOLD_ADMIN_CONFIG_DIR, else the `freehold` CLI's config dir + "/admin".
absl::StatusOr<std::string> DefaultAdminConfigDir();

class OperatorSession {
 public:
  OperatorSession(std::string config_dir, ClientTransport transport)
      : config_dir_(std::move(config_dir)), transport_(std::move(transport)) {}

  // Logs in as `handle` at `accounts_address` (password: `password_file`, else
  // FREEHOLD_PASSWORD, else a prompt) and saves the session. Returns the account id.
  absl::StatusOr<std::string> Login(const std::string& accounts_address, const std::string& handle,
                                    const std::string& password_file);
  // Removes the saved session (OK if none).
  absl::Status Logout();

  // The access token to present: "" when nobody is logged in. Refreshes (and saves) the
  // session first when its access token expires within a minute. UNAUTHENTICATED when
  // the session has ended (log in again).
  absl::StatusOr<std::string> AccessToken();
  // The accounts address of the saved session ("" if none).
  absl::StatusOr<std::string> AccountsAddress();

 private:
  const std::string config_dir_;
  const ClientTransport transport_;
};

}  // namespace freehold::admin
