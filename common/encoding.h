// Byte <-> text encodings (libsodium based). Decoders never crash on bad input; they
// return INVALID_ARGUMENT naming what was wrong.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace freehold {

// Lower-case hex, two characters per byte.
std::string HexEncode(std::string_view bytes);
// Accepts upper or lower case; INVALID_ARGUMENT on odd length or a non-hex character.
absl::StatusOr<std::string> HexDecode(std::string_view hex);

// RFC 4648 section 5 URL-safe alphabet, no '=' padding (what tokens and links use).
std::string Base64UrlEncode(std::string_view bytes);
// Accepts input with or without trailing '=' padding; INVALID_ARGUMENT otherwise.
absl::StatusOr<std::string> Base64UrlDecode(std::string_view text);

// RFC 4648 section 4 standard alphabet with '=' padding.
std::string Base64Encode(std::string_view bytes);
absl::StatusOr<std::string> Base64Decode(std::string_view text);

}  // namespace freehold
