// Strict encodings used by the age format: base64 (standard alphabet, with or
// without padding, canonical only: non-zero trailing bits are rejected) and
// Bech32 (BIP 173 checksum, as age uses for keys; no 90-character limit).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace freehold::client::internal {

std::string Base64Encode(std::span<const uint8_t> data, bool pad);
// nullopt on any non-alphabet byte, wrong padding or non-canonical encoding.
// With pad=false, '=' is not allowed; with pad=true, length must be % 4 == 0.
std::optional<std::vector<uint8_t>> Base64Decode(std::string_view text, bool pad);
// Decodes into a caller buffer; returns the decoded length or nullopt.
// out must hold at least text.size() * 3 / 4 + 3 bytes.
std::optional<size_t> Base64DecodeInto(std::string_view text, bool pad, uint8_t* out);

// Bech32 with human-readable part `hrp` (case preserved as given; the data
// part is lower-case). Use upper=true for age secret keys.
std::string Bech32Encode(std::string_view hrp, std::span<const uint8_t> data, bool upper);
struct Bech32Decoded {
  std::string hrp;  // lower-case
  std::vector<uint8_t> data;
};
// Rejects mixed case, bad checksum, bad padding bits.
std::optional<Bech32Decoded> Bech32Decode(std::string_view text);

}  // namespace freehold::client::internal
