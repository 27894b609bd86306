// Storage seam of the accounts service. The PostgreSQL implementation lives in
// accounts_pg (pg_account_repository.h). Implementations are thread-safe. Every
// method may also return UNAVAILABLE (database down; safe to retry) or INTERNAL.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/accounts/core/types.h"

namespace freehold::accounts {

struct AccountRecord {
  std::string account_id;
  std::string handle;  // normalized
  Credentials credentials;
  std::string public_key;
  std::optional<std::string> contact;
  absl::Time created_at;
  bool deleted = false;  // deleted accounts keep only id, handle and times
  // The liveness lease (core/account_lifecycle.h): the last renewal, and whether the
  // account was warned or trashed for silence since.
  absl::Time last_seen_at;
  bool lease_lapsed = false;
};

// A login, recovery or refresh renews the account's liveness lease at most once per
// AccountsOptions::lease_renew_interval (one write per account per day by default), or
// at once when the account was warned or trashed. True if a use at `now` must write it.
inline bool LeaseNeedsRenewal(absl::Time last_seen_at, bool lease_lapsed, absl::Time now,
                              absl::Duration renew_interval) {
  return lease_lapsed || last_seen_at <= now - renew_interval;
}

// A session (refresh-token family) to create together with its first refresh token.
struct NewSession {
  std::string session_id;
  std::string account_id;
  std::string device_name;
  std::string refresh_hash;  // HashRefreshToken(first token)
  absl::Time now;
  absl::Time expires_at;  // refresh token / session expiry
};

struct SessionRecord {
  std::string session_id;
  std::string device_name;
  absl::Time created_at;
  absl::Time last_used_at;
};

struct LoginLookup {
  AccountRecord account;
  bool session_created = false;
};

enum class RefreshOutcome {
  kRotated,  // the old token is now spent; the new one is live
  kUnknown,  // no such token
  kReused,   // a spent token was presented: the whole session was revoked just now
  kExpired,  // the token or its session expired
  kRevoked,  // the session was already revoked (logout, password change, ...)
};

// How long after a refresh its predecessor token may be presented again (the retry of a
// refresh whose answer was lost in a failover) without counting as reuse.
inline constexpr absl::Duration kRefreshRetryGrace = absl::Seconds(60);

struct RefreshResult {
  RefreshOutcome outcome = RefreshOutcome::kUnknown;
  std::string account_id;
  std::string session_id;
  // The account's lease as it was (kRotated only).
  absl::Time last_seen_at;
  bool lease_lapsed = false;
};

class AccountRepository {
 public:
  virtual ~AccountRepository() = default;

  // nullopt if no account (deleted ones are returned with deleted = true).
  virtual absl::StatusOr<std::optional<AccountRecord>> FindByHandle(const std::string& handle) = 0;
  virtual absl::StatusOr<std::optional<AccountRecord>> FindById(const std::string& account_id) = 0;

  // ALREADY_EXISTS if the handle (normalized) is taken, also by a deleted account.
  virtual absl::Status CreateAccount(const AccountRecord& account) = 0;

  // Login in one atomic step: loads the live account `handle` and creates `session`
  // (its account_id is ignored: the account's is used) only if the stored verifier
  // equals `verifier`. Implementations must not compare the raw verifiers with an
  // early-exit comparison (PostgreSQL compares SHA-256 digests of both, which reveals
  // nothing); callers still compare in constant time and treat that as authoritative.
  // nullopt if there is no live account with that handle.
  virtual absl::StatusOr<std::optional<LoginLookup>> LoginAndCreateSession(
      const std::string& handle, const std::string& verifier, const NewSession& session) = 0;

  // Atomically: look up session `session_id` (from the presented token); if `old_hash`
  // equals its live token hash (constant-time comparison), record it as spent and make
  // `new_hash` (expiring at `new_expires_at`) the live one. If `old_hash` is the token
  // spent last, at most kRefreshRetryGrace ago, the call is taken as the retry of a
  // refresh whose answer was lost: the live token (never presented) is spent too and
  // `new_hash` becomes the live one (kRotated). If `old_hash` is any other of that
  // session's spent tokens, the session is revoked (kReused); any other hash (a forged
  // or altered token) is kUnknown and changes nothing.
  virtual absl::StatusOr<RefreshResult> RotateRefreshToken(const std::string& session_id,
                                                           const std::string& old_hash,
                                                           const std::string& new_hash,
                                                           absl::Time new_expires_at,
                                                           absl::Time now) = 0;

  // True if the session exists for that account, is not revoked or expired, and the
  // account is not deleted.
  // Renews the liveness lease of the live account: last_seen_at = now, warning and trash
  // cleared (counted as "renewed" if either was set), unless it was renewed less than
  // `stale_before` or later and neither is set (then nothing is written). A deleted or
  // unknown account is left alone (OK).
  virtual absl::Status RenewLease(const std::string& account_id, absl::Time now,
                                  absl::Time stale_before) = 0;

  virtual absl::StatusOr<bool> IsSessionActive(const std::string& account_id,
                                               const std::string& session_id, absl::Time now) = 0;
  // NOT_FOUND if no active session with that id belongs to the account.
  virtual absl::Status RevokeSession(const std::string& account_id, const std::string& session_id,
                                     const std::string& reason, absl::Time now) = 0;
  // Active sessions, newest first.
  virtual absl::StatusOr<std::vector<SessionRecord>> ListActiveSessions(
      const std::string& account_id, absl::Time now) = 0;

  // In one transaction: if `expected_verifier` is non-empty and differs from the stored
  // one, FAILED_PRECONDITION (a concurrent change won); otherwise replaces the
  // credentials, revokes every session of the account except `keep_session_id` (may be
  // empty) and, if given, creates `new_session`. NOT_FOUND if the account is deleted.
  virtual absl::Status ReplaceCredentials(const std::string& account_id,
                                          const Credentials& credentials,
                                          const std::string& expected_verifier,
                                          const std::string& keep_session_id,
                                          const std::optional<NewSession>& new_session,
                                          const std::string& reason, absl::Time now) = 0;

  // In one transaction: if the stored verifier differs from `expected_verifier`,
  // FAILED_PRECONDITION (a concurrent change won); otherwise replaces the credentials
  // and leaves every session alone (a KDF upgrade under the same password). NOT_FOUND
  // if the account is deleted.
  virtual absl::Status UpgradeCredentials(const std::string& account_id,
                                          const Credentials& credentials,
                                          const std::string& expected_verifier,
                                          absl::Time now) = 0;

  virtual absl::Status SaveRecoveryChallenge(const std::string& challenge_hash,
                                             const std::string& account_id,
                                             absl::Time expires_at) = 0;
  // Marks the challenge used. NOT_FOUND if unknown, for another account, already used
  // or expired.
  virtual absl::Status ConsumeRecoveryChallenge(const std::string& challenge_hash,
                                                const std::string& account_id, absl::Time now) = 0;

  // In one transaction: marks the account deleted and wipes its credentials, public key
  // and contact; revokes every session; appends an outbox row. Returns the outbox
  // sequence. NOT_FOUND if there is no live account with that id.
  virtual absl::StatusOr<int64_t> DeleteAccount(const std::string& account_id, absl::Time now) = 0;
  // Outbox rows with sequence > after_sequence, ascending, at most `limit`.
  virtual absl::StatusOr<std::vector<DeletedAccountInfo>> ListDeletedAccounts(
      int64_t after_sequence, int limit) = 0;
  // Records that `consumer` processed everything up to `up_to_sequence` (never moves
  // backwards).
  virtual absl::Status AckDeletedAccounts(const std::string& consumer, int64_t up_to_sequence,
                                          absl::Time now) = 0;

  // Ended sessions with sequence > after_sequence, ascending, at most `limit`. Every
  // session whose revocation committed is listed (recorded in the same transaction by
  // the database), and in commit order: once sequence N is seen, no row with a smaller
  // sequence appears later. tokens_expire_by is left unset.
  virtual absl::StatusOr<std::vector<RevokedSessionInfo>> ListRevokedSessions(
      int64_t after_sequence, int limit) = 0;

  virtual absl::StatusOr<int64_t> CountActiveSessions(absl::Time now) = 0;
  // Removes sessions (with their refresh tokens) that expired or were revoked more than
  // `retention` ago, expired recovery challenges and ended-session records older than
  // `retention`, and login-throttle counters idle and unblocked for `retention`. Returns
  // rows removed.
  virtual absl::StatusOr<int64_t> PurgeExpired(absl::Time now, absl::Duration retention) = 0;
};

}  // namespace freehold::accounts
