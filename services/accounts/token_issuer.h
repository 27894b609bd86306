// Issues and verifies access tokens (common/signed_token.h claims: audience, subject =
// account id, token id, scopes, issued/expiry; `extra` = session id) and mints refresh
// tokens (32 random bytes, base64url; only their BLAKE2b hash is stored).
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/signed_token.h"
#include "services/accounts/accounts_options.h"
#include "services/accounts/types.h"

namespace freehold::accounts {

struct IssuedTokens {
  TokenPair tokens;
  std::string refresh_hash;  // HashRefreshToken of the refresh token's raw bytes
};

// Immutable, thread-safe. `signer`, `verifier` and `options` must outlive it.
class TokenIssuer {
 public:
  TokenIssuer(const TokenSigner& signer, const TokenVerifier& verifier,
              const AccountsOptions& options);

  // A fresh access token and refresh token for the session.
  IssuedTokens Issue(const std::string& account_id, const std::string& session_id,
                     absl::Time now) const;
  // Only the access token (and its expiry) for the session.
  std::pair<std::string, absl::Time> IssueAccessToken(const std::string& account_id,
                                                      const std::string& session_id,
                                                      absl::Time now) const;
  // Only a refresh token: {token, hash, expires_at} in an IssuedTokens with an empty
  // access token.
  IssuedTokens NewRefreshToken(absl::Time now) const;

  // Verifies signature, audience and expiry (no database). UNAUTHENTICATED otherwise.
  absl::StatusOr<AuthContext> VerifyAccessToken(std::string_view token, absl::Time now) const;

  // Raw bytes of a refresh token given by a client: INVALID_ARGUMENT if it is empty or
  // not base64url, UNAUTHENTICATED if it is not 32 bytes.
  static absl::StatusOr<std::string> DecodeRefreshToken(std::string_view token);

 private:
  const TokenSigner& signer_;
  const TokenVerifier& verifier_;
  const AccountsOptions& options_;
};

}  // namespace freehold::accounts
