// Password strength at sign-up, password change and recovery: an estimate of how
// many guesses an attacker who knows common passwords, words, keyboard patterns and
// the user's handle would need (zxcvbn, Debian's libzxcvbn). The check runs on the
// client only: the server never sees a password.
//
// A password passes with at least kMinPasswordBits of estimated entropy (about 10^12
// guesses: years for one attacker against Argon2id at libsodium's MODERATE limits).
// Thread-safe (zxcvbn-c keeps no state).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace freehold::client {

inline constexpr double kMinPasswordBits = 40.0;

struct PasswordStrength {
  double bits = 0;     // log2 of the estimated guesses
  std::string reason;  // why it is weak ("" if no pattern dominates), e.g.
                       // "it contains your handle"
};

// Estimates `password`; `user_words` (the handle, ...) count as known to an attacker.
PasswordStrength EstimatePassword(std::string_view password,
                                  const std::vector<std::string>& user_words);

// OK, or INVALID_ARGUMENT "the password is too weak: <reason>; it would be guessed in
// about 10^N attempts, at least 10^12 are needed. Use a few unrelated words or a
// password manager."
absl::Status CheckPasswordStrength(std::string_view password,
                                   const std::vector<std::string>& user_words);

}  // namespace freehold::client
