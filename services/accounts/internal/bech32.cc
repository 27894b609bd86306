#include "services/accounts/internal/bech32.h"

#include <cstdint>
#include <vector>

#include "absl/strings/ascii.h"
#include "services/accounts/internal/absl_view.h"

namespace freehold::accounts::internal {
namespace {

constexpr char kCharset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

uint32_t PolyMod(const std::vector<uint8_t>& values) {
  static constexpr uint32_t kGen[5] = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3};
  uint32_t chk = 1;
  for (uint8_t v : values) {
    const uint8_t top = chk >> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (int i = 0; i < 5; ++i) {
      if ((top >> i) & 1) chk ^= kGen[i];
    }
  }
  return chk;
}

std::vector<uint8_t> HrpExpand(std::string_view hrp) {
  std::vector<uint8_t> out;
  out.reserve(hrp.size() * 2 + 1);
  for (char c : hrp) out.push_back(static_cast<uint8_t>(c) >> 5);
  out.push_back(0);
  for (char c : hrp) out.push_back(static_cast<uint8_t>(c) & 31);
  return out;
}

// Regroups bits; `pad` adds zero bits at the end (encoding), otherwise leftover bits
// must be fewer than `from` and zero (decoding).
bool ConvertBits(const std::vector<uint8_t>& in, int from, int to, bool pad,
                 std::vector<uint8_t>* out) {
  uint32_t acc = 0;
  int bits = 0;
  const uint32_t maxv = (1u << to) - 1;
  for (uint8_t value : in) {
    if ((value >> from) != 0) return false;
    acc = (acc << from) | value;
    bits += from;
    while (bits >= to) {
      bits -= to;
      out->push_back((acc >> bits) & maxv);
    }
  }
  if (pad) {
    if (bits > 0) out->push_back((acc << (to - bits)) & maxv);
  } else if (bits >= from || ((acc << (to - bits)) & maxv) != 0) {
    return false;
  }
  return true;
}

}  // namespace

std::string Bech32Encode(std::string_view hrp, std::string_view data) {
  std::vector<uint8_t> bytes(data.begin(), data.end());
  std::vector<uint8_t> values;
  ConvertBits(bytes, 8, 5, /*pad=*/true, &values);
  std::vector<uint8_t> check = HrpExpand(hrp);
  check.insert(check.end(), values.begin(), values.end());
  check.insert(check.end(), 6, 0);
  const uint32_t mod = PolyMod(check) ^ 1;
  std::string out(hrp);
  out.push_back('1');
  for (uint8_t v : values) out.push_back(kCharset[v]);
  for (int i = 0; i < 6; ++i) out.push_back(kCharset[(mod >> (5 * (5 - i))) & 31]);
  return out;
}

absl::StatusOr<Bech32Data> Bech32Decode(std::string_view text) {
  bool lower = false, upper = false;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 33 || u > 126) return absl::InvalidArgumentError("invalid bech32 character");
    if (c >= 'a' && c <= 'z') lower = true;
    if (c >= 'A' && c <= 'Z') upper = true;
  }
  if (lower && upper) return absl::InvalidArgumentError("mixed-case bech32");
  const std::string s = absl::AsciiStrToLower(AV(text));
  const size_t sep = s.rfind('1');
  if (sep == std::string::npos || sep == 0 || sep + 7 > s.size()) {
    return absl::InvalidArgumentError("malformed bech32 (separator or checksum missing)");
  }
  std::vector<uint8_t> values;
  values.reserve(s.size() - sep - 1);
  for (size_t i = sep + 1; i < s.size(); ++i) {
    const char* pos = nullptr;
    for (const char* p = kCharset; *p; ++p) {
      if (*p == s[i]) {
        pos = p;
        break;
      }
    }
    if (pos == nullptr) return absl::InvalidArgumentError("invalid bech32 character");
    values.push_back(static_cast<uint8_t>(pos - kCharset));
  }
  Bech32Data out;
  out.hrp = s.substr(0, sep);
  std::vector<uint8_t> check = HrpExpand(out.hrp);
  check.insert(check.end(), values.begin(), values.end());
  if (PolyMod(check) != 1) return absl::InvalidArgumentError("bad bech32 checksum");
  values.resize(values.size() - 6);
  std::vector<uint8_t> bytes;
  if (!ConvertBits(values, 5, 8, /*pad=*/false, &bytes)) {
    return absl::InvalidArgumentError("bad bech32 padding");
  }
  out.data.assign(bytes.begin(), bytes.end());
  return out;
}

}  // namespace freehold::accounts::internal
