// Helpers shared by the account commands (cmd_account.cc, cmd_passwd.cc).
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "client/cli/account_ops.h"
#include "client/cli/context.h"

namespace freehold::cli {

// The handle given, else asked on the terminal; trimmed and lower-cased.
absl::StatusOr<std::string> HandleOrPrompt(const std::string& given);

// Account-op options from the global options (device name = this host).
AccountOpsOptions OpsOptions(Context& ctx);

// Replaces whatever session the config dir holds with `in` (and remembers the
// identity if asked), under the config dir's lock.
absl::Status SaveLogin(Context& ctx, const LoggedIn& in, bool remember);

}  // namespace freehold::cli
