// absl::string_view is not std::string_view in this Abseil build
// (ABSL_OPTION_USE_STD_STRING_VIEW 0); Sv() bridges for absl::StrCat and friends.
#pragma once

#include <string_view>

#include "absl/strings/string_view.h"

namespace freehold::storaged::internal {

inline absl::string_view Sv(std::string_view s) { return absl::string_view(s.data(), s.size()); }
inline std::string_view StdSv(absl::string_view s) { return std::string_view(s.data(), s.size()); }

}  // namespace freehold::storaged::internal
