// passwd (change the password) and recover (log in with the recovery key, set a new
// password). Both end every other session of the account.
#include <cstdlib>
#include <iostream>
#include <optional>

#include "absl/strings/str_cat.h"
#include "client/cli/account_cmd_util.h"
#include "client/cli/commands.h"
#include "client/cli/config_dir.h"
#include "client/cli/exit_codes.h"
#include "client/cli/password_ops.h"
#include "common/config.h"

namespace freehold::cli {
namespace {

std::optional<std::string> Env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

// The new password: --new-password-file, FREEHOLD_NEW_PASSWORD, or the terminal
// (typed twice).
absl::StatusOr<client::SecretBytes> NewPassword(const std::string& file,
                                                const std::string& handle) {
  PasswordSource source(file, Env("FREEHOLD_NEW_PASSWORD"));
  if (file.empty() && !Env("FREEHOLD_NEW_PASSWORD") && !PasswordSource::HaveTerminal()) {
    return UsageError(
        "no terminal to ask for the new password: set FREEHOLD_NEW_PASSWORD or use "
        "--new-password-file");
  }
  return source.Get(absl::StrCat("New password for ", handle, ": "), /*confirm=*/true);
}

// The recovery key: --recovery-key-file, FREEHOLD_RECOVERY_KEY, or the terminal.
absl::StatusOr<client::SecretBytes> RecoveryKey(const std::string& file) {
  if (!file.empty()) {
    absl::StatusOr<std::string> text = ReadSecretFile(file);
    if (!text.ok()) {
      return absl::Status(text.status().code(),
                          absl::StrCat("--recovery-key-file: ", text.status().message()));
    }
    client::SecretBytes key = client::SecretBytes::CopyOf(*text);
    std::fill(text->begin(), text->end(), '\0');
    return key;
  }
  if (std::optional<std::string> env = Env("FREEHOLD_RECOVERY_KEY")) {
    return client::SecretBytes::CopyOf(*env);
  }
  if (!PasswordSource::HaveTerminal()) {
    return UsageError(
        "no terminal to ask for the recovery key: set FREEHOLD_RECOVERY_KEY or use "
        "--recovery-key-file");
  }
  return PromptTerminal("Recovery key (AGE-SECRET-KEY-1...): ", /*echo=*/false);
}

}  // namespace

absl::Status RunPasswd(Context& ctx, const PasswdArgs& args) {
  absl::StatusOr<UserSession*> user = ctx.User();
  if (!user.ok()) return user.status();
  absl::StatusOr<std::string> token = (*user)->AccessToken();
  if (!token.ok()) return token.status();
  const Session session = (*user)->session();
  absl::StatusOr<client::SecretBytes> old_password =
      ctx.Passwords().Get(absl::StrCat("Current password for ", session.handle, ": "));
  if (!old_password.ok()) return old_password.status();
  absl::StatusOr<client::SecretBytes> new_password =
      NewPassword(args.new_password_file, session.handle);
  if (!new_password.ok()) return new_password.status();
  absl::StatusOr<AccountsApi*> accounts = ctx.Accounts();
  if (!accounts.ok()) return accounts.status();
  absl::StatusOr<Session> changed = ChangePassword(**accounts, session, *token, *old_password,
                                                   *new_password, OpsOptions(ctx));
  if (!changed.ok()) return changed.status();
  absl::StatusOr<const SessionStore*> store = ctx.Store();
  if (!store.ok()) return store.status();
  absl::StatusOr<FileLock> lock = (*store)->Lock();
  if (!lock.ok()) return lock.status();
  // Keep the tokens this process may have refreshed meanwhile.
  Session latest = (*user)->session();
  latest.password_salt = changed->password_salt;
  latest.kdf = changed->kdf;
  latest.wrapped_identity = changed->wrapped_identity;
  if (absl::Status s = (*store)->Save(latest); !s.ok()) {
    return WithContext(s,
                       "the password was changed but this device's session could not be "
                       "saved; run `freehold login` with the new password");
  }
  if (ctx.json()) {
    ctx.PrintJson({{"password_changed", true}, {"handle", session.handle}});
  } else {
    std::cout << "Password changed for " << session.handle
              << ". Every other session of the account has ended; this one continues.\n"
                 "Your files and your recovery key are unchanged.\n";
  }
  return absl::OkStatus();
}

absl::Status RunRecover(Context& ctx, const RecoverArgs& args) {
  absl::StatusOr<std::string> handle = HandleOrPrompt(args.handle);
  if (!handle.ok()) return handle.status();
  absl::StatusOr<client::SecretBytes> key = RecoveryKey(args.recovery_key_file);
  if (!key.ok()) return key.status();
  absl::StatusOr<client::SecretBytes> new_password = NewPassword(args.new_password_file, *handle);
  if (!new_password.ok()) return new_password.status();
  absl::StatusOr<AccountsApi*> accounts = ctx.Accounts();
  if (!accounts.ok()) return accounts.status();
  absl::StatusOr<LoggedIn> in = Recover(**accounts, *handle, *key, *new_password, OpsOptions(ctx));
  if (!in.ok()) return in.status();
  if (absl::Status s = SaveLogin(ctx, *in, args.remember); !s.ok()) {
    return WithContext(s,
                       "the account was recovered but the session could not be saved; run "
                       "`freehold login` with the new password");
  }
  if (ctx.json()) {
    ctx.PrintJson({{"recovered", true},
                   {"handle", in->session.handle},
                   {"account_id", in->session.account_id}});
  } else {
    std::cout << "Recovered " << in->session.handle
              << ": the new password is set, every other session has ended, and this device "
                 "is logged in.\nYour files and your recovery key are unchanged.\n";
  }
  return absl::OkStatus();
}

}  // namespace freehold::cli
