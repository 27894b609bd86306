// Writes docs/protocol-vectors.json to standard output: the test vectors of
// docs/PROTOCOL.md, computed by the project's own code (client core, accounts
// core, common tokens and claims, erasure coding). The inputs are fixed below;
// every "random" byte the code asks for comes from a deterministic generator
// seeded with a constant, so running this program again gives the same file.
//
//   ninja -C build protocol_vectors_gen
//   build/bin/protocol_vectors_gen > docs/protocol-vectors.json
//
// protocol_vectors_test checks the file against the code; regenerate it only
// when a change of the protocol is intended (and say so in PROTOCOL.md).
#include <sodium.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <tuple>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/core/account_keys.h"
#include "client/core/age_file.h"
#include "client/core/age_header.h"
#include "client/core/age_recipients.h"
#include "client/core/age_stream.h"
#include "client/core/byte_io.h"
#include "client/core/folder_keys.h"
#include "client/core/keys.h"
#include "client/core/metadata.h"
#include "client/core/segmenter.h"
#include "client/core/share_record.h"
#include "common/bulk/sha256.h"
#include "common/encoding.h"
#include "common/erasure/erasure.h"
#include "common/shard_claims.h"
#include "common/signed_token.h"
#include "services/accounts/core/account_crypto.h"
#include "services/accounts/core/accounts_options.h"
#include "services/accounts/core/token_issuer.h"
#include "services/accounts/core/token_keyring.h"
#include "services/accounts/core/validation.h"

namespace {

using Json = nlohmann::ordered_json;
using freehold::client::SecretBytes;
using freehold::client::X25519Identity;

// ---------------------------------------------------------------- randomness

// Every randombytes_* call of the process draws from here: call n returns the
// ChaCha20 keystream of key BLAKE2b-256(key = kSeed, n as 8 little-endian bytes).
constexpr unsigned char kSeed[32] = {'f', 'r', 'e', 'e', 'h', 'o', 'l', 'd', '-', 'v', 'e',
                                     'c', 't', 'o', 'r', 's', '-', 's', 'e', 'e', 'd'};
uint64_t g_calls = 0;

void DeterministicBuf(void* buf, size_t size) {
  unsigned char counter[8];
  for (int i = 0; i < 8; ++i) counter[i] = static_cast<unsigned char>(g_calls >> (8 * i));
  ++g_calls;
  unsigned char key[randombytes_SEEDBYTES];
  crypto_generichash(key, sizeof key, counter, sizeof counter, kSeed, sizeof kSeed);
  randombytes_buf_deterministic(buf, size, key);
}
uint32_t DeterministicRandom() {
  uint32_t v;
  DeterministicBuf(&v, sizeof v);
  return v;
}
const char* DeterministicName() { return "freehold-protocol-vectors"; }
randombytes_implementation g_deterministic = {DeterministicName, DeterministicRandom, nullptr,
                                              nullptr,           DeterministicBuf,    nullptr};

// ---------------------------------------------------------------- helpers

[[noreturn]] void Die(std::string_view what, const absl::Status& s) {
  std::fprintf(stderr, "protocol_vectors_gen: %.*s: %s\n", static_cast<int>(what.size()),
               what.data(), s.ToString().c_str());
  std::exit(1);
}

template <typename T>
T Must(absl::StatusOr<T> v, std::string_view what) {
  if (!v.ok()) Die(what, v.status());
  return *std::move(v);
}

void Must(const absl::Status& s, std::string_view what) {
  if (!s.ok()) Die(what, s);
}

std::string Str(std::span<const uint8_t> b) {
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}
std::span<const uint8_t> Bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
std::string Hex(std::string_view s) { return freehold::HexEncode(s); }
std::string Hex(std::span<const uint8_t> b) { return Hex(Str(b)); }
std::string Unhex(std::string_view hex) { return Must(freehold::HexDecode(hex), "hex"); }

// 32 bytes that stand for `label` (BLAKE2b-256 of the label text).
std::string Labelled(std::string_view label, size_t n = 32) {
  std::string out(n, '\0');
  crypto_generichash(reinterpret_cast<unsigned char*>(out.data()), n,
                     reinterpret_cast<const unsigned char*>(label.data()), label.size(), nullptr,
                     0);
  return out;
}

// Plaintext of the pattern vectors: byte i is i mod 251.
std::string Pattern(size_t n) {
  std::string out(n, '\0');
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<char>(i % 251);
  return out;
}

std::string Sha256Hex(std::string_view data) {
  unsigned char h[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(h, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  return Hex(std::string_view(reinterpret_cast<const char*>(h), sizeof h));
}

X25519Identity IdentityFromLabel(std::string_view label) {
  return Must(X25519Identity::FromSecret(Bytes(Labelled(label))), "identity");
}

// A signing key from a 32-byte Ed25519 seed; the key id is what
// GenerateSigningKey would choose: hex of BLAKE2b with an 8-byte digest of the
// public key.
freehold::SigningKey KeyFromSeed(std::string_view seed, std::string key_id = "") {
  freehold::SigningKey key;
  crypto_sign_ed25519_seed_keypair(key.public_key.data(), key.secret.data(),
                                   reinterpret_cast<const unsigned char*>(seed.data()));
  if (key_id.empty()) {
    unsigned char h[8];
    crypto_generichash(h, sizeof h, key.public_key.data(), key.public_key.size(), nullptr, 0);
    key_id = Hex(std::string_view(reinterpret_cast<const char*>(h), sizeof h));
  }
  key.key_id = std::move(key_id);
  return key;
}

std::string SignedMessage(std::string_view context, std::string_view key_id,
                          std::string_view payload) {
  std::string m = "freehold-token-v1";
  m.push_back('\0');
  m.append(context).push_back('\0');
  m.append(key_id).push_back('\0');
  m.append(payload);
  return m;
}

// The signature part of a compact token, hex.
std::string SignatureHex(const std::string& token) {
  return Hex(Must(freehold::Base64UrlDecode(token.substr(token.rfind('.') + 1)), "signature"));
}

const absl::Time kIssuedAt =
    absl::FromCivil(absl::CivilSecond(2026, 1, 15, 10, 0, 0), absl::UTCTimeZone());

// ---------------------------------------------------------------- vectors

Json Argon2idVectors() {
  struct In {
    const char* note;
    std::string password;
    std::string salt_hex;
    freehold::client::PwhashParams params;
  };
  const In inputs[] = {
      {"libsodium's minimum limits (tests only; the accounts service refuses them in "
       "production)",
       "correct horse battery staple", "000102030405060708090a0b0c0d0e0f",
       freehold::client::PwhashParams::MinimumForTests()},
      {"libsodium's INTERACTIVE limits (ops 2, 64 MiB): the weakest the reference client logs "
       "in with; accounts made with them are upgraded at their next login",
       "p\xc3\xa4sswort \xe2\x9c\x93 Freehold", "a1b2c3d4e5f60718293a4b5c6d7e8f90",
       freehold::client::PwhashParams::Interactive()},
      {"the limits PreLogin recommends by default (ops 3, 256 MiB: libsodium's MODERATE), "
       "which new accounts use",
       "p\xc3\xa4sswort \xe2\x9c\x93 Freehold", "a1b2c3d4e5f60718293a4b5c6d7e8f90",
       freehold::client::PwhashParams::Moderate()},
  };
  Json out = Json::array();
  for (const In& in : inputs) {
    const std::string salt = Unhex(in.salt_hex);
    freehold::client::DerivedKeys keys =
        Must(freehold::client::DeriveKeys(in.password, Bytes(salt), in.params), "DeriveKeys");
    out.push_back({{"note", in.note},
                   {"password_utf8_hex", Hex(in.password)},
                   {"salt_hex", in.salt_hex},
                   {"algorithm", "argon2id13"},
                   {"ops_limit", in.params.opslimit},
                   {"mem_limit_bytes", in.params.memlimit},
                   {"kek_hex", Hex(keys.kek.span())},
                   {"auth_key_hex", Hex(keys.auth_key.span())}});
  }
  return out;
}

Json IdentityVectors() {
  Json out = Json::array();
  for (const char* label : {"identity A (owner)", "identity B (shared with)"}) {
    X25519Identity id = IdentityFromLabel(label);
    out.push_back({{"note", label},
                   {"secret_hex", Hex(id.secret())},
                   {"public_hex", Hex(id.public_key().bytes)},
                   {"secret_key", std::string(id.Encode().view())},
                   {"recipient", id.Recipient()}});
  }
  return out;
}

Json WrappedIdentityVectors() {
  // The kek of the first Argon2id vector wraps identity A.
  const std::string salt = Unhex("000102030405060708090a0b0c0d0e0f");
  freehold::client::DerivedKeys keys =
      Must(freehold::client::DeriveKeys("correct horse battery staple", Bytes(salt),
                                        freehold::client::PwhashParams::MinimumForTests()),
           "DeriveKeys");
  X25519Identity id = IdentityFromLabel("identity A (owner)");
  std::vector<uint8_t> wrapped = Must(freehold::client::WrapIdentity(keys.kek, id), "Wrap");
  return Json::array({{{"note", "identity A wrapped with the kek of argon2id[0]"},
                       {"kek_hex", Hex(keys.kek.span())},
                       {"aad", "freehold/v1/wrapped-identity"},
                       {"nonce_hex", Hex(std::span<const uint8_t>(wrapped).first(24))},
                       {"wrapped_hex", Hex(wrapped)},
                       {"secret_hex", Hex(id.secret())}}});
}

constexpr std::string_view kPepperSecret = "vector-pepper-0123456789abcdef-0123456789abcdef";

freehold::accounts::Pepper VectorPepper() {
  return Must(freehold::accounts::Pepper::FromSecret(kPepperSecret), "pepper");
}

Json VerifierVectors() {
  freehold::accounts::Pepper pepper = VectorPepper();
  const std::string salt = Unhex("000102030405060708090a0b0c0d0e0f");
  freehold::client::DerivedKeys keys =
      Must(freehold::client::DeriveKeys("correct horse battery staple", Bytes(salt),
                                        freehold::client::PwhashParams::MinimumForTests()),
           "DeriveKeys");
  const std::string auth_key = Str(keys.auth_key.span());
  return Json::array({{{"note", "the verifier the server stores for argon2id[0]'s auth key"},
                       {"pepper_secret", kPepperSecret},
                       {"pepper_key_hex", Hex(Labelled(kPepperSecret))},
                       {"auth_key_hex", Hex(auth_key)},
                       {"verifier_hex", Hex(pepper.Verifier(auth_key))}}});
}

Json FakeSaltVectors() {
  freehold::accounts::Pepper pepper = VectorPepper();
  Json out = Json::array();
  for (const char* handle : {"nobody-here", "No.Such_User"}) {
    const std::string normalized = Must(freehold::accounts::NormalizeHandle(handle), "handle");
    out.push_back({{"pepper_secret", kPepperSecret},
                   {"handle", handle},
                   {"normalized_handle", normalized},
                   {"fake_salt_hex", Hex(pepper.FakeSalt(normalized))}});
  }
  return out;
}

Json RecoveryVectors() {
  freehold::accounts::Pepper pepper = VectorPepper();
  X25519Identity id = IdentityFromLabel("identity A (owner)");
  const std::string challenge = Labelled("recovery challenge 1");
  const std::array<uint8_t, 32> eph = pepper.RecoveryEphemeralSecret(challenge);
  const std::array<uint8_t, 32> eph_pub = freehold::accounts::X25519Public(eph);
  std::array<uint8_t, 32> secret;
  std::memcpy(secret.data(), id.secret().data(), 32);
  unsigned char shared[32];
  if (crypto_scalarmult(shared, secret.data(), eph_pub.data()) != 0) std::abort();
  const std::string proof =
      Must(freehold::accounts::RecoveryProof(secret, eph_pub, challenge), "RecoveryProof");
  sodium_memzero(secret.data(), secret.size());
  return Json::array(
      {{{"note", "identity A answers a challenge; the server side of it uses pepper_secret"},
        {"pepper_secret", kPepperSecret},
        {"challenge_hex", Hex(challenge)},
        {"ephemeral_secret_hex", Hex(eph)},
        {"ephemeral_public", freehold::accounts::FormatAgeRecipient(eph_pub)},
        {"identity_secret_hex", Hex(id.secret())},
        {"account_public_key", id.Recipient()},
        {"shared_secret_hex", Hex(std::string_view(reinterpret_cast<const char*>(shared), 32))},
        {"proof_hex", Hex(proof)}}});
}

constexpr std::string_view kAccountId = "6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b";
constexpr std::string_view kSessionId = "019bc16e-4a00-7c3d-9e21-5f6a7b8c9d0e";

Json RefreshTokenVectors() {
  const std::string secret = Labelled("refresh secret 1");
  std::string uuid_hex;
  for (char c : kSessionId) {
    if (c != '-') uuid_hex.push_back(c);
  }
  const std::string raw = Unhex(uuid_hex) + secret;
  const std::string token = freehold::Base64UrlEncode(raw);
  freehold::accounts::DecodedRefreshToken decoded =
      Must(freehold::accounts::TokenIssuer::DecodeRefreshToken(token), "DecodeRefreshToken");
  if (decoded.session_id != kSessionId) std::abort();
  return Json::array({{{"session_id", kSessionId},
                       {"secret_hex", Hex(secret)},
                       {"refresh_token", token},
                       {"stored_hash_hex", Hex(freehold::accounts::HashRefreshToken(raw))}}});
}

Json AccessTokenVectors() {
  const std::string seed = Labelled("accounts signing seed 1");
  freehold::SigningKey key = KeyFromSeed(seed);
  freehold::TokenSigner signer(key);
  freehold::accounts::AccountsOptions options;
  freehold::TokenClaims claims;
  claims.audience = options.audience;
  claims.subject = std::string(kAccountId);
  claims.token_id = Hex(Labelled("token id 1", 16));
  claims.issued_at = kIssuedAt;
  claims.expires_at = kIssuedAt + options.access_token_lifetime;
  claims.scopes = options.scopes;
  claims.extra = std::string(kSessionId);
  const std::string payload = freehold::EncodeClaims(claims);
  const std::string token = freehold::SignClaims(signer, claims);
  Json scopes = Json::array();
  for (const std::string& s : claims.scopes) scopes.push_back(s);
  const std::vector<freehold::PublicKey> publics = {key.Public()};
  return Json::array(
      {{{"note", "an access token as the accounts service issues it"},
        {"ed25519_seed_hex", Hex(seed)},
        {"key_id", key.key_id},
        {"public_key_hex", Hex(key.public_key)},
        {"verification_key_line", freehold::accounts::FormatVerificationKeys(publics)},
        {"claims",
         {{"audience", claims.audience},
          {"subject", claims.subject},
          {"token_id", claims.token_id},
          {"issued_at_unix_micros", absl::ToUnixMicros(claims.issued_at)},
          {"expires_at_unix_micros", absl::ToUnixMicros(claims.expires_at)},
          {"scopes", scopes},
          {"extra", claims.extra}}},
        {"context", "claims"},
        {"claims_hex", Hex(payload)},
        {"signed_message_hex", Hex(SignedMessage("claims", key.key_id, payload))},
        {"signature_hex", SignatureHex(token)},
        {"token", token}}});
}

// The erasure-coding vector's segment and shards (shared with the grants).
constexpr int kK = 4;
constexpr int kM = 2;
constexpr size_t kSegmentLen = 1001;

std::string ErasureSegment() {
  std::string seg(kSegmentLen, '\0');
  for (size_t i = 0; i < seg.size(); ++i) seg[i] = static_cast<char>((i * 7 + 3) & 0xff);
  return seg;
}

freehold::erasure::EncodedSegment EncodedVectorSegment() {
  freehold::erasure::ReedSolomon rs = Must(freehold::erasure::ReedSolomon::Create(kK, kM), "RS");
  return Must(freehold::erasure::EncodeSegment(rs, Bytes(ErasureSegment())), "EncodeSegment");
}

Json ErasureVectors() {
  freehold::erasure::EncodedSegment seg = EncodedVectorSegment();
  Json shards = Json::array(), hashes = Json::array();
  for (int i = 0; i < kK + kM; ++i) {
    shards.push_back(Hex(seg.shard(i)));
    hashes.push_back(Hex(seg.hashes[i]));
  }
  return Json::array({{{"note", "one segment of 1001 bytes, byte i = (7 i + 3) mod 256"},
                       {"data_shards", kK},
                       {"parity_shards", kM},
                       {"segment_hex", Hex(ErasureSegment())},
                       {"shard_size_bytes", seg.shard_size},
                       {"shards_hex", shards},
                       {"shard_sha256_hex", hashes}}});
}

constexpr std::string_view kObjectId = "3d6f0a8e-5c1b-4f2a-9e7d-0b1c2d3e4f50";
constexpr std::string_view kNodeId = "a7c3e1f0-2b4d-4c6e-8f01-23456789abcd";

std::string VectorShardKey(int segment, int index) {
  std::string hex;
  for (char c : kObjectId) {
    if (c != '-') hex.push_back(c);
  }
  return hex + "-" + std::to_string(segment) + "-" + std::to_string(index);
}

Json GrantVectors() {
  freehold::erasure::EncodedSegment seg = EncodedVectorSegment();
  const std::string seed = Labelled("coordinator signing seed 1");
  freehold::SigningKey key = KeyFromSeed(seed);
  freehold::TokenSigner signer(key);
  Json out = Json::array();
  for (freehold::GrantOperation op :
       {freehold::GrantOperation::kPut, freehold::GrantOperation::kGet}) {
    freehold::ShardGrant g;
    g.operation = op;
    g.shard_key = VectorShardKey(0, 2);
    g.node_id = std::string(kNodeId);
    g.size_bytes = seg.shard_size;
    if (op == freehold::GrantOperation::kPut) g.sha256 = Str(seg.hashes[2]);
    g.expires_at = kIssuedAt + absl::Minutes(15);
    g.object_id = std::string(kObjectId);
    g.segment = 0;
    g.shard_index = 2;
    const std::string payload = freehold::EncodeGrant(g);
    const std::string token = signer.Sign(payload, freehold::kGrantContext);
    out.push_back({{"note", op == freehold::GrantOperation::kPut
                                ? "PUT grant for shard 2 of the erasure vector's segment"
                                : "GET grant for the same shard (no sha256)"},
                   {"coordinator_ed25519_seed_hex", Hex(seed)},
                   {"key_id", key.key_id},
                   {"public_key_hex", Hex(key.public_key)},
                   {"claims",
                    {{"operation", static_cast<int>(g.operation)},
                     {"shard_key", g.shard_key},
                     {"node_id", g.node_id},
                     {"size_bytes", g.size_bytes},
                     {"sha256_hex", Hex(g.sha256)},
                     {"expires_unix_seconds", absl::ToUnixSeconds(g.expires_at)},
                     {"object_id", g.object_id},
                     {"segment", g.segment},
                     {"shard_index", g.shard_index}}},
                   {"context", "grant"},
                   {"claims_hex", Hex(payload)},
                   {"signature_hex", SignatureHex(token)},
                   {"token", token}});
  }
  return out;
}

Json ReceiptVectors() {
  freehold::erasure::EncodedSegment seg = EncodedVectorSegment();
  const std::string seed = Labelled("node signing seed 1");
  freehold::SigningKey key = KeyFromSeed(seed, std::string(kNodeId));
  freehold::TokenSigner signer(key);
  freehold::ShardReceipt r;
  r.node_id = std::string(kNodeId);
  r.shard_key = VectorShardKey(0, 2);
  r.size_bytes = seg.shard_size;
  r.sha256 = Str(seg.hashes[2]);
  r.stored_at = kIssuedAt + absl::Seconds(7);
  const std::string payload = freehold::EncodeReceipt(r);
  const std::string token = signer.Sign(payload, freehold::kReceiptContext);
  return Json::array({{{"note", "the node's receipt for the PUT grant above"},
                       {"node_ed25519_seed_hex", Hex(seed)},
                       {"key_id", key.key_id},
                       {"node_public_key_hex", Hex(key.public_key)},
                       {"claims",
                        {{"node_id", r.node_id},
                         {"shard_key", r.shard_key},
                         {"size_bytes", r.size_bytes},
                         {"sha256_hex", Hex(r.sha256)},
                         {"stored_unix_seconds", absl::ToUnixSeconds(r.stored_at)}}},
                       {"context", "receipt"},
                       {"claims_hex", Hex(payload)},
                       {"signature_hex", SignatureHex(token)},
                       {"token", token}}});
}

// HKDF-SHA256 (RFC 5869) with one output block, on libsodium's HMAC.
std::string Hkdf32(std::string_view ikm, std::string_view salt, std::string_view info) {
  unsigned char prk[32], okm[32];
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(salt.data()),
                              salt.size());
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(ikm.data()),
                                ikm.size());
  crypto_auth_hmacsha256_final(&st, prk);
  crypto_auth_hmacsha256_init(&st, prk, sizeof prk);
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(info.data()),
                                info.size());
  const unsigned char one = 1;
  crypto_auth_hmacsha256_update(&st, &one, 1);
  crypto_auth_hmacsha256_final(&st, okm);
  return std::string(reinterpret_cast<const char*>(okm), 32);
}

Json AgePayloadVectors() {
  const std::string file_key = Labelled("file key 1", 16);
  const std::string nonce = Labelled("payload nonce 1", 16);
  freehold::client::PayloadNonce n;
  std::memcpy(n.data(), nonce.data(), n.size());
  SecretBytes key = SecretBytes::CopyOf(Bytes(file_key));
  struct In {
    const char* note;
    std::string plaintext;
    bool pattern;
  };
  const In inputs[] = {
      {"empty plaintext: one empty final chunk", "", false},
      {"short text: one final chunk", "Hello, Freehold!\n", false},
      {"exactly one full chunk, which is the final one", Pattern(65536), true},
      {"one full chunk and a final chunk of one byte", Pattern(65537), true},
  };
  Json out = Json::array();
  for (const In& in : inputs) {
    std::string payload;
    freehold::client::StringSink sink(&payload);
    auto enc = Must(
        freehold::client::StreamEncryptor::Create(key, sink, freehold::bulk::kDefaultBackend, n),
        "StreamEncryptor");
    Must(enc->Write(Bytes(in.plaintext)), "Write");
    Must(enc->Close(), "Close");
    Json v = {{"note", in.note},
              {"file_key_hex", Hex(file_key)},
              {"payload_nonce_hex", Hex(nonce)},
              {"payload_key_hex", Hex(Hkdf32(file_key, nonce, "payload"))},
              {"plaintext_size", in.plaintext.size()}};
    if (in.pattern) {
      v["plaintext_pattern"] = "byte i = i mod 251";
      v["payload_size"] = payload.size();
      v["payload_sha256_hex"] = Sha256Hex(payload);
      v["payload_last_32_hex"] = Hex(std::string_view(payload).substr(payload.size() - 32));
    } else {
      v["plaintext_utf8"] = in.plaintext;
      v["payload_size"] = payload.size();
      v["payload_hex"] = Hex(payload);
    }
    out.push_back(std::move(v));
  }
  return out;
}

Json AgeFileVectors() {
  X25519Identity owner = IdentityFromLabel("identity A (owner)");
  X25519Identity friend_id = IdentityFromLabel("identity B (shared with)");
  const std::string plaintext =
      "Freehold age file vector: header, X25519 stanzas, MAC and STREAM payload.\n";

  // Upload: a header to the owner alone, then the payload.
  freehold::client::X25519Recipient self(owner.public_key());
  const freehold::client::AgeRecipient* recipients[] = {&self};
  freehold::client::NewAgeFile file = Must(freehold::client::NewFileHeader(recipients), "header");
  std::string payload;
  {
    freehold::client::StringSink sink(&payload);
    auto enc = Must(freehold::client::StreamEncryptor::Create(file.file_key, sink), "enc");
    Must(enc->Write(Bytes(plaintext)), "Write");
    Must(enc->Close(), "Close");
  }
  const std::string header1 = freehold::client::SerializeHeader(file.header);

  // Sharing with B, then a public link: new headers, same payload.
  freehold::client::X25519AgeIdentity opener(owner.Clone());
  const freehold::client::AgeIdentity* openers[] = {&opener};
  freehold::client::X25519Recipient added(friend_id.public_key());
  const freehold::client::AgeRecipient* adds[] = {&added};
  freehold::client::AgeHeader shared =
      Must(freehold::client::AddRecipients(file.header, openers, adds), "AddRecipients");
  freehold::client::PublicLink link =
      Must(freehold::client::AddPublicLink(shared, openers), "AddPublicLink");
  const std::string header3 = freehold::client::SerializeHeader(link.header);

  Json out = Json::array();
  out.push_back({{"note", "as uploaded: one X25519 stanza, to the owner"},
                 {"header_text", header1},
                 {"file_base64", freehold::Base64Encode(header1 + payload)},
                 {"header_mac_hex", Hex(file.header.mac)},
                 {"file_key_hex", Hex(file.file_key.span())},
                 {"payload_nonce_hex", Hex(std::string_view(payload).substr(0, 16))},
                 {"identities", Json::array({std::string(owner.Encode().view())})},
                 {"plaintext_utf8", plaintext}});
  out.push_back({{"note",
                  "after sharing with identity B and creating a public link: three stanzas "
                  "(owner, B, link), the same payload"},
                 {"header_text", header3},
                 {"file_base64", freehold::Base64Encode(header3 + payload)},
                 {"header_mac_hex", Hex(link.header.mac)},
                 {"file_key_hex", Hex(file.file_key.span())},
                 {"payload_nonce_hex", Hex(std::string_view(payload).substr(0, 16))},
                 {"identities", Json::array({std::string(owner.Encode().view()),
                                             std::string(friend_id.Encode().view()),
                                             std::string(link.identity.Encode().view())})},
                 {"plaintext_utf8", plaintext}});
  return out;
}

Json PublicLinkVectors() {
  // The link identity of the age_file vector is random; this one is fixed.
  X25519Identity link = IdentityFromLabel("public link identity 1");
  return Json::array({{{"object_id", kObjectId},
                       {"link_secret_hex", Hex(link.secret())},
                       {"link", "freehold://" + std::string(kObjectId) + "#" +
                                    std::string(link.Encode().view())}}});
}

Json MetadataVectors() {
  X25519Identity owner = IdentityFromLabel("identity A (owner)");
  SecretBytes key = freehold::client::MetadataKey(owner);
  freehold::client::FileMetadata m;
  // 28 + 43 bytes of plaintext before padding: padded to 128 (to 96 with 32-byte padding).
  m.name = "holiday/2025/IMG_0001 \xc3\xa9t\xc3\xa9 \xc3\xa0 la plage.jpg";
  m.size = 123456789;
  m.created_unix_nanos = absl::ToUnixNanos(kIssuedAt);
  m.modified_unix_nanos = absl::ToUnixNanos(kIssuedAt - absl::Hours(24 * 200)) + 123456789;
  std::vector<uint8_t> blob = Must(freehold::client::SealMetadata(key, m), "SealMetadata");
  return Json::array({{{"note", "identity A's metadata for one file, no caller AAD (as the CLI)"},
                       {"identity_secret_hex", Hex(owner.secret())},
                       {"metadata_key_hex", Hex(key.span())},
                       {"aad_hex", ""},
                       {"blob_hex", Hex(blob)},
                       {"name_utf8", m.name},
                       {"size", m.size},
                       {"created_unix_nanos", m.created_unix_nanos},
                       {"modified_unix_nanos", m.modified_unix_nanos}}});
}

// Version 2 (issue 21): bound to the object id. Generated after every other
// group so that the random draws of the older groups stay the same.
Json BoundMetadataVectors() {
  X25519Identity owner = IdentityFromLabel("identity A (owner)");
  SecretBytes key = freehold::client::MetadataKey(owner);
  freehold::client::FileMetadata m;
  m.name = "notes/2026-04 r\xc3\xa9union.txt";
  m.size = 4242;
  m.created_unix_nanos = absl::ToUnixNanos(kIssuedAt);
  m.modified_unix_nanos = absl::ToUnixNanos(kIssuedAt - absl::Hours(3)) + 7;
  std::vector<uint8_t> blob = Must(
      freehold::client::SealObjectMetadata(key, m, kObjectId), "SealObjectMetadata");
  return Json::array({{{"note", "identity A's metadata bound to its object (as the CLI writes it)"},
                       {"identity_secret_hex", Hex(owner.secret())},
                       {"metadata_key_hex", Hex(key.span())},
                       {"object_id", kObjectId},
                       {"blob_hex", Hex(blob)},
                       {"name_utf8", m.name},
                       {"size", m.size},
                       {"created_unix_nanos", m.created_unix_nanos},
                       {"modified_unix_nanos", m.modified_unix_nanos}}});
}

Json ShareRecordVectors() {
  X25519Identity owner = IdentityFromLabel("identity A (owner)");
  X25519Identity b = IdentityFromLabel("identity B (shared with)");
  SecretBytes key = freehold::client::ShareRecordKey(owner);
  freehold::client::ShareRecord r;
  freehold::client::ShareEntry e;
  e.kind = freehold::client::ShareEntry::Kind::kAccount;
  e.handle = "bob";
  e.account_id = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
  e.public_key = b.Recipient();
  e.stanza_share = "Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5";
  r.entries.push_back(e);
  freehold::client::ShareEntry l;
  l.kind = freehold::client::ShareEntry::Kind::kLink;
  l.public_key = IdentityFromLabel("public link identity 1").Recipient();
  l.stanza_share = "bGlua3NoYXJlbGlua3NoYXJlbGlua3NoYXJlbGlua3M";
  r.entries.push_back(l);
  std::vector<uint8_t> blob =
      Must(freehold::client::SealShareRecord(key, r, kObjectId), "SealShareRecord");
  std::string text = "freehold-share-record v1\n";
  text += "account bob " + e.account_id + " " + e.public_key + " " + e.stanza_share + "\n";
  text += "link - - " + l.public_key + " " + l.stanza_share + "\n";
  return Json::array({{{"note", "identity A's share record of one object: bob and a public link"},
                       {"identity_secret_hex", Hex(owner.secret())},
                       {"share_record_key_hex", Hex(key.span())},
                       {"object_id", kObjectId},
                       {"blob_hex", Hex(blob)},
                       {"text_utf8", text}}});
}

// Folders (docs/PROTOCOL.md#name-hashes): the keyed hash of a (parent, name) pair.
Json NameHashVectors() {
  X25519Identity owner = IdentityFromLabel("identity A (owner)");
  SecretBytes key = freehold::client::NameHashKey(owner);
  const std::string folder = "0b6f7d2e-4c1a-4e8b-9f3d-2a5c7e9b1d40";
  const std::string name = "IMG_0001 \xc3\xa9t\xc3\xa9.jpg";
  const std::string lower = "img_0001 \xc3\xa9t\xc3\xa9.jpg";
  Json out = Json::array();
  for (const auto& [note, parent, n] :
       {std::tuple<std::string, std::string, std::string>{
            "an entry in the root: the name hash of before folders", "", name},
        {"the same name in a folder", folder, name},
        {"a name differing only by case", folder, lower}}) {
    out.push_back({{"note", note},
                   {"identity_secret_hex", Hex(owner.secret())},
                   {"name_hash_key_hex", Hex(key.span())},
                   {"parent_id", parent},
                   {"name_utf8", n},
                   {"name_hash_hex", Hex(freehold::client::EntryNameHash(key, parent, n))}});
  }
  return out;
}

// Version 2 metadata with permission bits (folders' put -r): 0x01 || u32 mode after
// the name. Generated last so that the random draws of every older group stay the same.
Json ModeMetadataVectors() {
  X25519Identity owner = IdentityFromLabel("identity A (owner)");
  SecretBytes key = freehold::client::MetadataKey(owner);
  freehold::client::FileMetadata m;
  m.name = "run.sh";
  m.size = 1234;
  m.created_unix_nanos = absl::ToUnixNanos(kIssuedAt);
  m.modified_unix_nanos = absl::ToUnixNanos(kIssuedAt) + 11;
  m.mode = 0750;
  std::vector<uint8_t> blob = Must(
      freehold::client::SealObjectMetadata(key, m, kObjectId), "SealObjectMetadata");
  return Json::array({{{"note", "identity A's metadata with permission bits 0750, bound to its object"},
                       {"identity_secret_hex", Hex(owner.secret())},
                       {"metadata_key_hex", Hex(key.span())},
                       {"object_id", kObjectId},
                       {"blob_hex", Hex(blob)},
                       {"name_utf8", m.name},
                       {"size", m.size},
                       {"created_unix_nanos", m.created_unix_nanos},
                       {"modified_unix_nanos", m.modified_unix_nanos},
                       {"mode", m.mode}}});
}

// Entry wraps of shared folders (docs/PROTOCOL.md 9.3): a file and a subfolder
// sealed under a folder key, bound to (parent id, entry id).
Json FolderWrapVectors() {
  const std::string parent = "0b6c1f3e-2a4d-4e5f-8a9b-1c2d3e4f5a6b";
  const std::string sub = "7e8f9a0b-1c2d-4e3f-9a5b-6c7d8e9f0a1b";
  SecretBytes folder_key = SecretBytes::CopyOf(std::string_view("folder key 16 b."));
  Json out = Json::array();
  struct Case {
    const char* note;
    bool is_folder;
    std::string entry_id;
    std::string key;
    std::string name;
  } cases[] = {
      {"a file in the folder", false, std::string(kObjectId), "file key 16 byte", "report.pdf"},
      {"a subfolder (its folder key)", true, sub, "sub key 16 bytes", "Photos 2026"},
  };
  for (const Case& c : cases) {
    freehold::client::EntryWrap w;
    w.is_folder = c.is_folder;
    w.key = SecretBytes::CopyOf(std::string_view(c.key));
    w.name = c.name;
    std::vector<uint8_t> wrap =
        Must(freehold::client::SealEntryWrap(folder_key, parent, c.entry_id, w), "SealEntryWrap");
    out.push_back({{"note", c.note},
                   {"folder_key_hex", Hex(folder_key.span())},
                   {"parent_id", parent},
                   {"entry_id", c.entry_id},
                   {"is_folder", c.is_folder},
                   {"entry_key_hex", Hex(w.key.span())},
                   {"name_utf8", c.name},
                   {"wrap_hex", Hex(wrap)}});
  }
  return out;
}

Json LayoutVectors() {
  const uint64_t segment = freehold::client::kDefaultSegmentBytes;
  Json out = Json::array();
  for (uint64_t plain :
       {uint64_t{0}, uint64_t{1}, uint64_t{65536}, uint64_t{65537}, uint64_t{200000000}}) {
    const uint64_t payload = freehold::client::PayloadSizeForPlaintext(plain);
    freehold::client::SegmentLayout layout{segment, payload};
    Json segs = Json::array();
    for (uint64_t i = 0; i < layout.count(); ++i) {
      segs.push_back(
          {{"payload_offset", layout.offset(i)},
           {"segment_size_bytes", layout.length(i)},
           {"shard_size_bytes", freehold::erasure::ReedSolomon::ShardSize(layout.length(i), kK)}});
    }
    out.push_back({{"plaintext_size", plain},
                   {"chunks", freehold::client::ChunkCount(plain)},
                   {"payload_size", payload},
                   {"segment_size", segment},
                   {"data_shards", kK},
                   {"segments", segs}});
  }
  return out;
}

}  // namespace

int main() {
  // Before anything initializes libsodium.
  if (randombytes_set_implementation(&g_deterministic) != 0 || sodium_init() < 0) {
    std::fprintf(stderr, "protocol_vectors_gen: cannot initialize libsodium\n");
    return 1;
  }
  Json doc;
  doc["format"] = "freehold-protocol-vectors";
  doc["version"] = 1;
  doc["description"] =
      "Test vectors for docs/PROTOCOL.md, computed by the Freehold C++ code "
      "(tests/protocol/protocol_vectors_gen.cc) and checked against it by "
      "tests/protocol/protocol_vectors_test.cc. Byte strings are lower-case hex (*_hex) or "
      "RFC 4648 base64 with padding (*_base64); text is UTF-8.";
  doc["argon2id"] = Argon2idVectors();
  doc["identity"] = IdentityVectors();
  doc["wrapped_identity"] = WrappedIdentityVectors();
  doc["verifier"] = VerifierVectors();
  doc["fake_salt"] = FakeSaltVectors();
  doc["recovery_proof"] = RecoveryVectors();
  doc["refresh_token"] = RefreshTokenVectors();
  doc["access_token"] = AccessTokenVectors();
  doc["erasure"] = ErasureVectors();
  doc["grant"] = GrantVectors();
  doc["receipt"] = ReceiptVectors();
  doc["age_payload"] = AgePayloadVectors();
  doc["age_file"] = AgeFileVectors();
  doc["public_link"] = PublicLinkVectors();
  doc["metadata"] = MetadataVectors();
  doc["name_hash"] = NameHashVectors();
  doc["layout"] = LayoutVectors();
  doc["metadata_bound"] = BoundMetadataVectors();
  doc["share_record"] = ShareRecordVectors();
  doc["metadata_mode"] = ModeMetadataVectors();
  doc["folder_wrap"] = FolderWrapVectors();
  std::cout << doc.dump(2) << "\n";
  return 0;
}
