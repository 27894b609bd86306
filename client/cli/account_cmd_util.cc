#include "client/cli/account_cmd_util.h"

#include <unistd.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "client/cli/exit_codes.h"

namespace freehold::cli {

namespace {

std::string DeviceName() {
  char host[256] = {};
  if (::gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') return "freehold CLI";
  return absl::StrCat("freehold CLI on ", host);
}

}  // namespace

absl::StatusOr<std::string> HandleOrPrompt(const std::string& given) {
  std::string handle = given;
  if (handle.empty()) {
    if (!PasswordSource::HaveTerminal()) {
      return UsageError("--handle is required (there is no terminal to ask for it on)");
    }
    absl::StatusOr<client::SecretBytes> typed = PromptTerminal("Handle: ", /*echo=*/true);
    if (!typed.ok()) return typed.status();
    handle = std::string(typed->view());
  }
  handle = std::string(absl::StripAsciiWhitespace(handle));
  if (handle.empty()) return UsageError("the handle is empty");
  return absl::AsciiStrToLower(handle);
}

AccountOpsOptions OpsOptions(Context& ctx) {
  AccountOpsOptions o;
  o.coordinator_address = ctx.CoordinatorAddress();
  o.device_name = DeviceName();
  o.allow_weak_kdf = ctx.options().allow_weak_kdf;
  return o;
}

absl::Status SaveLogin(Context& ctx, const LoggedIn& in, bool remember) {
  absl::StatusOr<const SessionStore*> store = ctx.Store();
  if (!store.ok()) return store.status();
  if (absl::Status s = (*store)->dir().Ensure(); !s.ok()) return s;
  absl::StatusOr<FileLock> lock = (*store)->Lock();
  if (!lock.ok()) return lock.status();
  // A different account's leftovers (remembered identity, share records) go.
  if (absl::Status s = (*store)->Clear(); !s.ok()) return s;
  if (absl::Status s = (*store)->Save(in.session); !s.ok()) return s;
  if (remember) return (*store)->RememberIdentity(in.identity);
  return absl::OkStatus();
}

}  // namespace freehold::cli
