#include "services/accounts/core/token_issuer.h"

#include <cstdio>
#include <cstdlib>
#include <tuple>

#include "common/encoding.h"
#include "common/secure_compare.h"
#include "services/accounts/core/account_crypto.h"
#include "services/accounts/core/validation.h"

namespace freehold::accounts {
namespace {

// "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" -> 16 bytes. The text is one of our own session ids,
// so anything else is a broken invariant: crash rather than mint an unusable token.
std::string UuidBytes(const std::string& uuid) {
  std::string hex;
  hex.reserve(32);
  for (char c : uuid) {
    if (c != '-') hex.push_back(c);
  }
  absl::StatusOr<std::string> bytes = HexDecode(hex);
  if (!bytes.ok() || bytes->size() != 16) {
    std::fprintf(stderr, "freehold-accounts: session id \"%s\" is not a UUID\n", uuid.c_str());
    std::abort();
  }
  return *bytes;
}

}  // namespace

TokenIssuer::TokenIssuer(const LiveTokenKeys& keys, const AccountsOptions& options)
    : keys_(keys), options_(options) {}

TokenIssuer::TokenIssuer(const TokenSigner& signer, const TokenVerifier& verifier,
                         const AccountsOptions& options)
    : owned_keys_(std::make_unique<LiveTokenKeys>(
          std::make_shared<TokenKeySnapshot>(signer, std::vector<PublicKey>{signer.public_key()}))),
      keys_(*owned_keys_),
      options_(options),
      fixed_verifier_(std::make_unique<TokenVerifier>(verifier)) {}

std::pair<std::string, absl::Time> TokenIssuer::IssueAccessToken(
    const std::string& account_id, const std::string& session_id, absl::Time now,
    const std::vector<std::string>& roles) const {
  TokenClaims claims;
  claims.audience = options_.audience;
  claims.subject = account_id;
  claims.token_id = HexEncode(RandomBytes(16));
  claims.issued_at = now;
  claims.expires_at = now + options_.access_token_lifetime;
  claims.scopes = options_.scopes;
  claims.scopes.insert(claims.scopes.end(), roles.begin(), roles.end());
  claims.extra = session_id;
  std::shared_ptr<const TokenKeySnapshot> keys = keys_.Get();
  return {SignClaims(keys->SignerAt(now), claims), claims.expires_at};
}

IssuedTokens TokenIssuer::NewRefreshToken(const std::string& session_id, absl::Time now) const {
  IssuedTokens out;
  std::string raw = UuidBytes(session_id) + RandomBytes(32);
  out.tokens.refresh_token = Base64UrlEncode(raw);
  out.tokens.refresh_expires_at = now + options_.refresh_token_lifetime;
  out.refresh_hash = HashRefreshToken(raw);
  SecureZero(raw);
  return out;
}

IssuedTokens TokenIssuer::Issue(const std::string& account_id, const std::string& session_id,
                                absl::Time now, const std::vector<std::string>& roles) const {
  IssuedTokens out = NewRefreshToken(session_id, now);
  std::tie(out.tokens.access_token, out.tokens.access_expires_at) =
      IssueAccessToken(account_id, session_id, now, roles);
  return out;
}

absl::StatusOr<AuthContext> TokenIssuer::VerifyAccessToken(std::string_view token,
                                                           absl::Time now) const {
  std::shared_ptr<const TokenKeySnapshot> keys = keys_.Get();
  const TokenVerifier& verifier = fixed_verifier_ != nullptr ? *fixed_verifier_ : keys->verifier();
  absl::StatusOr<TokenClaims> claims = VerifyClaims(verifier, token, options_.audience, now);
  if (!claims.ok()) {
    return absl::UnauthenticatedError(std::string("access token rejected: ") +
                                      std::string(claims.status().message()));
  }
  if (!ValidateUuid(claims->subject, "subject").ok() ||
      !ValidateUuid(claims->extra, "session").ok()) {
    return absl::UnauthenticatedError("access token rejected: not an accounts access token");
  }
  return AuthContext{claims->subject, claims->extra, claims->token_id};
}

absl::StatusOr<DecodedRefreshToken> TokenIssuer::DecodeRefreshToken(std::string_view token) {
  if (token.empty()) return absl::InvalidArgumentError("refresh_token: required");
  if (token.size() > 128) return absl::InvalidArgumentError("refresh_token: too long");
  absl::StatusOr<std::string> raw = Base64UrlDecode(token);
  if (!raw.ok()) return absl::InvalidArgumentError("refresh_token: not base64url");
  if (raw->size() != kRefreshTokenBytes) {
    SecureZero(*raw);
    return absl::UnauthenticatedError("refresh token is not valid");
  }
  DecodedRefreshToken out;
  out.session_id = FormatUuid(std::string_view(*raw).substr(0, 16));
  out.raw = std::move(*raw);
  return out;
}

}  // namespace freehold::accounts
