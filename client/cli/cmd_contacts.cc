// contacts show / contacts verify: the public key of another account, its fingerprint
// and this device's pin of it (contacts.h).
#include <iostream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "client/cli/commands.h"
#include "client/cli/contacts.h"
#include "client/cli/exit_codes.h"
#include "client/core/key_fingerprint.h"

namespace freehold::cli {
namespace {

struct Lookup {
  std::string handle;
  v1::GetPublicKeyResponse key;
  std::string own_account_id;
};

absl::StatusOr<Lookup> LookUp(Context& ctx, const std::string& raw) {
  const std::string handle = absl::AsciiStrToLower(absl::StripAsciiWhitespace(raw));
  if (handle.empty()) return UsageError("a HANDLE is required");
  absl::StatusOr<UserSession*> user = ctx.User();
  if (!user.ok()) return user.status();
  absl::StatusOr<std::string> token = (*user)->AccessToken();
  if (!token.ok()) return token.status();
  absl::StatusOr<AccountsApi*> accounts = ctx.Accounts();
  if (!accounts.ok()) return accounts.status();
  absl::StatusOr<v1::GetPublicKeyResponse> key = (*accounts)->GetPublicKey(handle, *token);
  if (absl::IsNotFound(key.status())) {
    return absl::NotFoundError(absl::StrCat("no account with the handle \"", handle, "\""));
  }
  if (!key.ok()) return key.status();
  return Lookup{handle, *std::move(key), (*user)->session().account_id};
}

absl::StatusOr<ContactsStore> Contacts(Context& ctx, const std::string& own_account_id) {
  absl::StatusOr<const SessionStore*> store = ctx.Store();
  if (!store.ok()) return store.status();
  return ContactsStore((*store)->dir(), own_account_id);
}

}  // namespace

absl::Status RunContactsShow(Context& ctx, const ContactsArgs& args) {
  absl::StatusOr<Lookup> l = LookUp(ctx, args.handle);
  if (!l.ok()) return l.status();
  absl::StatusOr<ContactsStore> contacts = Contacts(ctx, l->own_account_id);
  if (!contacts.ok()) return contacts.status();
  absl::StatusOr<FileLock> lock = (*ctx.Store())->Lock();
  if (!lock.ok()) return lock.status();
  const std::string fingerprint = FingerprintOf(l->key.public_key());
  std::optional<PinnedKey> pinned;
  std::string state;
  if (l->key.account_id() == l->own_account_id) {
    state = "your own key";
  } else {
    absl::StatusOr<PinOutcome> outcome =
        contacts->CheckOrPin(l->handle, l->key.account_id(), l->key.public_key(), &pinned);
    if (!outcome.ok()) return outcome.status();
    switch (*outcome) {
      case PinOutcome::kFirstUse:
        state = "pinned now (first use); compare the fingerprint with them, then run "
                "`freehold contacts verify " + l->handle + "`";
        break;
      case PinOutcome::kMatches:
        state = pinned->verified ? "verified" : "pinned on first use, not verified yet";
        break;
      case PinOutcome::kChanged:
        state = "CHANGED since it was pinned (pinned fingerprint " +
                FingerprintOf(pinned->public_key) + "); sharing is refused until you verify";
        break;
    }
  }
  if (ctx.json()) {
    ctx.PrintJson({{"handle", l->handle},
                   {"account_id", l->key.account_id()},
                   {"public_key", l->key.public_key()},
                   {"fingerprint", fingerprint},
                   {"state", state}});
  } else {
    std::cout << l->handle << "\n"
              << "  account      " << l->key.account_id() << "\n"
              << "  public key   " << l->key.public_key() << "\n"
              << "  fingerprint  " << fingerprint << "\n"
              << "  this device  " << state << "\n";
  }
  return absl::OkStatus();
}

absl::Status RunContactsVerify(Context& ctx, const ContactsArgs& args) {
  absl::StatusOr<Lookup> l = LookUp(ctx, args.handle);
  if (!l.ok()) return l.status();
  if (l->key.account_id() == l->own_account_id) {
    return UsageError("that is your own account: there is nothing to verify");
  }
  const std::string fingerprint = FingerprintOf(l->key.public_key());
  if (!args.fingerprint.empty()) {
    if (!client::FingerprintMatches(args.fingerprint, fingerprint)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the fingerprint you gave is NOT the one the accounts server answers for ", l->handle,
          " (", fingerprint, "); nothing was pinned"));
    }
  } else if (!args.yes) {
    if (!PasswordSource::HaveTerminal()) {
      return UsageError("contacts verify needs --fingerprint DIGITS or --yes in scripts");
    }
    std::cerr << "Fingerprint of " << l->handle << ": " << fingerprint << "\n"
              << "Compare it with what " << l->handle
              << " sees (`freehold contacts show " << l->handle << "`), in person or by a "
              << "channel you trust.\n";
    absl::StatusOr<client::SecretBytes> answer =
        PromptTerminal("Type \"yes\" if it is the same: ", /*echo=*/true);
    if (!answer.ok()) return answer.status();
    if (absl::AsciiStrToLower(absl::StripAsciiWhitespace(std::string(answer->view()))) != "yes") {
      return absl::CancelledError("not verified");
    }
  }
  absl::StatusOr<ContactsStore> contacts = Contacts(ctx, l->own_account_id);
  if (!contacts.ok()) return contacts.status();
  absl::StatusOr<FileLock> lock = (*ctx.Store())->Lock();
  if (!lock.ok()) return lock.status();
  if (absl::Status s = contacts->Put(l->handle, PinnedKey{l->key.account_id(),
                                                          l->key.public_key(), true, ""});
      !s.ok()) {
    return s;
  }
  if (ctx.json()) {
    ctx.PrintJson({{"handle", l->handle}, {"fingerprint", fingerprint}, {"verified", true}});
  } else {
    std::cout << "Verified " << l->handle << " (" << fingerprint
              << "). Shares to this key are allowed; a change of it will be refused.\n";
  }
  return absl::OkStatus();
}

}  // namespace freehold::cli
