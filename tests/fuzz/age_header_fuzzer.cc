// libFuzzer target: the age header parser (string and streaming forms), the
// ASCII armor decoder, and stanza unwrapping with a fixed X25519 identity.
// Invariants checked (abort on violation):
//  - ParseHeader and ReadHeader agree;
//  - a parsed header re-serializes to exactly the bytes it was parsed from;
//  - UnwrapFileKey never crashes and never returns OK for a header whose MAC
//    was not made with the unwrapped key (checked by recomputing).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "client/core/age_armor.h"
#include "client/core/age_file.h"
#include "client/core/age_header.h"
#include "client/core/byte_io.h"

using namespace freehold::client;

namespace {

const X25519AgeIdentity& FixedIdentity() {
  // Scalar 1..32: deterministic, so crashes reproduce.
  static const X25519AgeIdentity* id = [] {
    uint8_t secret[32];
    for (int i = 0; i < 32; ++i) secret[i] = static_cast<uint8_t>(i + 1);
    return new X25519AgeIdentity(*X25519Identity::FromSecret(secret));
  }();
  return *id;
}

void CheckHeader(std::string_view data) {
  size_t consumed = 0;
  absl::StatusOr<AgeHeader> h = ParseHeader(data, &consumed);
  SpanSource src(data);
  BufferedSource buffered(src, 64);
  absl::StatusOr<AgeHeader> h2 = ReadHeader(buffered);
  if (h.ok() != h2.ok()) std::abort();
  if (!h.ok()) return;
  if (!(*h == *h2)) std::abort();
  if (SerializeHeader(*h) != data.substr(0, consumed)) std::abort();
  const AgeIdentity* ids[] = {&FixedIdentity()};
  absl::StatusOr<SecretBytes> key = UnwrapFileKey(*h, ids);
  if (key.ok() && ComputeHeaderMac(*key, *h) != h->mac) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  CheckHeader(in);
  // The same bytes through the armor decoder.
  SpanSource raw(in);
  BufferedSource buffered(raw, 64);
  ArmorReader armor(buffered);
  std::string decoded;
  StringSink sink(&decoded);
  absl::StatusOr<uint64_t> n = Pump(armor, sink, 100);
  if (n.ok()) {
    if (!armor.status().ok()) std::abort();
    // Re-armoring and decoding gives the same bytes.
    std::string rearmored;
    StringSink rs(&rearmored);
    ArmorWriter w(rs);
    if (!w.Write(AsBytes(decoded)).ok() || !w.Close().ok()) std::abort();
    SpanSource again(rearmored);
    BufferedSource b2(again);
    ArmorReader r2(b2);
    std::string decoded2;
    StringSink s2(&decoded2);
    if (!Pump(r2, s2).ok() || decoded2 != decoded) std::abort();
    CheckHeader(decoded);
  }
  return 0;
}
