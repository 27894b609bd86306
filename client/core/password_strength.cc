#include "client/core/password_strength.h"

#include <zxcvbn.h>

#include <cmath>
#include <string>

#include "absl/strings/str_cat.h"

namespace freehold::client {
namespace {

// What a match of this type says about the password, for the user.
const char* Describe(int type) {
  switch (type & ~MULTIPLE_MATCH) {
    case DICTIONARY_MATCH:
      return "it is made of common words or passwords";
    case DICT_LEET_MATCH:
      return "it is a common word with letters swapped for look-alike digits or symbols";
    case USER_MATCH:
    case USER_LEET_MATCH:
      return "it contains your handle or the service's name";
    case REPEATS_MATCH:
      return "it repeats characters or a part of itself";
    case SEQUENCE_MATCH:
      return "it contains a sequence like abcd or 1234";
    case SPATIAL_MATCH:
      return "it contains a keyboard pattern like qwerty";
    case DATE_MATCH:
    case YEAR_MATCH:
      return "it contains a date or a year";
    default:
      return nullptr;
  }
}

}  // namespace

PasswordStrength EstimatePassword(std::string_view password,
                                  const std::vector<std::string>& user_words) {
  const std::string text(password);  // zxcvbn wants a NUL-terminated string
  std::vector<const char*> dict;
  for (const std::string& w : user_words) {
    if (!w.empty()) dict.push_back(w.c_str());
  }
  dict.push_back(nullptr);
  ZxcMatch_t* info = nullptr;
  PasswordStrength out;
  out.bits = ZxcvbnMatch(text.c_str(), dict.data(), &info);
  // The pattern (not brute force) covering the most characters names the weakness.
  int best_len = 0;
  for (ZxcMatch_t* m = info; m != nullptr; m = m->Next) {
    const char* what = Describe(m->Type);
    if (what != nullptr && m->Length > best_len) {
      best_len = m->Length;
      out.reason = what;
    }
  }
  ZxcvbnFreeInfo(info);
  if (password.size() < 8 || (out.reason.empty() && password.size() < 12)) {
    out.reason = "it is too short";
  }
  return out;
}

absl::Status CheckPasswordStrength(std::string_view password,
                                   const std::vector<std::string>& user_words) {
  PasswordStrength s = EstimatePassword(password, user_words);
  if (s.bits >= kMinPasswordBits) return absl::OkStatus();
  const int exponent = static_cast<int>(std::floor(s.bits * std::log10(2.0)));
  return absl::InvalidArgumentError(absl::StrCat(
      "the password is too weak", s.reason.empty() ? "" : ": ", s.reason,
      "; it would be guessed in about 10^", exponent,
      " attempts and at least 10^12 are needed. Use four or more unrelated words, or a "
      "password manager"));
}

}  // namespace freehold::client
