// Debian's Abseil is built with its own absl::string_view (not std::string_view), so
// std::string_view values must be converted explicitly before reaching absl functions.
#pragma once

#include <string_view>

#include "absl/strings/string_view.h"

namespace freehold::accounts::internal {

inline absl::string_view AV(std::string_view s) { return absl::string_view(s.data(), s.size()); }
inline std::string_view SV(absl::string_view s) { return std::string_view(s.data(), s.size()); }

}  // namespace freehold::accounts::internal
