#include "coordinator/core/ids.h"

#include <cstdio>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/encoding.h"
#include "common/secure_compare.h"

namespace freehold::coordinator {
namespace {

std::string FormatUuid(absl::string_view hex32) {
  return absl::StrCat(hex32.substr(0, 8), "-", hex32.substr(8, 4), "-", hex32.substr(12, 4), "-",
                      hex32.substr(16, 4), "-", hex32.substr(20, 12));
}

std::string HexOfUuid(absl::string_view canonical) {
  std::string hex;
  hex.reserve(32);
  for (char c : canonical) {
    if (c != '-') hex.push_back(c);
  }
  return hex;
}

bool ParseSmallInt(absl::string_view text, int* out) {
  if (text.empty() || text.size() > 9) return false;
  if (text.size() > 1 && text[0] == '0') return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return absl::SimpleAtoi(text, out);
}

}  // namespace

std::string NewUuid() {
  std::string bytes = RandomBytes(16);
  bytes[6] = static_cast<char>((bytes[6] & 0x0f) | 0x40);
  bytes[8] = static_cast<char>((bytes[8] & 0x3f) | 0x80);
  return FormatUuid(HexEncode(bytes));
}

bool IsNodeId(absl::string_view id) {
  if (id.empty() || id.size() > kMaxNodeIdBytes) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

absl::Status CheckNodeId(absl::string_view id, absl::string_view field) {
  if (id.empty()) return absl::InvalidArgumentError(absl::StrCat(field, " is required"));
  if (!IsNodeId(id)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " must be 1..", kMaxNodeIdBytes, " characters of [A-Za-z0-9._-]"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> CanonicalUuid(absl::string_view text, absl::string_view field) {
  std::string hex;
  if (text.size() == 36) {
    for (size_t i = 0; i < text.size(); ++i) {
      const bool dash_pos = i == 8 || i == 13 || i == 18 || i == 23;
      if (dash_pos != (text[i] == '-')) {
        return absl::InvalidArgumentError(absl::StrCat(field, " is not a UUID"));
      }
      if (!dash_pos) hex.push_back(text[i]);
    }
  } else if (text.size() == 32) {
    hex = std::string(text);
  } else {
    return absl::InvalidArgumentError(text.empty() ? absl::StrCat(field, " is required")
                                                   : absl::StrCat(field, " is not a UUID"));
  }
  for (char& c : hex) {
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return absl::InvalidArgumentError(absl::StrCat(field, " is not a UUID"));
    }
  }
  return FormatUuid(hex);
}

std::array<uint8_t, 16> UuidBytes(absl::string_view canonical_uuid) {
  std::array<uint8_t, 16> out{};
  absl::StatusOr<std::string> raw = HexDecode(std::string(HexOfUuid(canonical_uuid)));
  if (raw.ok() && raw->size() == 16) {
    for (int i = 0; i < 16; ++i) out[i] = static_cast<uint8_t>((*raw)[i]);
  }
  return out;
}

std::string ShardKey(absl::string_view object_id, int segment, int index) {
  return absl::StrCat(HexOfUuid(object_id), "-", segment, "-", index);
}

absl::StatusOr<ParsedShardKey> ParseShardKey(absl::string_view key) {
  std::vector<absl::string_view> parts = absl::StrSplit(key, '-');
  ParsedShardKey out;
  if (parts.size() != 3 || parts[0].size() != 32 || !ParseSmallInt(parts[1], &out.segment) ||
      !ParseSmallInt(parts[2], &out.index)) {
    return absl::InvalidArgumentError("malformed shard key");
  }
  for (char c : parts[0]) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return absl::InvalidArgumentError("malformed shard key");
    }
  }
  out.object_id = FormatUuid(parts[0]);
  return out;
}

}  // namespace freehold::coordinator
