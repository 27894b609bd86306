// Donor tokens (see donor_token.h).
#include "services/donations/core/donor_token.h"

#include <sodium.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "common/encoding.h"
#include "common/secure_compare.h"

namespace freehold::donations {

std::string NewDonorToken() {
  std::string raw = RandomBytes(32);
  std::string token = "fhd_" + Base64UrlEncode(raw);
  SecureZero(raw);
  return token;
}

std::string HashDonorToken(absl::string_view token) {
  std::string out(crypto_generichash_BYTES, '\0');
  crypto_generichash(reinterpret_cast<unsigned char*>(out.data()), out.size(),
                     reinterpret_cast<const unsigned char*>(token.data()), token.size(), nullptr,
                     0);
  return out;
}

bool LooksLikeDonorToken(absl::string_view token) {
  return absl::StartsWith(token, "fhd_") && token.size() == 4 + 43;
}

std::string NewDonorRef() { return "fhr_" + Base64UrlEncode(RandomBytes(16)); }

bool LooksLikeDonorRef(absl::string_view ref) {
  if (!absl::StartsWith(ref, "fhr_") || ref.size() != 4 + 22) return false;
  for (char c : ref.substr(4)) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  }
  return true;
}

}  // namespace freehold::donations
