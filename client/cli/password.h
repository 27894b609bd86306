// Where the password comes from, in order: --password-file FILE (must not be
// readable by others), the FREEHOLD_PASSWORD environment variable, or a prompt
// on the controlling terminal with echo off. Without any of them, commands
// that need the password fail with UNAUTHENTICATED and say how to give one.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "client/core/secret_bytes.h"

namespace freehold::cli {

class PasswordSource {
 public:
  // `password_file` empty = not given. `env_password` = FREEHOLD_PASSWORD
  // (nullopt if unset).
  PasswordSource(std::string password_file, std::optional<std::string> env_password)
      : file_(std::move(password_file)), env_(std::move(env_password)) {}
  // Reads FREEHOLD_PASSWORD from the process environment.
  static PasswordSource FromEnvironment(std::string password_file);

  // The password. `prompt` is shown on the terminal; with `confirm` the user
  // types it twice (sign-up). INVALID_ARGUMENT for an empty password or a
  // mismatch; UNAUTHENTICATED when no source is available.
  absl::StatusOr<client::SecretBytes> Get(absl::string_view prompt, bool confirm = false) const;

  // True if a terminal is available for prompting.
  static bool HaveTerminal();

 private:
  std::string file_;
  std::optional<std::string> env_;
};

// Reads one line from the terminal with echo off (for passwords) or on.
absl::StatusOr<client::SecretBytes> PromptTerminal(absl::string_view prompt, bool echo);

}  // namespace freehold::cli
