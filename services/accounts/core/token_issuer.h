// Issues and verifies access tokens (common/signed_token.h claims: audience, subject =
// account id, token id, scopes, issued/expiry; `extra` = session id) and mints refresh
// tokens: base64url(session id (16 bytes) || 32 random bytes). The session id lets the
// server find the session by primary key; only BLAKE2b-256 of all 48 bytes is stored and
// it is compared in constant time, so a token with an altered session id or secret is
// simply unknown.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/signed_token.h"
#include "services/accounts/core/accounts_options.h"
#include "services/accounts/core/live_token_keys.h"
#include "services/accounts/core/types.h"

namespace freehold::accounts {

inline constexpr size_t kRefreshTokenBytes = 48;  // 16-byte session id + 32 random bytes

// A refresh token as presented by a client.
struct DecodedRefreshToken {
  std::string session_id;  // canonical UUID text from the first 16 bytes
  std::string raw;         // all 48 bytes (what HashRefreshToken hashes); secret
};

struct IssuedTokens {
  TokenPair tokens;
  std::string refresh_hash;  // HashRefreshToken of the refresh token's raw bytes
};

// Thread-safe. `keys` and `options` must outlive it.
class TokenIssuer {
 public:
  // Keys that may be replaced while serving (a re-read --signing-keys-file): each
  // token is signed by the key in force at its issue time and verified against the
  // keys in force when it is presented.
  TokenIssuer(const LiveTokenKeys& keys, const AccountsOptions& options);
  // Fixed keys (copied): `signer` signs, `verifier` verifies.
  TokenIssuer(const TokenSigner& signer, const TokenVerifier& verifier,
              const AccountsOptions& options);

  // A fresh access token and refresh token for the session. `roles` (the account's,
  // roles.h) are added to the configured scopes.
  IssuedTokens Issue(const std::string& account_id, const std::string& session_id,
                     absl::Time now, const std::vector<std::string>& roles = {}) const;
  // Only the access token (and its expiry) for the session.
  std::pair<std::string, absl::Time> IssueAccessToken(
      const std::string& account_id, const std::string& session_id, absl::Time now,
      const std::vector<std::string>& roles = {}) const;
  // Only a refresh token for `session_id` (a UUID): {token, hash, expires_at} in an
  // IssuedTokens with an empty access token.
  IssuedTokens NewRefreshToken(const std::string& session_id, absl::Time now) const;

  // Verifies signature, audience and expiry (no database). UNAUTHENTICATED otherwise.
  absl::StatusOr<AuthContext> VerifyAccessToken(std::string_view token, absl::Time now) const;

  // A refresh token given by a client: INVALID_ARGUMENT if it is empty, too long or not
  // base64url, UNAUTHENTICATED if it is not kRefreshTokenBytes long (this includes the
  // 32-byte tokens of earlier versions: their holders log in again).
  static absl::StatusOr<DecodedRefreshToken> DecodeRefreshToken(std::string_view token);

 private:
  std::unique_ptr<LiveTokenKeys> owned_keys_;  // fixed keys only
  const LiveTokenKeys& keys_;
  const AccountsOptions& options_;
  std::unique_ptr<TokenVerifier> fixed_verifier_;  // fixed keys only
};

}  // namespace freehold::accounts
