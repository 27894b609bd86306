#include "services/storaged/core/shard_key.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "services/storaged/core/internal/sv.h"

namespace freehold::storaged {

absl::Status ValidateShardKey(std::string_view key, std::string_view field_name) {
  const absl::string_view field = internal::Sv(field_name);
  if (key.empty()) return absl::InvalidArgumentError(absl::StrCat(field, " is empty"));
  if (key.size() > kMaxShardKeyLength) {
    return absl::InvalidArgumentError(absl::StrCat(field, " is ", key.size(),
                                                   " characters long; at most ", kMaxShardKeyLength,
                                                   " are allowed"));
  }
  for (size_t i = 0; i < key.size(); ++i) {
    const char c = key[i];
    const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c == '-';
    if (!ok) {
      const unsigned char u = static_cast<unsigned char>(c);
      const std::string shown =
          (u >= 0x20 && u < 0x7f) ? absl::StrFormat("'%c'", c) : absl::StrFormat("byte 0x%02x", u);
      return absl::InvalidArgumentError(absl::StrCat(field, " contains ", shown, " at position ", i,
                                                     "; only [0-9a-z-] are allowed"));
    }
  }
  return absl::OkStatus();
}

}  // namespace freehold::storaged
