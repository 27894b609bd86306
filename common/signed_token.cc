// Ed25519 signed tokens and canonical claims (libsodium).
#include "common/signed_token.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/config.h"
#include "common/encoding.h"
#include "common/secure_compare.h"
#include "common/string_view.h"

namespace freehold {
namespace {

constexpr absl::string_view kSecretPrefix = "fh-ed25519-secret:";
constexpr absl::string_view kPublicPrefix = "fh-ed25519-public:";
constexpr std::string_view kDomain = "freehold-token-v1";
constexpr uint8_t kClaimsVersion = 1;

void EnsureSodium() {
  static const bool ok = sodium_init() >= 0;
  if (!ok) std::abort();
}

std::string SignedMessage(std::string_view context, std::string_view key_id,
                          std::string_view payload) {
  std::string m;
  m.reserve(kDomain.size() + context.size() + key_id.size() + payload.size() + 3);
  m.append(kDomain).push_back('\0');
  m.append(context).push_back('\0');
  m.append(key_id).push_back('\0');
  m.append(payload);
  return m;
}

absl::Status Unauthenticated(std::string_view why) {
  return absl::UnauthenticatedError(std::string(why));
}

absl::Status WriteFileAtomically(const std::string& path, const std::string& contents,
                                 mode_t mode) {
  const std::string tmp = absl::StrCat(path, ".tmp.", ::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot create ", tmp, ": ", std::strerror(errno)));
  }
  ::fchmod(fd, mode);  // umask may have removed bits we want; never adds "other" bits
  size_t off = 0;
  while (off < contents.size()) {
    ssize_t n = ::write(fd, contents.data() + off, contents.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return absl::UnavailableError(absl::StrCat("cannot write ", tmp, ": ", std::strerror(err)));
    }
    off += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(tmp.c_str());
    return absl::UnavailableError(absl::StrCat("cannot write ", tmp, ": ", std::strerror(errno)));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return absl::PermissionDeniedError(
        absl::StrCat("cannot rename ", tmp, " to ", path, ": ", std::strerror(err)));
  }
  return absl::OkStatus();
}

void PutU32(std::string& out, uint32_t v) {
  for (int i = 3; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void PutI64(std::string& out, int64_t v) {
  const uint64_t u = static_cast<uint64_t>(v);
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((u >> (8 * i)) & 0xff));
}
void PutBytes(std::string& out, std::string_view s) {
  PutU32(out, static_cast<uint32_t>(s.size()));
  out.append(s);
}

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool U8(uint8_t* v) {
    if (in_.empty()) return false;
    *v = static_cast<uint8_t>(in_[0]);
    in_.remove_prefix(1);
    return true;
  }
  bool U32(uint32_t* v) {
    if (in_.size() < 4) return false;
    uint32_t r = 0;
    for (int i = 0; i < 4; ++i) r = (r << 8) | static_cast<uint8_t>(in_[i]);
    in_.remove_prefix(4);
    *v = r;
    return true;
  }
  bool I64(int64_t* v) {
    if (in_.size() < 8) return false;
    uint64_t r = 0;
    for (int i = 0; i < 8; ++i) r = (r << 8) | static_cast<uint8_t>(in_[i]);
    in_.remove_prefix(8);
    *v = static_cast<int64_t>(r);
    return true;
  }
  bool Bytes(std::string* s) {
    uint32_t n;
    if (!U32(&n) || in_.size() < n) return false;
    s->assign(in_.data(), n);
    in_.remove_prefix(n);
    return true;
  }
  bool done() const { return in_.empty(); }
  size_t remaining() const { return in_.size(); }

 private:
  std::string_view in_;
};

}  // namespace

SigningKey::~SigningKey() { sodium_memzero(secret.data(), secret.size()); }

bool IsValidKeyId(std::string_view key_id) {
  if (key_id.empty() || key_id.size() > 64) return false;
  for (char c : key_id) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
          c == '-')) {
      return false;
    }
  }
  return true;
}

absl::StatusOr<SigningKey> GenerateSigningKey(std::string key_id) {
  EnsureSodium();
  SigningKey key;
  crypto_sign_ed25519_keypair(key.public_key.data(), key.secret.data());
  if (key_id.empty()) {
    unsigned char h[8];
    crypto_generichash(h, sizeof(h), key.public_key.data(), key.public_key.size(), nullptr, 0);
    key_id = HexEncode(std::string_view(reinterpret_cast<const char*>(h), sizeof(h)));
  } else if (!IsValidKeyId(key_id)) {
    return absl::InvalidArgumentError("key_id must be 1..64 characters of [A-Za-z0-9_-]");
  }
  key.key_id = std::move(key_id);
  return key;
}

std::string FormatSigningKey(const SigningKey& key) {
  return absl::StrCat(kSecretPrefix, key.key_id, ":",
                      Base64UrlEncode(std::string_view(
                          reinterpret_cast<const char*>(key.secret.data()), key.secret.size())));
}

absl::StatusOr<SigningKey> ParseSigningKey(std::string_view text) {
  EnsureSodium();
  if (text.substr(0, kSecretPrefix.size()) !=
      std::string_view(kSecretPrefix.data(), kSecretPrefix.size())) {
    return absl::InvalidArgumentError(
        absl::StrCat("signing key must start with '", kSecretPrefix, "'"));
  }
  text.remove_prefix(kSecretPrefix.size());
  const size_t colon = text.find(':');
  if (colon == std::string_view::npos || !IsValidKeyId(text.substr(0, colon))) {
    return absl::InvalidArgumentError("signing key has a missing or invalid key id");
  }
  SigningKey key;
  key.key_id = std::string(text.substr(0, colon));
  absl::StatusOr<std::string> raw = Base64UrlDecode(text.substr(colon + 1));
  if (!raw.ok() || raw->size() != key.secret.size()) {
    if (raw.ok()) SecureZero(*raw);
    return absl::InvalidArgumentError("signing key material is not 64 base64url bytes");
  }
  std::memcpy(key.secret.data(), raw->data(), key.secret.size());
  SecureZero(*raw);
  crypto_sign_ed25519_sk_to_pk(key.public_key.data(), key.secret.data());
  // Recompute the public key from the seed; the stored half must agree.
  unsigned char pk[32];
  unsigned char sk[64];
  crypto_sign_ed25519_seed_keypair(pk, sk, key.secret.data());
  sodium_memzero(sk, sizeof(sk));
  if (sodium_memcmp(pk, key.public_key.data(), 32) != 0) {
    return absl::InvalidArgumentError("signing key is corrupt (public half does not match seed)");
  }
  return key;
}

std::string FormatPublicKey(const PublicKey& key) {
  return absl::StrCat(kPublicPrefix, key.key_id, ":",
                      Base64UrlEncode(std::string_view(
                          reinterpret_cast<const char*>(key.key.data()), key.key.size())));
}

absl::StatusOr<PublicKey> ParsePublicKey(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  if (text.substr(0, kPublicPrefix.size()) !=
      std::string_view(kPublicPrefix.data(), kPublicPrefix.size())) {
    return absl::InvalidArgumentError(
        absl::StrCat("public key must start with '", kPublicPrefix, "'"));
  }
  text.remove_prefix(kPublicPrefix.size());
  const size_t colon = text.find(':');
  if (colon == std::string_view::npos || !IsValidKeyId(text.substr(0, colon))) {
    return absl::InvalidArgumentError("public key has a missing or invalid key id");
  }
  PublicKey key;
  key.key_id = std::string(text.substr(0, colon));
  absl::StatusOr<std::string> raw = Base64UrlDecode(text.substr(colon + 1));
  if (!raw.ok() || raw->size() != key.key.size()) {
    return absl::InvalidArgumentError("public key material is not 32 base64url bytes");
  }
  std::memcpy(key.key.data(), raw->data(), key.key.size());
  return key;
}

absl::Status SaveSigningKey(const SigningKey& key, const std::string& path) {
  std::string text = FormatSigningKey(key) + "\n";
  absl::Status s = WriteFileAtomically(path, text, 0600);
  SecureZero(text);
  return s;
}

absl::StatusOr<SigningKey> LoadSigningKey(const std::string& path) {
  absl::StatusOr<std::string> text = ReadSecretFile(path);
  if (!text.ok()) return text.status();
  absl::StatusOr<SigningKey> key = ParseSigningKey(*text);
  SecureZero(*text);
  if (!key.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("key file ", path, ": ", key.status().message()));
  }
  return key;
}

absl::Status SavePublicKey(const PublicKey& key, const std::string& path) {
  return WriteFileAtomically(path, FormatPublicKey(key) + "\n", 0644);
}

absl::StatusOr<PublicKey> LoadPublicKey(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read public key file ", path));
  std::string line;
  std::getline(in, line);
  absl::StatusOr<PublicKey> key = ParsePublicKey(line);
  if (!key.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("public key file ", path, ": ", key.status().message()));
  }
  return key;
}

TokenSigner::TokenSigner(SigningKey key) : key_(std::move(key)) { EnsureSodium(); }

DetachedSignature TokenSigner::SignDetached(std::string_view payload,
                                            std::string_view context) const {
  const std::string m = SignedMessage(context, key_.key_id, payload);
  DetachedSignature sig;
  sig.key_id = key_.key_id;
  sig.signature.resize(crypto_sign_ed25519_BYTES);
  crypto_sign_ed25519_detached(reinterpret_cast<unsigned char*>(sig.signature.data()), nullptr,
                               reinterpret_cast<const unsigned char*>(m.data()), m.size(),
                               key_.secret.data());
  return sig;
}

std::string TokenSigner::Sign(std::string_view payload, std::string_view context) const {
  DetachedSignature sig = SignDetached(payload, context);
  return absl::StrCat(Base64UrlEncode(payload), ".", sig.key_id, ".",
                      Base64UrlEncode(sig.signature));
}

TokenVerifier::TokenVerifier(const std::vector<PublicKey>& keys) {
  EnsureSodium();
  for (const PublicKey& k : keys) keys_[k.key_id] = k.key;
}

absl::StatusOr<TokenVerifier> TokenVerifier::FromText(const std::vector<std::string>& keys) {
  std::vector<PublicKey> parsed;
  for (size_t i = 0; i < keys.size(); ++i) {
    absl::StatusOr<PublicKey> k = ParsePublicKey(keys[i]);
    if (!k.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("public key #", i + 1, ": ", k.status().message()));
    }
    parsed.push_back(*std::move(k));
  }
  return TokenVerifier(parsed);
}

absl::Status TokenVerifier::VerifyDetached(std::string_view payload, std::string_view context,
                                           const DetachedSignature& signature) const {
  auto it = keys_.find(signature.key_id);
  if (it == keys_.end()) return Unauthenticated("unknown signing key");
  if (signature.signature.size() != crypto_sign_ed25519_BYTES) {
    return Unauthenticated("malformed signature");
  }
  const std::string m = SignedMessage(context, signature.key_id, payload);
  if (crypto_sign_ed25519_verify_detached(
          reinterpret_cast<const unsigned char*>(signature.signature.data()),
          reinterpret_cast<const unsigned char*>(m.data()), m.size(), it->second.data()) != 0) {
    return Unauthenticated("bad signature");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> TokenVerifier::Verify(std::string_view token,
                                                  std::string_view context) const {
  std::vector<std::string_view> parts;
  for (size_t start = 0;;) {
    const size_t dot = token.find('.', start);
    parts.push_back(token.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (parts.size() != 3 || !IsValidKeyId(parts[1])) return Unauthenticated("malformed token");
  absl::StatusOr<std::string> payload = Base64UrlDecode(parts[0]);
  absl::StatusOr<std::string> sig = Base64UrlDecode(parts[2]);
  if (!payload.ok() || !sig.ok()) return Unauthenticated("malformed token");
  // Reject non-canonical encodings (e.g. trailing '=' or unused low bits), so each
  // signed payload has exactly one valid token string.
  if (Base64UrlEncode(*payload) != parts[0] || Base64UrlEncode(*sig) != parts[2]) {
    return Unauthenticated("malformed token");
  }
  absl::Status s =
      VerifyDetached(*payload, context, DetachedSignature{std::string(parts[1]), *std::move(sig)});
  if (!s.ok()) return s;
  return payload;
}

bool TokenClaims::HasScope(std::string_view scope) const {
  for (const std::string& s : scopes) {
    if (s == scope) return true;
  }
  return false;
}

std::string EncodeClaims(const TokenClaims& c) {
  std::string out;
  out.push_back(static_cast<char>(kClaimsVersion));
  PutBytes(out, c.audience);
  PutBytes(out, c.subject);
  PutBytes(out, c.token_id);
  PutI64(out, absl::ToUnixMicros(c.issued_at));
  PutI64(out, absl::ToUnixMicros(c.expires_at));
  PutU32(out, static_cast<uint32_t>(c.scopes.size()));
  for (const std::string& s : c.scopes) PutBytes(out, s);
  PutBytes(out, c.extra);
  return out;
}

absl::StatusOr<TokenClaims> DecodeClaims(std::string_view bytes) {
  Reader r(bytes);
  TokenClaims c;
  uint8_t version;
  int64_t iat, exp;
  uint32_t nscopes;
  if (!r.U8(&version) || version != kClaimsVersion) {
    return absl::InvalidArgumentError("claims: unknown version");
  }
  if (!r.Bytes(&c.audience) || !r.Bytes(&c.subject) || !r.Bytes(&c.token_id) || !r.I64(&iat) ||
      !r.I64(&exp) || !r.U32(&nscopes) || nscopes > r.remaining() / 4) {
    return absl::InvalidArgumentError("claims: truncated");
  }
  c.issued_at = absl::FromUnixMicros(iat);
  c.expires_at = absl::FromUnixMicros(exp);
  c.scopes.resize(nscopes);
  for (std::string& s : c.scopes) {
    if (!r.Bytes(&s)) return absl::InvalidArgumentError("claims: truncated scopes");
  }
  if (!r.Bytes(&c.extra)) return absl::InvalidArgumentError("claims: truncated extra");
  if (!r.done()) return absl::InvalidArgumentError("claims: trailing bytes");
  return c;
}

std::string SignClaims(const TokenSigner& signer, const TokenClaims& claims) {
  return signer.Sign(EncodeClaims(claims), kClaimsContext);
}

absl::StatusOr<TokenClaims> VerifyClaims(const TokenVerifier& verifier, std::string_view token,
                                         std::string_view audience, absl::Time now,
                                         absl::Duration skew) {
  absl::StatusOr<std::string> payload = verifier.Verify(token, kClaimsContext);
  if (!payload.ok()) return payload.status();
  absl::StatusOr<TokenClaims> claims = DecodeClaims(*payload);
  if (!claims.ok()) return Unauthenticated("malformed token claims");
  if (claims->audience != audience) return Unauthenticated("wrong audience");
  if (now > claims->expires_at + skew) return Unauthenticated("token expired");
  if (claims->issued_at > now + skew) return Unauthenticated("token not yet valid");
  return claims;
}

absl::StatusOr<std::string> BearerToken(std::string_view authorization,
                                        std::string_view missing_message) {
  absl::string_view value = absl::StripAsciiWhitespace(AbslView(authorization));
  if (value.empty()) return absl::UnauthenticatedError(AbslView(missing_message));
  if (value.size() < 7 || !absl::EqualsIgnoreCase(value.substr(0, 7), "bearer ")) {
    return absl::UnauthenticatedError("authorization metadata must be \"Bearer <token>\"");
  }
  value = absl::StripAsciiWhitespace(value.substr(7));
  if (value.empty()) return absl::UnauthenticatedError("empty bearer token");
  if (value.size() > 8192) return absl::UnauthenticatedError("bearer token longer than 8 KiB");
  return std::string(value);
}

}  // namespace freehold
