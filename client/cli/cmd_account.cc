// signup, login, logout, whoami, recovery-key.
#include <unistd.h>

#include <iostream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "client/cli/account_ops.h"
#include "client/cli/account_cmd_util.h"
#include "client/cli/commands.h"
#include "client/cli/contacts.h"
#include "client/cli/exit_codes.h"
#include "client/cli/format.h"

namespace freehold::cli {
namespace {

nlohmann::json AccountJson(const Session& s) {
  return {{"account_id", s.account_id}, {"handle", s.handle}, {"public_key", s.public_key}};
}

}  // namespace

absl::Status RunSignup(Context& ctx, const SignupArgs& args) {
  absl::StatusOr<std::string> handle = HandleOrPrompt(args.handle);
  if (!handle.ok()) return handle.status();
  absl::StatusOr<client::SecretBytes> password =
      ctx.Passwords().Get(absl::StrCat("Choose a password for ", *handle, ": "), /*confirm=*/true);
  if (!password.ok()) return password.status();
  absl::StatusOr<AccountsApi*> accounts = ctx.Accounts();
  if (!accounts.ok()) return accounts.status();
  absl::StatusOr<LoggedIn> in =
      Signup(**accounts, *handle, args.contact, *password, OpsOptions(ctx));
  if (!in.ok()) return in.status();
  if (absl::Status s = SaveLogin(ctx, *in, args.remember); !s.ok()) {
    return WithContext(s,
                       "the account was created but the session could not be saved; run "
                       "`freehold login`");
  }
  // The recovery key is shown once, here, on standard output only (never
  // logged; `freehold recovery-key` shows it again with the password).
  const client::SecretBytes recovery_key = in->identity.Encode();
  if (ctx.json()) {
    nlohmann::json j = AccountJson(in->session);
    j["recovery_key"] = std::string(recovery_key.view());
    ctx.PrintJson(j);
  } else {
    std::cout << "Welcome to Freehold, " << in->session.handle << ".\n"
              << "  account    " << in->session.account_id << "\n"
              << "  public key " << in->session.public_key << "\n\n"
              << "YOUR RECOVERY KEY (shown once; store it now, offline: on paper or in a\n"
                 "password manager; it is the only way back in if you forget the password,\n"
                 "with `freehold recover`, and it gives full access to your files):\n\n"
              << "  " << recovery_key.view() << "\n\n"
              << "Nobody, not even the operators, can reset your password or recover this key.\n";
  }
  return absl::OkStatus();
}

absl::Status RunLogin(Context& ctx, const LoginArgs& args) {
  absl::StatusOr<std::string> handle = HandleOrPrompt(args.handle);
  if (!handle.ok()) return handle.status();
  absl::StatusOr<client::SecretBytes> password =
      ctx.Passwords().Get(absl::StrCat("Password for ", *handle, ": "));
  if (!password.ok()) return password.status();
  absl::StatusOr<AccountsApi*> accounts = ctx.Accounts();
  if (!accounts.ok()) return accounts.status();
  absl::StatusOr<LoggedIn> in = Login(**accounts, *handle, *password, OpsOptions(ctx));
  if (!in.ok()) return in.status();
  if (absl::Status s = SaveLogin(ctx, *in, args.remember); !s.ok()) return s;
  if (ctx.json()) {
    nlohmann::json j = AccountJson(in->session);
    j["kdf_upgraded"] = in->kdf_upgraded;
    if (!in->warning.empty()) j["warning"] = in->warning;
    ctx.PrintJson(j);
  } else {
    if (!in->warning.empty()) std::cerr << "freehold: warning: " << in->warning << "\n";
    if (in->kdf_upgraded && !ctx.options().quiet) {
      std::cerr << "Password hashing strengthened to Argon2id ops " << in->session.kdf.opslimit
                << ", " << (in->session.kdf.memlimit >> 20) << " MiB (same password).\n";
    }
    std::cout << "Logged in as " << in->session.handle << ".";
    if (args.remember) std::cout << " The identity is remembered on this device (0600 file).";
    std::cout << "\n";
  }
  return absl::OkStatus();
}

absl::Status RunLogout(Context& ctx) {
  absl::StatusOr<const SessionStore*> store = ctx.Store();
  if (!store.ok()) return store.status();
  absl::StatusOr<UserSession*> user = ctx.User();
  if (absl::IsUnauthenticated(user.status())) {
    if (ctx.json())
      ctx.PrintJson({{"logged_out", false}});
    else
      std::cout << "Not logged in.\n";
    return absl::OkStatus();
  }
  if (!user.ok()) return user.status();
  std::string warning;
  absl::StatusOr<std::string> token = (*user)->AccessToken();
  absl::Status revoked = token.ok() ? (*ctx.Accounts())->Logout(*token) : token.status();
  if (!revoked.ok() && !absl::IsUnauthenticated(revoked)) {
    warning = absl::StrCat("the server could not revoke the session (", revoked.message(),
                           "); it expires by itself");
  }
  if (absl::Status s = (*store)->Clear(); !s.ok()) return s;
  if (ctx.json()) {
    ctx.PrintJson({{"logged_out", true}, {"warning", warning}});
  } else {
    if (!warning.empty()) std::cerr << "freehold: warning: " << warning << "\n";
    std::cout << "Logged out; the session was removed from " << (*store)->dir().path() << ".\n";
  }
  return absl::OkStatus();
}

absl::Status RunWhoami(Context& ctx) {
  absl::StatusOr<UserSession*> user = ctx.User();
  if (!user.ok()) return user.status();
  absl::StatusOr<std::string> token = (*user)->AccessToken();
  if (!token.ok()) return token.status();
  absl::StatusOr<v1::GetAccountResponse> account = (*ctx.Accounts())->GetAccount(*token);
  if (!account.ok()) return account.status();
  const Session s = (*user)->session();
  if (ctx.json()) {
    nlohmann::json j = AccountJson(s);
    j["accounts_address"] = s.accounts_address;
    j["coordinator_address"] = ctx.CoordinatorAddress();
    j["created_at"] = IsoTime(account->created_at().seconds() * 1000000000LL);
    j["fingerprint"] = FingerprintOf(account->public_key());
    ctx.PrintJson(j);
  } else {
    std::cout << account->handle() << "\n"
              << "  account     " << account->account_id() << "\n"
              << "  public key  " << account->public_key() << "\n"
              << "  fingerprint " << FingerprintOf(account->public_key()) << "\n"
              << "  created     " << HumanTime(account->created_at().seconds() * 1000000000LL)
              << "\n"
              << "  cluster     accounts " << s.accounts_address << ", coordinator "
              << ctx.CoordinatorAddress() << "\n";
  }
  return absl::OkStatus();
}

absl::Status RunRecoveryKey(Context& ctx, const RecoveryKeyArgs& args) {
  absl::StatusOr<UserSession*> user = ctx.User();
  if (!user.ok()) return user.status();
  const Session s = (*user)->session();
  std::cerr << "WARNING: the recovery key gives full access to every file of " << s.handle
            << ".\nAnyone who has it can read them. Keep it offline (on paper or an\n"
               "encrypted drive), never in the cloud or in chat.\n";
  if (!args.yes) {
    if (!PasswordSource::HaveTerminal()) {
      return UsageError("recovery-key asks for confirmation: pass --yes in scripts");
    }
    absl::StatusOr<client::SecretBytes> answer =
        PromptTerminal("Type \"yes\" to show it: ", /*echo=*/true);
    if (!answer.ok()) return answer.status();
    if (absl::AsciiStrToLower(absl::StripAsciiWhitespace(std::string(answer->view()))) != "yes") {
      return absl::CancelledError("not shown");
    }
  }
  // Always ask for the password again, even with a remembered identity.
  absl::StatusOr<client::SecretBytes> password =
      ctx.Passwords().Get(absl::StrCat("Password for ", s.handle, " (to show the recovery key): "));
  if (!password.ok()) return password.status();
  absl::StatusOr<client::X25519Identity> identity = UnlockIdentity(s, *password);
  if (!identity.ok()) return identity.status();
  client::SecretBytes key = identity->Encode();
  if (ctx.json()) {
    ctx.PrintJson({{"recovery_key", std::string(key.view())}, {"public_key", s.public_key}});
  } else {
    std::cout << key.view() << std::endl;
  }
  return absl::OkStatus();
}

}  // namespace freehold::cli
