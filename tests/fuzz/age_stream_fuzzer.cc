// libFuzzer target: the STREAM payload decryptor and range decryption.
// Two modes, chosen by the first byte:
//  - raw: the input is a payload under a fixed key, fed in pieces of varying
//    size; must never crash, and whatever it releases must be a whole number
//    of authenticated chunks (checked against a fresh decryption).
//  - structured: the input seeds a plaintext which is encrypted, then damaged
//    (truncated, bit-flipped, extended) as the input says; decryption must
//    either fail or give exactly the plaintext, and released bytes are always
//    a prefix of the plaintext. Range decryption of the intact payload must
//    match the plaintext.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "client/core/age_stream.h"
#include "client/core/byte_io.h"

using namespace freehold::client;

namespace {

SecretBytes FixedKey() {
  uint8_t k[16];
  for (int i = 0; i < 16; ++i) k[i] = static_cast<uint8_t>(0xA0 + i);
  return SecretBytes::CopyOf(std::span<const uint8_t>(k, 16));
}

absl::Status Decrypt(const SecretBytes& key, std::string_view payload, size_t piece,
                     std::string* out) {
  StringSink sink(out);
  auto dec = StreamDecryptor::Create(key, sink);
  if (!dec.ok()) std::abort();
  for (size_t pos = 0; pos < payload.size(); pos += piece) {
    if (absl::Status s = (*dec)->Write(AsBytes(payload.substr(pos, piece))); !s.ok()) return s;
  }
  return (*dec)->Close();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 4) return 0;
  const SecretBytes key = FixedKey();
  std::string_view in(reinterpret_cast<const char*>(data) + 4, size - 4);
  const size_t piece = 1 + (data[1] | (data[2] << 8)) * 4;
  if ((data[0] & 1) == 0) {
    std::string a, b;
    absl::Status sa = Decrypt(key, in, piece, &a);
    absl::Status sb = Decrypt(key, in, 1 << 20, &b);
    if (sa.ok() != sb.ok() || a != b) std::abort();
    return 0;
  }
  // Structured: plaintext of a chosen size (up to ~4 chunks) from the input.
  const size_t plain_len = std::min<size_t>(
      (data[1] | (data[2] << 8) | (size_t{data[3]} << 16)) % (4 * 65536 + 100), 4 * 65536 + 100);
  std::string plain;
  plain.reserve(plain_len + in.size());
  plain.append(in.empty() ? std::string_view("x") : in);
  while (plain.size() < plain_len) {  // doubling; no reallocation (reserved above)
    plain.append(plain.data(), std::min(plain.size(), plain_len - plain.size()));
  }
  plain.resize(plain_len);
  // Byte-at-a-time writes only for small payloads (keeps executions fast).
  const size_t dpiece = plain_len > 4096 ? std::max<size_t>(piece, 4096) : piece;
  std::string payload;
  {
    StringSink sink(&payload);
    PayloadNonce nonce{};
    auto enc = StreamEncryptor::Create(key, sink, freehold::bulk::kDefaultBackend, nonce);
    if (!enc.ok() || !(*enc)->Write(AsBytes(plain)).ok() || !(*enc)->Close().ok()) std::abort();
  }
  if (payload.size() != PayloadSizeForPlaintext(plain_len)) std::abort();
  // Range decryption of the intact payload.
  if (plain_len > 0) {
    const uint64_t off = (in.size() > 0 ? static_cast<uint8_t>(in[0]) * 1031u : 0) % plain_len;
    const uint64_t len = std::min<uint64_t>(plain_len - off, piece * 37);
    SpanRandomAccess ra(AsBytes(payload));
    std::string range;
    StringSink rs(&range);
    if (!DecryptPayloadRange(key, ra, off, len, rs).ok()) std::abort();
    if (range != plain.substr(off, len)) std::abort();
  }
  // Damage as the input says: pairs of (op, position).
  std::string damaged = payload;
  for (size_t i = 0; i + 3 <= in.size() && i < 24; i += 3) {
    const size_t pos = (static_cast<uint8_t>(in[i + 1]) | (static_cast<uint8_t>(in[i + 2]) << 8)) *
                       17 % (damaged.size() + 1);
    switch (in[i] % 4) {
      case 0:
        if (pos < damaged.size())
          damaged[pos] ^= static_cast<char>(1 << (static_cast<uint8_t>(in[i + 2]) % 8));
        break;
      case 1:
        damaged.resize(pos);
        break;
      case 2:
        damaged.insert(pos, 1, in[i + 1]);
        break;
      default:
        break;
    }
  }
  std::string out;
  absl::Status s = Decrypt(key, damaged, dpiece, &out);
  if (out != plain.substr(0, out.size())) std::abort();  // only authenticated prefixes
  if (s.ok() && out != plain) std::abort();
  if (s.ok() && damaged != payload) std::abort();  // any change must be detected
  return 0;
}
