#include "services/accounts/core/validation.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "client/core/keys.h"
#include "common/encoding.h"
#include "common/secure_compare.h"
#include "services/accounts/core/internal/absl_view.h"

namespace freehold::accounts {
namespace {

absl::Status Invalid(std::string_view field, std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(internal::AV(field), ": ", internal::AV(what)));
}

// Valid UTF-8 (no overlongs, no surrogates) without C0/C1 control characters or DEL.
bool IsPrintableUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    uint32_t cp;
    size_t len;
    if (c < 0x80) {
      cp = c;
      len = 1;
    } else if ((c & 0xE0) == 0xC0) {
      cp = c & 0x1F;
      len = 2;
    } else if ((c & 0xF0) == 0xE0) {
      cp = c & 0x0F;
      len = 3;
    } else if ((c & 0xF8) == 0xF0) {
      cp = c & 0x07;
      len = 4;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    static constexpr uint32_t kMinForLen[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMinForLen[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0)) return false;
    i += len;
  }
  return true;
}

}  // namespace

absl::StatusOr<std::string> NormalizeHandle(std::string_view handle, std::string_view field) {
  if (handle.empty()) return Invalid(field, "required");
  if (handle.size() < kHandleMinLength || handle.size() > kHandleMaxLength) {
    return Invalid(
        field, absl::StrCat("must be ", kHandleMinLength, " to ", kHandleMaxLength, " characters"));
  }
  std::string out(handle);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
    if (!ok) return Invalid(field, "only letters a-z, digits and _ . - are allowed");
  }
  return out;
}

absl::Status ValidateKdf(const KdfParams& kdf, const KdfBounds& bounds, std::string_view field) {
  if (kdf.algorithm != kKdfAlgorithm) {
    return Invalid(absl::StrCat(internal::AV(field), ".algorithm"),
                   absl::StrCat("must be ", kKdfAlgorithm));
  }
  if (kdf.ops_limit < bounds.min_ops || kdf.ops_limit > bounds.max_ops) {
    return Invalid(absl::StrCat(internal::AV(field), ".ops_limit"),
                   absl::StrCat("must be between ", bounds.min_ops, " and ", bounds.max_ops));
  }
  if (kdf.mem_limit_bytes < bounds.min_mem_bytes || kdf.mem_limit_bytes > bounds.max_mem_bytes) {
    return Invalid(absl::StrCat(internal::AV(field), ".mem_limit_bytes"),
                   absl::StrCat("must be between ", bounds.min_mem_bytes, " and ",
                                bounds.max_mem_bytes, " bytes"));
  }
  return absl::OkStatus();
}

absl::Status ValidateFixedBytes(std::string_view value, size_t size, std::string_view field) {
  if (value.size() != size) {
    return Invalid(field, absl::StrCat("must be exactly ", size, " bytes, got ", value.size()));
  }
  return absl::OkStatus();
}

absl::Status ValidateWrappedIdentity(std::string_view value, std::string_view field) {
  if (value.empty()) return Invalid(field, "required");
  if (value.size() > kMaxWrappedIdentityBytes) {
    return Invalid(field, absl::StrCat("at most ", kMaxWrappedIdentityBytes, " bytes"));
  }
  return absl::OkStatus();
}

absl::Status ValidateContact(std::string_view value) {
  if (value.size() > kMaxContactBytes) {
    return Invalid("contact", absl::StrCat("at most ", kMaxContactBytes, " bytes"));
  }
  if (!IsPrintableUtf8(value)) return Invalid("contact", "must be printable UTF-8");
  return absl::OkStatus();
}

absl::Status ValidateDeviceName(std::string_view value) {
  if (value.size() > kMaxDeviceNameBytes) {
    return Invalid("device_name", absl::StrCat("at most ", kMaxDeviceNameBytes, " bytes"));
  }
  if (!IsPrintableUtf8(value)) return Invalid("device_name", "must be printable UTF-8");
  return absl::OkStatus();
}

absl::StatusOr<std::array<uint8_t, 32>> ParseAgeRecipient(std::string_view recipient,
                                                          std::string_view field) {
  if (recipient.empty()) return Invalid(field, "required");
  // "age1" + 52 data characters + 6 checksum characters.
  if (recipient.size() != 62 || recipient.substr(0, 4) != "age1") {
    return Invalid(field, "must be an age X25519 recipient (age1...)");
  }
  // The client core's age encoding (Bech32, HRP "age", 32 bytes): one
  // implementation for the CLI that writes keys and the server that checks them.
  absl::StatusOr<client::X25519PublicKey> parsed = client::ParseRecipient(recipient);
  if (!parsed.ok()) {
    return Invalid(field, absl::StrCat("not an age recipient: ", parsed.status().message()));
  }
  const std::array<uint8_t, 32>& key = parsed->bytes;
  static const std::array<uint8_t, 32> kZero{};
  if (key == kZero) return Invalid(field, "is the all-zero key");
  return key;
}

std::string FormatAgeRecipient(const std::array<uint8_t, 32>& key) {
  return client::EncodeRecipient(client::X25519PublicKey{key});
}

absl::Status ValidateUuid(std::string_view value, std::string_view field) {
  if (value.empty()) return Invalid(field, "required");
  if (value.size() != 36) return Invalid(field, "must be a UUID");
  for (size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return Invalid(field, "must be a UUID");
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return Invalid(field, "must be a lower-case UUID");
    }
  }
  return absl::OkStatus();
}

std::string FormatUuid(std::string_view b) {
  const std::string hex = HexEncode(b);
  return absl::StrCat(hex.substr(0, 8), "-", hex.substr(8, 4), "-", hex.substr(12, 4), "-",
                      hex.substr(16, 4), "-", hex.substr(20, 12));
}

std::string NewTimeOrderedUuid(absl::Time now) {
  std::string b = RandomBytes(16);
  const uint64_t ms = static_cast<uint64_t>(std::max<int64_t>(0, absl::ToUnixMillis(now)));
  for (int i = 0; i < 6; ++i) b[i] = static_cast<char>((ms >> (8 * (5 - i))) & 0xFF);
  b[6] = static_cast<char>((b[6] & 0x0F) | 0x70);
  b[8] = static_cast<char>((b[8] & 0x3F) | 0x80);
  return FormatUuid(b);
}

std::string NewUuid() {
  std::string b = RandomBytes(16);
  b[6] = static_cast<char>((b[6] & 0x0F) | 0x40);
  b[8] = static_cast<char>((b[8] & 0x3F) | 0x80);
  return FormatUuid(b);
}

}  // namespace freehold::accounts
