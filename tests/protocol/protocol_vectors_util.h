// Helpers of the protocol vector tests: reading docs/protocol-vectors.json and
// the small primitives the tests rebuild documented constructions from.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sodium.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "client/core/account_keys.h"
#include "client/core/age_file.h"
#include "client/core/age_header.h"
#include "client/core/age_recipients.h"
#include "client/core/age_stream.h"
#include "client/core/byte_io.h"
#include "client/core/keys.h"
#include "client/core/metadata.h"
#include "client/core/segmenter.h"
#include "common/encoding.h"
#include "common/erasure/erasure.h"
#include "common/shard_claims.h"
#include "common/signed_token.h"
#include "services/accounts/core/account_crypto.h"
#include "services/accounts/core/accounts_options.h"
#include "services/accounts/core/token_issuer.h"
#include "services/accounts/core/token_keyring.h"
#include "services/accounts/core/validation.h"
#include "tests/support/status_matchers.h"

namespace freehold::protocol_testing {

using Json = nlohmann::json;
using client::SecretBytes;
using client::X25519Identity;
using ::freehold::testing::StatusIs;

inline const Json& Vectors() {
  static const Json* doc = [] {
    const std::string path = std::string(FREEHOLD_SOURCE_DIR) + "/docs/protocol-vectors.json";
    std::ifstream in(path);
    if (!in) {
      ADD_FAILURE() << "cannot read " << path;
      return new Json(Json::object());
    }
    std::stringstream text;
    text << in.rdbuf();
    Json parsed = Json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
    if (parsed.is_discarded() || !parsed.is_object()) {
      ADD_FAILURE() << path << " is not a JSON object";
      return new Json(Json::object());
    }
    return new Json(std::move(parsed));
  }();
  return *doc;
}

// The vectors of one group; a missing or empty group fails the test.
inline const Json& Group(const char* name) {
  static const Json kEmpty = Json::array();
  const Json& doc = Vectors();
  if (!doc.contains(name) || !doc[name].is_array() || doc[name].empty()) {
    ADD_FAILURE() << "docs/protocol-vectors.json has no \"" << name << "\" vectors";
    return kEmpty;
  }
  return doc[name];
}

inline std::string S(const Json& v) { return v.get<std::string>(); }

inline std::string Unhex(const Json& v) {
  absl::StatusOr<std::string> b = HexDecode(S(v));
  EXPECT_TRUE(b.ok()) << "not hex: " << S(v);
  return b.ok() ? *b : std::string();
}

inline std::string Hex(std::string_view b) { return HexEncode(b); }
inline std::string Hex(std::span<const uint8_t> b) {
  return HexEncode(std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
}

inline std::span<const uint8_t> Bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
inline const unsigned char* U(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

inline std::array<uint8_t, 32> Array32(std::string_view s) {
  std::array<uint8_t, 32> a{};
  EXPECT_EQ(s.size(), 32u);
  std::memcpy(a.data(), s.data(), std::min<size_t>(32, s.size()));
  return a;
}

inline std::string Pattern(size_t n) {
  std::string out(n, '\0');
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<char>(i % 251);
  return out;
}

inline std::string Blake2b(size_t out_len, std::string_view in, std::string_view key) {
  std::string out(out_len, '\0');
  crypto_generichash(reinterpret_cast<unsigned char*>(out.data()), out_len, U(in), in.size(),
                     key.empty() ? nullptr : U(key), key.size());
  return out;
}

inline std::string Sha256(std::string_view in) {
  std::string out(crypto_hash_sha256_BYTES, '\0');
  crypto_hash_sha256(reinterpret_cast<unsigned char*>(out.data()), U(in), in.size());
  return out;
}

// HKDF-SHA256 (RFC 5869), one 32-byte output block.
inline std::string Hkdf32(std::string_view ikm, std::string_view salt, std::string_view info) {
  unsigned char prk[32], okm[32];
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, U(salt), salt.size());
  crypto_auth_hmacsha256_update(&st, U(ikm), ikm.size());
  crypto_auth_hmacsha256_final(&st, prk);
  crypto_auth_hmacsha256_init(&st, prk, sizeof prk);
  crypto_auth_hmacsha256_update(&st, U(info), info.size());
  const unsigned char one = 1;
  crypto_auth_hmacsha256_update(&st, &one, 1);
  crypto_auth_hmacsha256_final(&st, okm);
  return std::string(reinterpret_cast<const char*>(okm), 32);
}

// PROTOCOL.md "Signed tokens": the bytes an Ed25519 token signature covers.
inline std::string SignedMessage(std::string_view context, std::string_view key_id,
                                 std::string_view payload) {
  std::string m("freehold-token-v1");
  m.push_back('\0');
  m.append(context).push_back('\0');
  m.append(key_id).push_back('\0');
  m.append(payload);
  return m;
}

inline SigningKey KeyFromSeed(std::string_view seed, std::string key_id) {
  SigningKey key;
  EXPECT_EQ(seed.size(), 32u);
  crypto_sign_ed25519_seed_keypair(key.public_key.data(), key.secret.data(), U(seed));
  key.key_id = std::move(key_id);
  return key;
}

// Checks a compact token against the documented layout and returns its payload.
inline std::string CheckCompactToken(const Json& v, std::string_view context,
                                     std::string_view public_key) {
  const std::string token = S(v["token"]);
  const std::string payload = Unhex(v["claims_hex"]);
  const std::string signature = Unhex(v["signature_hex"]);
  const std::string key_id = S(v["key_id"]);
  EXPECT_EQ(token, Base64UrlEncode(payload) + "." + key_id + "." + Base64UrlEncode(signature));
  EXPECT_EQ(S(v["context"]), context);
  const std::string message = SignedMessage(context, key_id, payload);
  EXPECT_EQ(
      crypto_sign_ed25519_verify_detached(U(signature), U(message), message.size(), U(public_key)),
      0)
      << "the signature does not cover the documented message";
  return payload;
}

}  // namespace freehold::protocol_testing
