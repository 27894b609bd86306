// Bech32 (BIP 173, checksum constant 1) as age uses it for "age1..." recipients and
// "AGE-SECRET-KEY-1..." identities. Unlike BIP 173, age sets no 90-character limit.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace freehold::accounts::internal {

struct Bech32Data {
  std::string hrp;   // lower case
  std::string data;  // decoded 8-bit bytes
};

// Encodes 8-bit `data` with human-readable part `hrp` (lower case) in lower case.
std::string Bech32Encode(std::string_view hrp, std::string_view data);

// Decodes a bech32 string that is entirely lower or entirely upper case. INVALID_ARGUMENT
// on mixed case, characters outside the alphabet, a bad checksum, or non-zero padding.
absl::StatusOr<Bech32Data> Bech32Decode(std::string_view text);

}  // namespace freehold::accounts::internal
