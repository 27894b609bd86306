#include "client/core/internal/encoding.h"

#include <array>

namespace freehold::client::internal {
namespace {

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<int8_t, 256> MakeB64Table() {
  std::array<int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (int i = 0; i < 64; ++i) t[static_cast<uint8_t>(kB64[i])] = static_cast<int8_t>(i);
  return t;
}
constexpr std::array<int8_t, 256> kB64Table = MakeB64Table();

constexpr char kBech32[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

uint32_t Bech32Polymod(const std::vector<uint8_t>& values) {
  static constexpr uint32_t kGen[5] = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3};
  uint32_t chk = 1;
  for (uint8_t v : values) {
    uint32_t top = chk >> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (int i = 0; i < 5; ++i) {
      if ((top >> i) & 1) chk ^= kGen[i];
    }
  }
  return chk;
}

std::vector<uint8_t> HrpExpand(std::string_view hrp) {
  std::vector<uint8_t> out;
  for (char c : hrp) out.push_back(static_cast<uint8_t>(c) >> 5);
  out.push_back(0);
  for (char c : hrp) out.push_back(static_cast<uint8_t>(c) & 31);
  return out;
}

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
char Upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

// Regroups bits; returns false on non-zero padding when !pad.
bool ConvertBits(std::span<const uint8_t> in, int from, int to, bool pad,
                 std::vector<uint8_t>* out) {
  uint32_t acc = 0;
  int bits = 0;
  const uint32_t maxv = (1u << to) - 1;
  for (uint8_t v : in) {
    if ((v >> from) != 0) return false;
    acc = (acc << from) | v;
    bits += from;
    while (bits >= to) {
      bits -= to;
      out->push_back(static_cast<uint8_t>((acc >> bits) & maxv));
    }
  }
  if (pad) {
    if (bits > 0) out->push_back(static_cast<uint8_t>((acc << (to - bits)) & maxv));
  } else if (bits >= from || ((acc << (to - bits)) & maxv) != 0) {
    return false;
  }
  return true;
}

}  // namespace

std::string Base64Encode(std::span<const uint8_t> data, bool pad) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    uint32_t v = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
    out += kB64[v >> 18];
    out += kB64[(v >> 12) & 63];
    out += kB64[(v >> 6) & 63];
    out += kB64[v & 63];
  }
  size_t rest = data.size() - i;
  if (rest == 1) {
    uint32_t v = data[i] << 16;
    out += kB64[v >> 18];
    out += kB64[(v >> 12) & 63];
    if (pad) out += "==";
  } else if (rest == 2) {
    uint32_t v = (data[i] << 16) | (data[i + 1] << 8);
    out += kB64[v >> 18];
    out += kB64[(v >> 12) & 63];
    out += kB64[(v >> 6) & 63];
    if (pad) out += "=";
  }
  return out;
}

std::optional<size_t> Base64DecodeInto(std::string_view text, bool pad, uint8_t* out) {
  size_t len = text.size();
  size_t padding = 0;
  if (pad) {
    if (len % 4 != 0) return std::nullopt;
    if (len >= 1 && text[len - 1] == '=') ++padding;
    if (len >= 2 && text[len - 2] == '=') ++padding;
    len -= padding;
  }
  if (len % 4 == 1) return std::nullopt;
  if (pad && padding != (4 - len % 4) % 4) return std::nullopt;
  size_t o = 0;
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < len; ++i) {
    int8_t v = kB64Table[static_cast<uint8_t>(text[i])];
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = static_cast<uint8_t>(acc >> bits);
    }
  }
  // Canonical: the leftover bits must be zero.
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return o;
}

std::optional<std::vector<uint8_t>> Base64Decode(std::string_view text, bool pad) {
  std::vector<uint8_t> out(text.size() * 3 / 4 + 3);
  std::optional<size_t> n = Base64DecodeInto(text, pad, out.data());
  if (!n) return std::nullopt;
  out.resize(*n);
  return out;
}

std::string Bech32Encode(std::string_view hrp, std::span<const uint8_t> data, bool upper) {
  std::string lower_hrp;
  for (char c : hrp) lower_hrp += Lower(c);
  std::vector<uint8_t> values;
  ConvertBits(data, 8, 5, true, &values);
  std::vector<uint8_t> chk_in = HrpExpand(lower_hrp);
  chk_in.insert(chk_in.end(), values.begin(), values.end());
  chk_in.insert(chk_in.end(), 6, 0);
  uint32_t mod = Bech32Polymod(chk_in) ^ 1;
  std::string out = lower_hrp + "1";
  for (uint8_t v : values) out += kBech32[v];
  for (int i = 0; i < 6; ++i) out += kBech32[(mod >> (5 * (5 - i))) & 31];
  if (upper) {
    for (char& c : out) c = Upper(c);
  }
  return out;
}

std::optional<Bech32Decoded> Bech32Decode(std::string_view text) {
  bool has_lower = false, has_upper = false;
  for (char c : text) {
    if (c < 33 || c > 126) return std::nullopt;
    if (c >= 'a' && c <= 'z') has_lower = true;
    if (c >= 'A' && c <= 'Z') has_upper = true;
  }
  if (has_lower && has_upper) return std::nullopt;
  size_t sep = text.rfind('1');
  if (sep == std::string_view::npos || sep < 1 || sep + 7 > text.size()) return std::nullopt;
  Bech32Decoded out;
  for (char c : text.substr(0, sep)) out.hrp += Lower(c);
  std::vector<uint8_t> values;
  for (char c : text.substr(sep + 1)) {
    const char* p = nullptr;
    for (const char* q = kBech32; *q; ++q) {
      if (*q == Lower(c)) p = q;
    }
    if (p == nullptr) return std::nullopt;
    values.push_back(static_cast<uint8_t>(p - kBech32));
  }
  std::vector<uint8_t> chk_in = HrpExpand(out.hrp);
  chk_in.insert(chk_in.end(), values.begin(), values.end());
  if (Bech32Polymod(chk_in) != 1) return std::nullopt;
  values.resize(values.size() - 6);
  if (!ConvertBits(values, 5, 8, false, &out.data)) return std::nullopt;
  return out;
}

}  // namespace freehold::client::internal
