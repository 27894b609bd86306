// absl::string_view is not std::string_view in Debian's Abseil build
// (ABSL_OPTION_USE_STD_STRING_VIEW 0); these bridge the two for absl::StrCat and friends.
#pragma once

#include <string_view>

#include "absl/strings/string_view.h"

namespace freehold {

inline absl::string_view AbslView(std::string_view s) { return {s.data(), s.size()}; }
inline std::string_view StdView(absl::string_view s) { return {s.data(), s.size()}; }

}  // namespace freehold
