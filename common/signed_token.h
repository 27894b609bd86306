// Ed25519 (libsodium) signed tokens: access tokens (accounts), grants (coordinator) and
// receipts (storage daemons).
//
// Compact form:  base64url(payload) "." key_id "." base64url(signature64)
// (no padding). The signature covers a domain-separated message
//   "freehold-token-v1" 0x00 context 0x00 key_id 0x00 payload
// so a token signed for one `context` (e.g. "grant") never verifies for another
// (e.g. "receipt"), and the key id cannot be swapped. Payload bytes are whatever the
// caller gives: use deterministic protobuf serialization, or TokenClaims below.
// For protos that carry signatures as fields, use SignDetached / VerifyDetached.
//
// Key rotation: a TokenVerifier holds several public keys by key id; sign with the new
// key, keep the old public key in verifiers until tokens signed with it have expired.
//
// Key files are one line of text, mode 0600 for secret keys:
//   secret: "fh-ed25519-secret:<key_id>:<base64url(64-byte libsodium secret key)>"
//   public: "fh-ed25519-public:<key_id>:<base64url(32-byte public key)>"
// The public form is also what flags/env vars take (ParsePublicKey).
// key_id: 1..64 characters from [A-Za-z0-9_-].
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace freehold {

struct PublicKey {
  std::string key_id;
  std::array<uint8_t, 32> key{};
};

struct SigningKey {
  SigningKey() = default;
  SigningKey(const SigningKey&) = default;
  SigningKey& operator=(const SigningKey&) = default;
  ~SigningKey();  // zeroes `secret`

  std::string key_id;
  std::array<uint8_t, 64> secret{};  // libsodium layout: seed(32) || public(32)
  std::array<uint8_t, 32> public_key{};

  PublicKey Public() const { return PublicKey{key_id, public_key}; }
};

// True if `key_id` is 1..64 chars of [A-Za-z0-9_-].
bool IsValidKeyId(std::string_view key_id);

// A fresh random key. Empty key_id -> the first 8 bytes of BLAKE2b(public key) in hex.
// INVALID_ARGUMENT if key_id is given but invalid.
absl::StatusOr<SigningKey> GenerateSigningKey(std::string key_id = "");

// Text forms (see the file comment). Parse* return INVALID_ARGUMENT on malformed text;
// ParseSigningKey also checks that the public half matches the seed.
std::string FormatSigningKey(const SigningKey& key);
absl::StatusOr<SigningKey> ParseSigningKey(std::string_view text);
std::string FormatPublicKey(const PublicKey& key);
absl::StatusOr<PublicKey> ParsePublicKey(std::string_view text);

// Files. SaveSigningKey writes atomically (temp file + rename) with mode 0600.
// LoadSigningKey uses ReadSecretFile (refuses world-readable files).
// Errors name the path, never the key.
absl::Status SaveSigningKey(const SigningKey& key, const std::string& path);
absl::StatusOr<SigningKey> LoadSigningKey(const std::string& path);
absl::Status SavePublicKey(const PublicKey& key, const std::string& path);
absl::StatusOr<PublicKey> LoadPublicKey(const std::string& path);

struct DetachedSignature {
  std::string key_id;
  std::string signature;  // 64 raw bytes
};

// Signs with one key. Immutable, thread-safe.
class TokenSigner {
 public:
  explicit TokenSigner(SigningKey key);
  const std::string& key_id() const { return key_.key_id; }
  PublicKey public_key() const { return key_.Public(); }

  // Compact token over `payload` for `context` (a short constant like "access", "grant").
  std::string Sign(std::string_view payload, std::string_view context) const;
  DetachedSignature SignDetached(std::string_view payload, std::string_view context) const;

 private:
  SigningKey key_;
};

// Verifies against a fixed set of public keys. Immutable after construction, thread-safe.
// All failures are UNAUTHENTICATED with a short reason ("malformed token",
// "unknown signing key", "bad signature", ...), never revealing key material.
class TokenVerifier {
 public:
  TokenVerifier() = default;
  // Later keys with a duplicate key_id replace earlier ones.
  explicit TokenVerifier(const std::vector<PublicKey>& keys);
  // Each entry in the ParsePublicKey text form. INVALID_ARGUMENT naming the bad entry.
  static absl::StatusOr<TokenVerifier> FromText(const std::vector<std::string>& keys);

  bool empty() const { return keys_.empty(); }

  // Returns the payload of a valid compact token signed for `context`.
  absl::StatusOr<std::string> Verify(std::string_view token, std::string_view context) const;
  absl::Status VerifyDetached(std::string_view payload, std::string_view context,
                              const DetachedSignature& signature) const;

 private:
  std::map<std::string, std::array<uint8_t, 32>, std::less<>> keys_;
};

// Generic claims with a canonical binary encoding (version byte, big-endian lengths and
// microsecond timestamps; decoding rejects trailing bytes, so encode(decode(x)) == x).
struct TokenClaims {
  std::string audience;  // who must accept it: "storaged", "coordinator", ...
  std::string subject;   // e.g. account id, node id
  std::string token_id;  // unique id (for revocation / logs); may be empty
  absl::Time issued_at = absl::UnixEpoch();
  absl::Time expires_at = absl::UnixEpoch();
  std::vector<std::string> scopes;
  std::string extra;  // opaque caller-defined bytes

  bool HasScope(std::string_view scope) const;
  bool operator==(const TokenClaims&) const = default;
};

std::string EncodeClaims(const TokenClaims& claims);
// INVALID_ARGUMENT on malformed input.
absl::StatusOr<TokenClaims> DecodeClaims(std::string_view bytes);

// The context used for claims tokens.
inline constexpr std::string_view kClaimsContext = "claims";

// Signs EncodeClaims(claims) with context kClaimsContext.
std::string SignClaims(const TokenSigner& signer, const TokenClaims& claims);

// Verifies signature, then: audience must equal `audience` ("wrong audience"),
// now <= expires_at + skew ("token expired"), issued_at <= now + skew
// ("token not yet valid"). All failures UNAUTHENTICATED.
absl::StatusOr<TokenClaims> VerifyClaims(const TokenVerifier& verifier, std::string_view token,
                                         std::string_view audience, absl::Time now,
                                         absl::Duration skew = absl::Seconds(30));

// The token of an `authorization` metadata value "Bearer <token>" (scheme case-insensitive,
// surrounding white space ignored). UNAUTHENTICATED when it is absent (`missing_message`),
// has another scheme, or carries an empty or over-long (> 8 KiB) token.
absl::StatusOr<std::string> BearerToken(std::string_view authorization,
                                        std::string_view missing_message);

}  // namespace freehold
