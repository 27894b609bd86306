// Password change and recovery on the client side (docs/PROTOCOL.md sections 3.8 and
// 3.9). Zero knowledge: the server receives auth keys (Argon2id outputs), never a
// password, a kek or the identity secret; the identity is re-wrapped here.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "client/cli/account_ops.h"
#include "client/cli/accounts_api.h"
#include "client/cli/session.h"
#include "client/core/keys.h"
#include "client/core/secret_bytes.h"

namespace freehold::cli {

// Proves `old_password` (it must open the session's wrapped identity), wraps the
// identity under `new_password` (strength-checked) and calls ChangePassword with
// `access_token`. Returns the session with the new salt, parameters and wrapping; the
// server ended every other session of the account.
// UNAUTHENTICATED if the current password is wrong; INVALID_ARGUMENT (usage) for a
// weak new password or one equal to the current; FAILED_PRECONDITION if the password
// was changed on another device since this session logged in.
absl::StatusOr<Session> ChangePassword(AccountsApi& accounts, const Session& session,
                                       const std::string& access_token,
                                       const client::SecretBytes& old_password,
                                       const client::SecretBytes& new_password,
                                       const AccountOpsOptions& options);

// Logs in with the recovery key (the AGE-SECRET-KEY-1... text `freehold recovery-key`
// prints) and sets `new_password` (strength-checked): GetRecoveryChallenge, proof,
// Recover. The server ended every other session. UNAUTHENTICATED if the key is not
// the account's (or the challenge expired); INVALID_ARGUMENT (usage) for a malformed
// key or a weak password.
absl::StatusOr<LoggedIn> Recover(AccountsApi& accounts, const std::string& handle,
                                 const client::SecretBytes& recovery_key,
                                 const client::SecretBytes& new_password,
                                 const AccountOpsOptions& options);

}  // namespace freehold::cli
