// AccountRepository over PostgreSQL (schema "accounts", see migrations/). libpqxx
// exceptions never escape: common/pg.h maps them to statuses (unique violation ->
// ALREADY_EXISTS, connection loss -> UNAVAILABLE, ...).
#pragma once

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "common/pg.h"
#include "services/accounts/core/account_repository.h"

namespace freehold::accounts {

// Applies the embedded migrations of schema "accounts" (idempotent, safe concurrently).
absl::Status MigrateAccountsSchema(PgPool& pool);

// The pool options the repository needs: search_path "accounts" and its prepared
// statements. `connection_string` and `size` come from the caller.
PgPoolOptions AccountsPoolOptions(std::string connection_string, int size);

// Thread-safe. `pool` must be created with AccountsPoolOptions and outlive this object.
// Multi-statement operations run as PgPool transactions; single-statement hot paths
// (login, lookups, session checks) run in the pool's autocommit mode (TxMode::kAutocommit),
// one round trip each, on the same connections.
class PgAccountRepository : public AccountRepository {
 public:
  explicit PgAccountRepository(PgPool& pool);

  absl::StatusOr<std::optional<AccountRecord>> FindByHandle(const std::string& handle) override;
  absl::StatusOr<std::optional<AccountRecord>> FindById(const std::string& account_id) override;
  absl::Status CreateAccount(const AccountRecord& account) override;
  absl::StatusOr<std::optional<LoginLookup>> LoginAndCreateSession(
      const std::string& handle, const std::string& verifier, const NewSession& session) override;
  absl::StatusOr<RefreshResult> RotateRefreshToken(const std::string& session_id,
                                                   const std::string& old_hash,
                                                   const std::string& new_hash,
                                                   absl::Time new_expires_at,
                                                   absl::Time now) override;
  absl::Status RenewLease(const std::string& account_id, absl::Time now,
                          absl::Time stale_before) override;
  absl::StatusOr<bool> IsSessionActive(const std::string& account_id, const std::string& session_id,
                                       absl::Time now) override;
  absl::Status RevokeSession(const std::string& account_id, const std::string& session_id,
                             const std::string& reason, absl::Time now) override;
  absl::StatusOr<std::vector<SessionRecord>> ListActiveSessions(const std::string& account_id,
                                                                absl::Time now) override;
  absl::Status ReplaceCredentials(const std::string& account_id, const Credentials& credentials,
                                  const std::string& expected_verifier,
                                  const std::string& keep_session_id,
                                  const std::optional<NewSession>& new_session,
                                  const std::string& reason, absl::Time now) override;
  absl::Status UpgradeCredentials(const std::string& account_id, const Credentials& credentials,
                                  const std::string& expected_verifier, absl::Time now) override;
  absl::Status SaveRecoveryChallenge(const std::string& challenge_hash,
                                     const std::string& account_id, absl::Time expires_at) override;
  absl::Status ConsumeRecoveryChallenge(const std::string& challenge_hash,
                                        const std::string& account_id, absl::Time now) override;
  absl::StatusOr<int64_t> DeleteAccount(const std::string& account_id, absl::Time now) override;
  absl::StatusOr<std::vector<DeletedAccountInfo>> ListDeletedAccounts(int64_t after_sequence,
                                                                      int limit) override;
  absl::StatusOr<std::vector<RevokedSessionInfo>> ListRevokedSessions(int64_t after_sequence,
                                                                      int limit) override;
  absl::Status AckDeletedAccounts(const std::string& consumer, int64_t up_to_sequence,
                                  absl::Time now) override;
  absl::StatusOr<int64_t> CountActiveSessions(absl::Time now) override;
  absl::StatusOr<int64_t> PurgeExpired(absl::Time now, absl::Duration retention) override;

 private:
  PgPool& pool_;
};

}  // namespace freehold::accounts
