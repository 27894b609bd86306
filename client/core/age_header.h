// The age v1 header (age-encryption.org/v1): recipient stanzas and the MAC,
// parsed and serialized on their own, separate from the payload. Freehold
// stores the header in the object manifest and the payload on storage nodes;
// header bytes followed by payload bytes are a valid age file.
//
// Contracts:
//  - Parsing is strict (canonical base64, LF line endings, 64-column body
//    lines, final short body line, visible-ASCII arguments), so a parsed
//    Header re-serializes to exactly the bytes it came from; the MAC is
//    computed over that serialization. Parse errors are INVALID_ARGUMENT with
//    a message starting "age header:".
//  - Headers are bounded (kMaxHeaderBytes) so a hostile input cannot exhaust
//    memory.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "client/core/byte_io.h"

namespace freehold::client {

inline constexpr std::string_view kAgeVersionLine = "age-encryption.org/v1";
inline constexpr size_t kMaxHeaderBytes = 4 << 20;

struct Stanza {
  std::string type;               // first argument, e.g. "X25519"
  std::vector<std::string> args;  // remaining arguments
  std::vector<uint8_t> body;
  bool operator==(const Stanza&) const = default;
};

struct AgeHeader {
  std::vector<Stanza> stanzas;
  std::array<uint8_t, 32> mac{};
  bool operator==(const AgeHeader&) const = default;
};

// The header text the MAC covers: version line, stanzas, and "---".
std::string SerializeHeaderForMac(const AgeHeader& header);
// The full header: SerializeHeaderForMac + " " + base64(mac) + "\n".
std::string SerializeHeader(const AgeHeader& header);

// Parses a header at the start of `data`; *consumed (if non-null) receives the
// header length in bytes (the payload starts there).
absl::StatusOr<AgeHeader> ParseHeader(std::string_view data, size_t* consumed = nullptr);
// Reads exactly the header from `in`, leaving `in` at the first payload byte.
absl::StatusOr<AgeHeader> ReadHeader(BufferedSource& in);

}  // namespace freehold::client
