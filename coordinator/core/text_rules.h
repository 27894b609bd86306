// Text the coordinator stores from operators and reporters (abuse reports, donated-disk
// records): checked before it is stored or shown.
#pragma once

#include "absl/strings/string_view.h"

namespace freehold::coordinator {

// Valid UTF-8 (no overlongs, no surrogates) without C0/C1 control characters or DEL;
// newline and tab are allowed when `multiline`.
bool IsCleanText(absl::string_view s, bool multiline);

}  // namespace freehold::coordinator
