// Checks docs/protocol-vectors.json against the code, so docs/PROTOCOL.md and
// its vectors cannot drift from what Freehold does. Each test takes one group
// of the file and (1) recomputes it with the project's functions and (2) where
// PROTOCOL.md spells out a construction, rebuilds it from libsodium primitives
// the way a client in another language would, and compares both to the file.
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

namespace freehold {
namespace {

using Json = nlohmann::json;
using client::SecretBytes;
using client::X25519Identity;
using ::freehold::testing::StatusIs;

// ---------------------------------------------------------------- helpers

const Json& Vectors() {
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
const Json& Group(const char* name) {
  static const Json kEmpty = Json::array();
  const Json& doc = Vectors();
  if (!doc.contains(name) || !doc[name].is_array() || doc[name].empty()) {
    ADD_FAILURE() << "docs/protocol-vectors.json has no \"" << name << "\" vectors";
    return kEmpty;
  }
  return doc[name];
}

std::string S(const Json& v) { return v.get<std::string>(); }

std::string Unhex(const Json& v) {
  absl::StatusOr<std::string> b = HexDecode(S(v));
  EXPECT_TRUE(b.ok()) << "not hex: " << S(v);
  return b.ok() ? *b : std::string();
}

std::string Hex(std::string_view b) { return HexEncode(b); }
std::string Hex(std::span<const uint8_t> b) {
  return HexEncode(std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
}

std::span<const uint8_t> Bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
const unsigned char* U(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

std::array<uint8_t, 32> Array32(std::string_view s) {
  std::array<uint8_t, 32> a{};
  EXPECT_EQ(s.size(), 32u);
  std::memcpy(a.data(), s.data(), std::min<size_t>(32, s.size()));
  return a;
}

std::string Pattern(size_t n) {
  std::string out(n, '\0');
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<char>(i % 251);
  return out;
}

std::string Blake2b(size_t out_len, std::string_view in, std::string_view key) {
  std::string out(out_len, '\0');
  crypto_generichash(reinterpret_cast<unsigned char*>(out.data()), out_len, U(in), in.size(),
                     key.empty() ? nullptr : U(key), key.size());
  return out;
}

std::string Sha256(std::string_view in) {
  std::string out(crypto_hash_sha256_BYTES, '\0');
  crypto_hash_sha256(reinterpret_cast<unsigned char*>(out.data()), U(in), in.size());
  return out;
}

// HKDF-SHA256 (RFC 5869), one 32-byte output block.
std::string Hkdf32(std::string_view ikm, std::string_view salt, std::string_view info) {
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
std::string SignedMessage(std::string_view context, std::string_view key_id,
                          std::string_view payload) {
  std::string m("freehold-token-v1");
  m.push_back('\0');
  m.append(context).push_back('\0');
  m.append(key_id).push_back('\0');
  m.append(payload);
  return m;
}

SigningKey KeyFromSeed(std::string_view seed, std::string key_id) {
  SigningKey key;
  EXPECT_EQ(seed.size(), 32u);
  crypto_sign_ed25519_seed_keypair(key.public_key.data(), key.secret.data(), U(seed));
  key.key_id = std::move(key_id);
  return key;
}

// Checks a compact token against the documented layout and returns its payload.
std::string CheckCompactToken(const Json& v, std::string_view context,
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

// ---------------------------------------------------------------- accounts

TEST(ProtocolVectorsTest, Argon2idSplitsItsOutputIntoKekAndAuthKey) {
  for (const Json& v : Group("argon2id")) {
    SCOPED_TRACE(S(v["note"]));
    const std::string password = Unhex(v["password_utf8_hex"]);
    const std::string salt = Unhex(v["salt_hex"]);
    EXPECT_EQ(S(v["algorithm"]), accounts::kKdfAlgorithm);
    const client::PwhashParams params{v["ops_limit"].get<uint64_t>(),
                                      v["mem_limit_bytes"].get<uint64_t>()};
    ASSERT_OK_AND_ASSIGN(client::DerivedKeys keys,
                         client::DeriveKeys(password, Bytes(salt), params));
    EXPECT_EQ(Hex(keys.kek.span()), S(v["kek_hex"]));
    EXPECT_EQ(Hex(keys.auth_key.span()), S(v["auth_key_hex"]));

    // Documented: 64 bytes of crypto_pwhash (Argon2id v1.3), kek first.
    std::string out(64, '\0');
    ASSERT_EQ(crypto_pwhash(reinterpret_cast<unsigned char*>(out.data()), out.size(),
                            password.data(), password.size(), U(salt), params.opslimit,
                            static_cast<size_t>(params.memlimit), crypto_pwhash_ALG_ARGON2ID13),
              0);
    EXPECT_EQ(Hex(out), S(v["kek_hex"]) + S(v["auth_key_hex"]));
  }
}

TEST(ProtocolVectorsTest, DefaultKdfVectorUsesWhatPreLoginAdvertises) {
  const accounts::AccountsOptions defaults;
  bool found = false;
  for (const Json& v : Group("argon2id")) {
    found |= v["ops_limit"].get<uint64_t>() == defaults.default_kdf.ops_limit &&
             v["mem_limit_bytes"].get<uint64_t>() == defaults.default_kdf.mem_limit_bytes;
  }
  EXPECT_TRUE(found) << "no argon2id vector uses the accounts service's default parameters";
  EXPECT_EQ(defaults.default_kdf.algorithm, "argon2id13");
}

TEST(ProtocolVectorsTest, IdentityEncodesAsAgeSecretKeyAndRecipient) {
  for (const Json& v : Group("identity")) {
    SCOPED_TRACE(S(v["note"]));
    const std::string secret = Unhex(v["secret_hex"]);
    ASSERT_OK_AND_ASSIGN(X25519Identity id, X25519Identity::FromSecret(Bytes(secret)));
    EXPECT_EQ(id.Encode().view(), S(v["secret_key"]));
    EXPECT_EQ(id.Recipient(), S(v["recipient"]));
    EXPECT_EQ(Hex(id.public_key().bytes), S(v["public_hex"]));
    unsigned char pub[32];
    ASSERT_EQ(crypto_scalarmult_base(pub, U(secret)), 0);
    EXPECT_EQ(Hex(std::string_view(reinterpret_cast<const char*>(pub), 32)), S(v["public_hex"]));

    ASSERT_OK_AND_ASSIGN(X25519Identity parsed, client::ParseIdentity(S(v["secret_key"])));
    EXPECT_EQ(Hex(parsed.secret()), S(v["secret_hex"]));
    ASSERT_OK_AND_ASSIGN(client::X25519PublicKey recipient,
                         client::ParseRecipient(S(v["recipient"])));
    EXPECT_EQ(Hex(recipient.bytes), S(v["public_hex"]));
    ASSERT_OK_AND_ASSIGN(auto server_view, accounts::ParseAgeRecipient(S(v["recipient"])));
    EXPECT_EQ(Hex(server_view), S(v["public_hex"]));
  }
}

TEST(ProtocolVectorsTest, WrappedIdentityIsNonceThenXChaCha20Poly1305) {
  for (const Json& v : Group("wrapped_identity")) {
    SCOPED_TRACE(S(v["note"]));
    const std::string kek = Unhex(v["kek_hex"]);
    const std::string wrapped = Unhex(v["wrapped_hex"]);
    const std::string nonce = Unhex(v["nonce_hex"]);
    const std::string aad = S(v["aad"]);
    ASSERT_EQ(wrapped.size(), client::kWrappedIdentityBytes);
    EXPECT_EQ(wrapped.substr(0, 24), nonce);

    ASSERT_OK_AND_ASSIGN(X25519Identity id,
                         client::UnwrapIdentity(SecretBytes::CopyOf(kek), Bytes(wrapped)));
    EXPECT_EQ(Hex(id.secret()), S(v["secret_hex"]));

    // Documented: nonce (24) || XChaCha20-Poly1305(kek, secret, aad).
    const std::string secret = Unhex(v["secret_hex"]);
    std::string sealed(secret.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES, '\0');
    unsigned long long n = 0;
    crypto_aead_xchacha20poly1305_ietf_encrypt(reinterpret_cast<unsigned char*>(sealed.data()), &n,
                                               U(secret), secret.size(), U(aad), aad.size(),
                                               nullptr, U(nonce), U(kek));
    EXPECT_EQ(Hex(nonce + sealed), S(v["wrapped_hex"]));

    // A fresh wrapping by the client code has the same layout (its nonce is new).
    ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> fresh,
                         client::WrapIdentity(SecretBytes::CopyOf(kek), id));
    ASSERT_EQ(fresh.size(), client::kWrappedIdentityBytes);
    const std::string fresh_nonce(fresh.begin(), fresh.begin() + 24);
    crypto_aead_xchacha20poly1305_ietf_encrypt(reinterpret_cast<unsigned char*>(sealed.data()), &n,
                                               U(secret), secret.size(), U(aad), aad.size(),
                                               nullptr, U(fresh_nonce), U(kek));
    EXPECT_EQ(Hex(fresh), Hex(fresh_nonce + sealed));

    std::string wrong = kek;
    wrong[0] ^= 1;
    EXPECT_THAT(client::UnwrapIdentity(SecretBytes::CopyOf(wrong), Bytes(wrapped)),
                StatusIs(absl::StatusCode::kPermissionDenied));
  }
}

TEST(ProtocolVectorsTest, VerifierIsBlake2bKeyedWithThePepper) {
  for (const Json& v : Group("verifier")) {
    SCOPED_TRACE(S(v["note"]));
    ASSERT_OK_AND_ASSIGN(accounts::Pepper pepper,
                         accounts::Pepper::FromSecret(S(v["pepper_secret"])));
    const std::string auth_key = Unhex(v["auth_key_hex"]);
    EXPECT_EQ(Hex(pepper.Verifier(auth_key)), S(v["verifier_hex"]));
    const std::string pepper_key = Blake2b(32, S(v["pepper_secret"]), "");
    EXPECT_EQ(Hex(pepper_key), S(v["pepper_key_hex"]));
    EXPECT_EQ(Hex(Blake2b(32, auth_key, pepper_key)), S(v["verifier_hex"]));
  }
}

TEST(ProtocolVectorsTest, FakeSaltIsBlake2b128OfTheNormalizedHandle) {
  for (const Json& v : Group("fake_salt")) {
    SCOPED_TRACE(S(v["handle"]));
    ASSERT_OK_AND_ASSIGN(std::string normalized, accounts::NormalizeHandle(S(v["handle"])));
    EXPECT_EQ(normalized, S(v["normalized_handle"]));
    ASSERT_OK_AND_ASSIGN(accounts::Pepper pepper,
                         accounts::Pepper::FromSecret(S(v["pepper_secret"])));
    EXPECT_EQ(Hex(pepper.FakeSalt(normalized)), S(v["fake_salt_hex"]));
    EXPECT_EQ(Hex(Blake2b(16, normalized, Blake2b(32, S(v["pepper_secret"]), ""))),
              S(v["fake_salt_hex"]));
  }
}

TEST(ProtocolVectorsTest, RecoveryProofIsTheSameOnClientAndServer) {
  for (const Json& v : Group("recovery_proof")) {
    SCOPED_TRACE(S(v["note"]));
    const std::string challenge = Unhex(v["challenge_hex"]);
    // Server: the ephemeral key comes from the pepper and the challenge.
    ASSERT_OK_AND_ASSIGN(accounts::Pepper pepper,
                         accounts::Pepper::FromSecret(S(v["pepper_secret"])));
    const std::array<uint8_t, 32> eph = pepper.RecoveryEphemeralSecret(challenge);
    EXPECT_EQ(Hex(eph), S(v["ephemeral_secret_hex"]));
    EXPECT_EQ(accounts::FormatAgeRecipient(accounts::X25519Public(eph)), S(v["ephemeral_public"]));

    // Client: X25519(identity, ephemeral public), then keyed BLAKE2b of the challenge.
    ASSERT_OK_AND_ASSIGN(client::X25519PublicKey eph_pub,
                         client::ParseRecipient(S(v["ephemeral_public"])));
    const std::array<uint8_t, 32> identity = Array32(Unhex(v["identity_secret_hex"]));
    ASSERT_OK_AND_ASSIGN(std::string proof,
                         accounts::RecoveryProof(identity, eph_pub.bytes, challenge));
    EXPECT_EQ(Hex(proof), S(v["proof_hex"]));
    unsigned char shared[32];
    ASSERT_EQ(crypto_scalarmult(shared, identity.data(), eph_pub.bytes.data()), 0);
    const std::string shared_s(reinterpret_cast<const char*>(shared), 32);
    EXPECT_EQ(Hex(shared_s), S(v["shared_secret_hex"]));
    EXPECT_EQ(Hex(Blake2b(32, challenge, shared_s)), S(v["proof_hex"]));

    // Server side of the same proof.
    ASSERT_OK_AND_ASSIGN(auto account_key, accounts::ParseAgeRecipient(S(v["account_public_key"])));
    ASSERT_OK_AND_ASSIGN(std::string expected,
                         accounts::RecoveryProof(eph, account_key, challenge));
    EXPECT_EQ(Hex(expected), S(v["proof_hex"]));
  }
}

TEST(ProtocolVectorsTest, RefreshTokenIsSessionIdThenSecretInBase64Url) {
  for (const Json& v : Group("refresh_token")) {
    const std::string token = S(v["refresh_token"]);
    ASSERT_OK_AND_ASSIGN(accounts::DecodedRefreshToken decoded,
                         accounts::TokenIssuer::DecodeRefreshToken(token));
    EXPECT_EQ(decoded.session_id, S(v["session_id"]));
    ASSERT_EQ(decoded.raw.size(), accounts::kRefreshTokenBytes);
    EXPECT_EQ(Hex(decoded.raw.substr(16)), S(v["secret_hex"]));
    EXPECT_EQ(accounts::FormatUuid(decoded.raw.substr(0, 16)), S(v["session_id"]));
    EXPECT_EQ(Base64UrlEncode(decoded.raw), token);
    EXPECT_EQ(Hex(accounts::HashRefreshToken(decoded.raw)), S(v["stored_hash_hex"]));
    EXPECT_EQ(Hex(Blake2b(32, decoded.raw, "")), S(v["stored_hash_hex"]));
  }
  // A token the service mints today has the same shape.
  const SigningKey key = KeyFromSeed(std::string(32, '\x01'), "k1");
  TokenSigner signer(key);
  TokenVerifier verifier({key.Public()});
  accounts::AccountsOptions options;
  accounts::TokenIssuer issuer(signer, verifier, options);
  const std::string session = S(Group("refresh_token")[0]["session_id"]);
  const absl::Time now = absl::FromUnixSeconds(1768471200);
  accounts::IssuedTokens fresh = issuer.NewRefreshToken(session, now);
  ASSERT_OK_AND_ASSIGN(accounts::DecodedRefreshToken decoded,
                       accounts::TokenIssuer::DecodeRefreshToken(fresh.tokens.refresh_token));
  EXPECT_EQ(decoded.session_id, session);
  EXPECT_EQ(fresh.refresh_hash, accounts::HashRefreshToken(decoded.raw));
  EXPECT_EQ(fresh.tokens.refresh_expires_at, now + absl::Hours(24 * 30));
}

TEST(ProtocolVectorsTest, AccessTokenSignsTheCanonicalClaims) {
  for (const Json& v : Group("access_token")) {
    SCOPED_TRACE(S(v["note"]));
    const SigningKey key = KeyFromSeed(Unhex(v["ed25519_seed_hex"]), S(v["key_id"]));
    EXPECT_EQ(Hex(key.public_key), S(v["public_key_hex"]));
    EXPECT_EQ(accounts::FormatVerificationKeys({key.Public()}), S(v["verification_key_line"]));

    const Json& c = v["claims"];
    TokenClaims claims;
    claims.audience = S(c["audience"]);
    claims.subject = S(c["subject"]);
    claims.token_id = S(c["token_id"]);
    claims.issued_at = absl::FromUnixMicros(c["issued_at_unix_micros"].get<int64_t>());
    claims.expires_at = absl::FromUnixMicros(c["expires_at_unix_micros"].get<int64_t>());
    for (const Json& s : c["scopes"]) claims.scopes.push_back(S(s));
    claims.extra = S(c["extra"]);
    EXPECT_EQ(Hex(EncodeClaims(claims)), S(v["claims_hex"]));
    TokenSigner signer(key);
    EXPECT_EQ(SignClaims(signer, claims), S(v["token"]));
    EXPECT_EQ(Hex(SignedMessage(kClaimsContext, key.key_id, EncodeClaims(claims))),
              S(v["signed_message_hex"]));
    const std::string payload = CheckCompactToken(v, kClaimsContext, Unhex(v["public_key_hex"]));
    ASSERT_OK_AND_ASSIGN(TokenClaims decoded, DecodeClaims(payload));
    EXPECT_EQ(decoded, claims);

    // The accounts service accepts it while it is valid, as the session's token.
    TokenVerifier verifier({key.Public()});
    accounts::AccountsOptions options;
    accounts::TokenIssuer issuer(signer, verifier, options);
    ASSERT_OK_AND_ASSIGN(accounts::AuthContext auth,
                         issuer.VerifyAccessToken(S(v["token"]), claims.issued_at));
    EXPECT_EQ(auth.account_id, claims.subject);
    EXPECT_EQ(auth.session_id, claims.extra);
    EXPECT_EQ(auth.token_id, claims.token_id);
    // Documented skew: 30 s past expires_at it still verifies, 31 s past it does not.
    EXPECT_OK(VerifyClaims(verifier, S(v["token"]), claims.audience,
                           claims.expires_at + absl::Seconds(30)));
    EXPECT_THAT(VerifyClaims(verifier, S(v["token"]), claims.audience,
                             claims.expires_at + absl::Seconds(31)),
                StatusIs(absl::StatusCode::kUnauthenticated));
    // Another context (a grant) never verifies as claims.
    EXPECT_THAT(verifier.Verify(S(v["token"]), kGrantContext),
                StatusIs(absl::StatusCode::kUnauthenticated));

    // What the service issues today has this vector's audience, scopes and lifetime.
    auto [fresh, expires] = issuer.IssueAccessToken(claims.subject, claims.extra, claims.issued_at);
    EXPECT_EQ(expires, claims.expires_at);
    ASSERT_OK_AND_ASSIGN(std::string fresh_payload, verifier.Verify(fresh, kClaimsContext));
    ASSERT_OK_AND_ASSIGN(TokenClaims issued, DecodeClaims(fresh_payload));
    EXPECT_EQ(issued.audience, claims.audience);
    EXPECT_EQ(issued.scopes, claims.scopes);
    EXPECT_EQ(issued.token_id.size(), claims.token_id.size());
    claims.token_id = issued.token_id;
    EXPECT_EQ(issued, claims);
  }
}

// ---------------------------------------------------------------- storage

TEST(ProtocolVectorsTest, GrantClaimsAreDeterministicProtobufSignedByTheCoordinator) {
  for (const Json& v : Group("grant")) {
    SCOPED_TRACE(S(v["note"]));
    const SigningKey key = KeyFromSeed(Unhex(v["coordinator_ed25519_seed_hex"]), S(v["key_id"]));
    EXPECT_EQ(Hex(key.public_key), S(v["public_key_hex"]));
    const Json& c = v["claims"];
    ShardGrant g;
    g.operation = static_cast<GrantOperation>(c["operation"].get<int>());
    g.shard_key = S(c["shard_key"]);
    g.node_id = S(c["node_id"]);
    g.size_bytes = c["size_bytes"].get<uint64_t>();
    g.sha256 = Unhex(c["sha256_hex"]);
    g.expires_at = absl::FromUnixSeconds(c["expires_unix_seconds"].get<int64_t>());
    g.object_id = S(c["object_id"]);
    g.segment = c["segment"].get<uint32_t>();
    g.shard_index = c["shard_index"].get<uint32_t>();
    EXPECT_EQ(Hex(EncodeGrant(g)), S(v["claims_hex"]));
    EXPECT_EQ(TokenSigner(key).Sign(EncodeGrant(g), kGrantContext), S(v["token"]));
    const std::string payload = CheckCompactToken(v, kGrantContext, Unhex(v["public_key_hex"]));
    ASSERT_OK_AND_ASSIGN(ShardGrant decoded, DecodeGrant(payload));
    EXPECT_EQ(decoded.operation, g.operation);
    EXPECT_EQ(decoded.shard_key, g.shard_key);
    EXPECT_EQ(decoded.sha256, g.sha256);
    EXPECT_EQ(decoded.expires_at, g.expires_at);
    EXPECT_EQ(decoded.segment, g.segment);
    EXPECT_EQ(decoded.shard_index, g.shard_index);

    // Documented shard key: object id without dashes, segment, index.
    std::string hex = g.object_id;
    hex.erase(std::remove(hex.begin(), hex.end(), '-'), hex.end());
    EXPECT_EQ(g.shard_key,
              hex + "-" + std::to_string(g.segment) + "-" + std::to_string(g.shard_index));
  }
}

TEST(ProtocolVectorsTest, ReceiptIsSignedByTheNodeKeyForTheGrantedShard) {
  for (const Json& v : Group("receipt")) {
    SCOPED_TRACE(S(v["note"]));
    const SigningKey key = KeyFromSeed(Unhex(v["node_ed25519_seed_hex"]), S(v["key_id"]));
    EXPECT_EQ(Hex(key.public_key), S(v["node_public_key_hex"]));
    const Json& c = v["claims"];
    EXPECT_EQ(S(v["key_id"]), S(c["node_id"])) << "nodes sign with key id = node id";
    ShardReceipt r;
    r.node_id = S(c["node_id"]);
    r.shard_key = S(c["shard_key"]);
    r.size_bytes = c["size_bytes"].get<uint64_t>();
    r.sha256 = Unhex(c["sha256_hex"]);
    r.stored_at = absl::FromUnixSeconds(c["stored_unix_seconds"].get<int64_t>());
    EXPECT_EQ(Hex(EncodeReceipt(r)), S(v["claims_hex"]));
    EXPECT_EQ(TokenSigner(key).Sign(EncodeReceipt(r), kReceiptContext), S(v["token"]));
    const std::string payload =
        CheckCompactToken(v, kReceiptContext, Unhex(v["node_public_key_hex"]));
    ASSERT_OK_AND_ASSIGN(ShardReceipt decoded, DecodeReceipt(payload));
    EXPECT_EQ(decoded.shard_key, r.shard_key);
    EXPECT_EQ(decoded.sha256, r.sha256);
    EXPECT_EQ(decoded.stored_at, r.stored_at);
  }
  // The receipt answers the PUT grant: same shard, size and hash.
  const Json& put = Group("grant")[0]["claims"];
  const Json& receipt = Group("receipt")[0]["claims"];
  EXPECT_EQ(put["operation"].get<int>(), static_cast<int>(GrantOperation::kPut));
  EXPECT_EQ(put["shard_key"], receipt["shard_key"]);
  EXPECT_EQ(put["node_id"], receipt["node_id"]);
  EXPECT_EQ(put["size_bytes"], receipt["size_bytes"]);
  EXPECT_EQ(put["sha256_hex"], receipt["sha256_hex"]);
}

// GF(2^8) with the polynomial x^8 + x^4 + x^3 + x^2 + 1 (0x11d), as PROTOCOL.md
// describes the erasure code.
uint8_t GfMul(uint8_t a, uint8_t b) {
  uint8_t p = 0;
  while (b != 0) {
    if (b & 1) p ^= a;
    const bool carry = a & 0x80;
    a = static_cast<uint8_t>(a << 1);
    if (carry) a ^= 0x1d;
    b >>= 1;
  }
  return p;
}
uint8_t GfInv(uint8_t a) {
  for (int b = 1; b < 256; ++b) {
    if (GfMul(a, static_cast<uint8_t>(b)) == 1) return static_cast<uint8_t>(b);
  }
  return 0;
}

TEST(ProtocolVectorsTest, ReedSolomonShardsAreTheCauchyCodeOfTheSegment) {
  for (const Json& v : Group("erasure")) {
    SCOPED_TRACE(S(v["note"]));
    const int k = v["data_shards"].get<int>(), m = v["parity_shards"].get<int>();
    const std::string segment = Unhex(v["segment_hex"]);
    const size_t shard_size = v["shard_size_bytes"].get<size_t>();
    EXPECT_EQ(erasure::ReedSolomon::ShardSize(segment.size(), k), shard_size);
    ASSERT_OK_AND_ASSIGN(erasure::ReedSolomon rs, erasure::ReedSolomon::Create(k, m));
    ASSERT_OK_AND_ASSIGN(erasure::EncodedSegment enc, erasure::EncodeSegment(rs, Bytes(segment)));
    ASSERT_EQ(enc.shard_size, shard_size);
    ASSERT_EQ(v["shards_hex"].size(), static_cast<size_t>(k + m));
    ASSERT_EQ(v["shard_sha256_hex"].size(), static_cast<size_t>(k + m));
    std::vector<std::string> shards;
    for (int i = 0; i < k + m; ++i) {
      shards.push_back(Unhex(v["shards_hex"][i]));
      EXPECT_EQ(Hex(enc.shard(i)), S(v["shards_hex"][i])) << "shard " << i;
      EXPECT_EQ(Hex(enc.hashes[i]), S(v["shard_sha256_hex"][i])) << "hash " << i;
      EXPECT_EQ(Hex(Sha256(shards[i])), S(v["shard_sha256_hex"][i])) << "hash " << i;
    }

    // Documented: data shards are the zero-padded segment cut in k pieces;
    // parity row r (0-based) has coefficient 1 / ((k + r) XOR j) for data shard j.
    std::string padded = segment;
    padded.resize(shard_size * k, '\0');
    for (int j = 0; j < k; ++j) EXPECT_EQ(shards[j], padded.substr(j * shard_size, shard_size));
    for (int r = 0; r < m; ++r) {
      std::string parity(shard_size, '\0');
      for (int j = 0; j < k; ++j) {
        const uint8_t coef = GfInv(static_cast<uint8_t>((k + r) ^ j));
        for (size_t b = 0; b < shard_size; ++b) {
          parity[b] = static_cast<char>(static_cast<uint8_t>(parity[b]) ^
                                        GfMul(coef, static_cast<uint8_t>(shards[j][b])));
        }
      }
      EXPECT_EQ(Hex(parity), S(v["shards_hex"][k + r])) << "parity " << r;
    }

    // Any k shards rebuild the segment: drop two data shards.
    std::vector<std::span<const uint8_t>> have(k + m);
    std::vector<bulk::Sha256Hash> hashes(k + m);
    for (int i = 0; i < k + m; ++i) {
      if (i != 0 && i != 2) have[i] = Bytes(shards[i]);
      std::memcpy(hashes[i].data(), Unhex(v["shard_sha256_hex"][i]).data(), 32);
    }
    ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> rebuilt,
                         erasure::DecodeSegment(rs, segment.size(), have, hashes));
    EXPECT_EQ(Hex(rebuilt), S(v["segment_hex"]));
  }
}

TEST(ProtocolVectorsTest, LayoutOfChunksSegmentsAndShards) {
  for (const Json& v : Group("layout")) {
    const uint64_t plain = v["plaintext_size"].get<uint64_t>();
    SCOPED_TRACE(plain);
    const uint64_t payload = v["payload_size"].get<uint64_t>();
    EXPECT_EQ(client::ChunkCount(plain), v["chunks"].get<uint64_t>());
    EXPECT_EQ(client::PayloadSizeForPlaintext(plain), payload);
    EXPECT_EQ(payload, 16 + plain + 16 * v["chunks"].get<uint64_t>());
    ASSERT_OK_AND_ASSIGN(uint64_t back, client::PlaintextSizeForPayload(payload));
    EXPECT_EQ(back, plain);
    const uint64_t segment_size = v["segment_size"].get<uint64_t>();
    EXPECT_EQ(segment_size, client::kDefaultSegmentBytes);
    const int k = v["data_shards"].get<int>();
    client::SegmentLayout layout{segment_size, payload};
    ASSERT_EQ(layout.count(), v["segments"].size());
    for (uint64_t i = 0; i < layout.count(); ++i) {
      const Json& s = v["segments"][i];
      EXPECT_EQ(layout.offset(i), s["payload_offset"].get<uint64_t>());
      EXPECT_EQ(layout.length(i), s["segment_size_bytes"].get<uint64_t>());
      EXPECT_EQ(erasure::ReedSolomon::ShardSize(layout.length(i), k),
                s["shard_size_bytes"].get<uint64_t>());
    }
  }
}

// ---------------------------------------------------------------- age

TEST(ProtocolVectorsTest, AgePayloadIsTheChaCha20Poly1305Stream) {
  for (const Json& v : Group("age_payload")) {
    SCOPED_TRACE(S(v["note"]));
    const std::string file_key = Unhex(v["file_key_hex"]);
    const std::string nonce = Unhex(v["payload_nonce_hex"]);
    const std::string plaintext = v.contains("plaintext_utf8")
                                      ? S(v["plaintext_utf8"])
                                      : Pattern(v["plaintext_size"].get<size_t>());
    ASSERT_EQ(plaintext.size(), v["plaintext_size"].get<size_t>());
    client::PayloadNonce n;
    ASSERT_EQ(nonce.size(), n.size());
    std::memcpy(n.data(), nonce.data(), n.size());
    std::string payload;
    client::StringSink sink(&payload);
    ASSERT_OK_AND_ASSIGN(auto enc,
                         client::StreamEncryptor::Create(SecretBytes::CopyOf(Bytes(file_key)), sink,
                                                         bulk::kDefaultBackend, n));
    ASSERT_OK(enc->Write(Bytes(plaintext)));
    ASSERT_OK(enc->Close());
    EXPECT_EQ(payload.size(), v["payload_size"].get<size_t>());
    EXPECT_EQ(payload.size(), client::PayloadSizeForPlaintext(plaintext.size()));
    if (v.contains("payload_hex")) {
      EXPECT_EQ(Hex(payload), S(v["payload_hex"]));
    } else {
      EXPECT_EQ(Hex(Sha256(payload)), S(v["payload_sha256_hex"]));
      EXPECT_EQ(Hex(std::string_view(payload).substr(payload.size() - 32)),
                S(v["payload_last_32_hex"]));
    }

    // Documented: key = HKDF-SHA256(file key, salt = nonce, "payload"); chunk i
    // nonce = 11-byte big-endian i || last flag; every chunk is 64 KiB but the last.
    const std::string key = Hkdf32(file_key, nonce, "payload");
    EXPECT_EQ(Hex(key), S(v["payload_key_hex"]));
    EXPECT_EQ(payload.substr(0, 16), nonce);
    const uint64_t chunks = client::ChunkCount(plaintext.size());
    std::string opened;
    for (uint64_t i = 0; i < chunks; ++i) {
      const size_t start = 16 + i * client::kStreamSealedChunkBytes;
      const size_t len = std::min<size_t>(client::kStreamSealedChunkBytes, payload.size() - start);
      unsigned char chunk_nonce[12] = {0};
      for (int b = 0; b < 8; ++b) chunk_nonce[10 - b] = static_cast<unsigned char>(i >> (8 * b));
      chunk_nonce[11] = i + 1 == chunks ? 1 : 0;
      std::string out(len - 16, '\0');
      unsigned long long out_len = 0;
      ASSERT_EQ(crypto_aead_chacha20poly1305_ietf_decrypt(
                    reinterpret_cast<unsigned char*>(out.data()), &out_len, nullptr,
                    U(payload) + start, len, nullptr, 0, chunk_nonce, U(key)),
                0)
          << "chunk " << i;
      opened += out;
    }
    EXPECT_EQ(opened, plaintext);
  }
}

// PROTOCOL.md 5.2: the file key from one X25519 stanza, or "" if it does not open.
std::string OpenX25519Stanza(const client::Stanza& stanza, const X25519Identity& identity) {
  EXPECT_EQ(stanza.type, "X25519");
  EXPECT_EQ(stanza.args.size(), 1u);
  if (stanza.args.size() != 1) return "";
  std::string share(32, '\0');
  size_t share_len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(share.data()), share.size(),
                        stanza.args[0].data(), stanza.args[0].size(), nullptr, &share_len, nullptr,
                        sodium_base64_VARIANT_ORIGINAL_NO_PADDING) != 0 ||
      share_len != 32) {
    ADD_FAILURE() << "stanza share is not 32 bytes of unpadded base64";
    return "";
  }
  unsigned char shared[32];
  if (crypto_scalarmult(shared, identity.secret().data(), U(share)) != 0) return "";
  const std::string salt =
      share + std::string(reinterpret_cast<const char*>(identity.public_key().bytes.data()), 32);
  const std::string wrap_key = Hkdf32(std::string_view(reinterpret_cast<const char*>(shared), 32),
                                      salt, "age-encryption.org/v1/X25519");
  if (stanza.body.size() != 32) return "";
  std::string file_key(16, '\0');
  unsigned long long n = 0;
  const unsigned char zero_nonce[12] = {0};
  if (crypto_aead_chacha20poly1305_ietf_decrypt(reinterpret_cast<unsigned char*>(file_key.data()),
                                                &n, nullptr, stanza.body.data(), 32, nullptr, 0,
                                                zero_nonce, U(wrap_key)) != 0) {
    return "";
  }
  return file_key;
}

// PROTOCOL.md 5.3.
std::string HeaderMac(std::string_view file_key, const client::AgeHeader& header) {
  const std::string mac_key = Hkdf32(file_key, "", "header");
  const std::string for_mac = client::SerializeHeaderForMac(header);
  unsigned char mac[32];
  crypto_auth_hmacsha256(mac, U(for_mac), for_mac.size(), U(mac_key));
  return std::string(reinterpret_cast<const char*>(mac), 32);
}

TEST(ProtocolVectorsTest, HeaderTheClientBuildsFollowsTheDocumentedStanzaAndMac) {
  ASSERT_OK_AND_ASSIGN(X25519Identity id, X25519Identity::FromSecret(
                                              Bytes(Unhex(Group("identity")[0]["secret_hex"]))));
  client::X25519Recipient self(id.public_key());
  const client::AgeRecipient* recipients[] = {&self};
  ASSERT_OK_AND_ASSIGN(client::NewAgeFile file, client::NewFileHeader(recipients));
  ASSERT_EQ(file.header.stanzas.size(), 1u);
  const std::string file_key(reinterpret_cast<const char*>(file.file_key.data()),
                             file.file_key.size());
  EXPECT_EQ(file_key.size(), 16u);
  EXPECT_EQ(Hex(OpenX25519Stanza(file.header.stanzas[0], id)), Hex(file_key));
  EXPECT_EQ(Hex(HeaderMac(file_key, file.header)), Hex(file.header.mac));
  const std::string text = client::SerializeHeader(file.header);
  EXPECT_TRUE(text.starts_with("age-encryption.org/v1\n-> X25519 ")) << text;
  EXPECT_TRUE(text.ends_with("\n")) << text;
}

TEST(ProtocolVectorsTest, AgeFileOpensWithEveryRecipientIdentity) {
  for (const Json& v : Group("age_file")) {
    SCOPED_TRACE(S(v["note"]));
    ASSERT_OK_AND_ASSIGN(std::string file, Base64Decode(S(v["file_base64"])));
    const std::string header_text = S(v["header_text"]);
    ASSERT_TRUE(std::string_view(file).starts_with(header_text));
    size_t consumed = 0;
    ASSERT_OK_AND_ASSIGN(client::AgeHeader header, client::ParseHeader(file, &consumed));
    EXPECT_EQ(consumed, header_text.size());
    EXPECT_EQ(client::SerializeHeader(header), header_text);
    EXPECT_EQ(Hex(header.mac), S(v["header_mac_hex"]));
    EXPECT_EQ(file.substr(consumed, 16), Unhex(v["payload_nonce_hex"]));
    const std::string file_key = Unhex(v["file_key_hex"]);
    EXPECT_EQ(Hex(client::ComputeHeaderMac(SecretBytes::CopyOf(Bytes(file_key)), header)),
              S(v["header_mac_hex"]));
    // Documented MAC: HMAC-SHA256(HKDF(file key, empty salt, "header"), header up to "---").
    EXPECT_EQ(client::SerializeHeaderForMac(header), header_text.substr(0, header_text.rfind(' ')));
    EXPECT_EQ(Hex(HeaderMac(file_key, header)), S(v["header_mac_hex"]));

    ASSERT_FALSE(v["identities"].empty());
    ASSERT_EQ(header.stanzas.size(), v["identities"].size());
    for (size_t i = 0; i < header.stanzas.size(); ++i) {
      // Stanza i belongs to identity i: the documented recipe opens it.
      ASSERT_OK_AND_ASSIGN(X25519Identity id, client::ParseIdentity(S(v["identities"][i])));
      EXPECT_EQ(Hex(OpenX25519Stanza(header.stanzas[i], id)), S(v["file_key_hex"])) << i;
    }
    for (const Json& text : v["identities"]) {
      ASSERT_OK_AND_ASSIGN(X25519Identity id, client::ParseIdentity(S(text)));
      client::X25519AgeIdentity identity(std::move(id));
      const client::AgeIdentity* ids[] = {&identity};
      ASSERT_OK_AND_ASSIGN(SecretBytes key, client::UnwrapFileKey(header, ids));
      EXPECT_EQ(Hex(key.span()), S(v["file_key_hex"]));
      client::SpanSource in{std::string_view(file)};
      std::string plaintext;
      client::StringSink out(&plaintext);
      ASSERT_OK(client::DecryptFile(ids, in, out));
      EXPECT_EQ(plaintext, S(v["plaintext_utf8"]));
    }
    // Someone else's identity opens nothing.
    client::X25519AgeIdentity stranger(client::X25519Identity::Generate());
    const client::AgeIdentity* strangers[] = {&stranger};
    EXPECT_THAT(client::UnwrapFileKey(header, strangers),
                StatusIs(absl::StatusCode::kPermissionDenied));
  }
}

TEST(ProtocolVectorsTest, PublicLinkCarriesObjectIdAndLinkIdentity) {
  for (const Json& v : Group("public_link")) {
    const std::string link = S(v["link"]);
    const std::string prefix = "freehold://" + S(v["object_id"]) + "#";
    ASSERT_TRUE(link.starts_with(prefix)) << link;
    ASSERT_OK_AND_ASSIGN(X25519Identity id, client::ParseIdentity(link.substr(prefix.size())));
    EXPECT_EQ(Hex(id.secret()), S(v["link_secret_hex"]));
    ASSERT_OK_AND_ASSIGN(X25519Identity expected,
                         X25519Identity::FromSecret(Bytes(Unhex(v["link_secret_hex"]))));
    EXPECT_EQ(prefix + std::string(expected.Encode().view()), link);
  }
}

TEST(ProtocolVectorsTest, MetadataBlobOpensWithTheIdentitysMetadataKey) {
  for (const Json& v : Group("metadata")) {
    SCOPED_TRACE(S(v["note"]));
    const std::string secret = Unhex(v["identity_secret_hex"]);
    ASSERT_OK_AND_ASSIGN(X25519Identity id, X25519Identity::FromSecret(Bytes(secret)));
    SecretBytes key = client::MetadataKey(id);
    EXPECT_EQ(Hex(key.span()), S(v["metadata_key_hex"]));
    // Documented: BLAKE2b-256, key = identity secret, salt = LE64(1) || 0^8,
    // personalization = "FhMeta01" || 0^8, empty message.
    unsigned char salt[16] = {1}, personal[16] = {'F', 'h', 'M', 'e', 't', 'a', '0', '1'};
    unsigned char derived[32];
    ASSERT_EQ(crypto_generichash_blake2b_salt_personal(derived, 32, nullptr, 0, U(secret), 32, salt,
                                                       personal),
              0);
    EXPECT_EQ(Hex(std::string_view(reinterpret_cast<const char*>(derived), 32)),
              S(v["metadata_key_hex"]));

    const std::string blob = Unhex(v["blob_hex"]);
    const std::string aad = Unhex(v["aad_hex"]);
    ASSERT_OK_AND_ASSIGN(client::FileMetadata m,
                         client::OpenMetadata(key, Bytes(blob), Bytes(aad)));
    EXPECT_EQ(m.name, S(v["name_utf8"]));
    EXPECT_EQ(m.size, v["size"].get<uint64_t>());
    EXPECT_EQ(m.created_unix_nanos, v["created_unix_nanos"].get<int64_t>());
    EXPECT_EQ(m.modified_unix_nanos, v["modified_unix_nanos"].get<int64_t>());

    // Documented: 0x01 || nonce24 || XChaCha20-Poly1305(key, plaintext,
    // "freehold/v1/metadata" || 0x01 || aad), plaintext = LE u64 size, LE i64
    // created, LE i64 modified, LE u32 name length, name, zeros to a multiple of 64.
    ASSERT_GT(blob.size(), 25u);
    EXPECT_EQ(blob[0], '\x01');
    std::string plain;
    auto put = [&plain](uint64_t x, int bytes) {
      for (int i = 0; i < bytes; ++i) plain.push_back(static_cast<char>(x >> (8 * i)));
    };
    put(m.size, 8);
    put(static_cast<uint64_t>(m.created_unix_nanos), 8);
    put(static_cast<uint64_t>(m.modified_unix_nanos), 8);
    put(m.name.size(), 4);
    plain += m.name;
    plain.resize((plain.size() + 63) / 64 * 64, '\0');
    const std::string full_aad = std::string("freehold/v1/metadata") + '\x01' + aad;
    std::string sealed(plain.size() + 16, '\0');
    unsigned long long n = 0;
    crypto_aead_xchacha20poly1305_ietf_encrypt(reinterpret_cast<unsigned char*>(sealed.data()), &n,
                                               U(plain), plain.size(), U(full_aad), full_aad.size(),
                                               nullptr, U(blob) + 1, key.data());
    EXPECT_EQ(Hex(blob.substr(0, 25) + sealed), S(v["blob_hex"]));

    // A fresh blob sealed by the client code has the same layout (its nonce is new).
    ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> fresh, client::SealMetadata(key, m, Bytes(aad)));
    const std::string fresh_blob(fresh.begin(), fresh.end());
    ASSERT_EQ(fresh_blob.size(), blob.size());
    crypto_aead_xchacha20poly1305_ietf_encrypt(reinterpret_cast<unsigned char*>(sealed.data()), &n,
                                               U(plain), plain.size(), U(full_aad), full_aad.size(),
                                               nullptr, U(fresh_blob) + 1, key.data());
    EXPECT_EQ(Hex(fresh_blob), Hex(fresh_blob.substr(0, 25) + sealed));

    // Bound to its AAD: another object id does not open it.
    EXPECT_THAT(client::OpenMetadata(key, Bytes(blob), Bytes(std::string("other"))),
                StatusIs(absl::StatusCode::kPermissionDenied));
  }
}

}  // namespace
}  // namespace freehold
