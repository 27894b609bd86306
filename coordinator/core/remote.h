// Clients of other processes the coordinator calls, as seams (gRPC
// implementations live in coordinator/grpc). All are thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace freehold::coordinator {

// Storage daemons (freehold-storaged).
class StorageNodeClient {
 public:
  virtual ~StorageNodeClient() = default;
  // Deletes a shard with a signed DELETE grant. OK also when the shard was not
  // there; UNAVAILABLE / DEADLINE_EXCEEDED when the node cannot be reached.
  virtual absl::Status DeleteShard(const std::string& address, const std::string& grant,
                                   absl::Duration timeout) = 0;
};

struct DeletedAccountEvent {
  int64_t sequence = 0;
  std::string account_id;
};

// The accounts deletion outbox (Accounts.ListDeletedAccounts / AckDeletedAccounts).
class DeletedAccountsFeed {
 public:
  virtual ~DeletedAccountsFeed() = default;
  // Events with sequence > after_sequence, ascending, at most `limit`.
  virtual absl::StatusOr<std::vector<DeletedAccountEvent>> List(int64_t after_sequence,
                                                                int limit) = 0;
  // Tells accounts every event up to `up_to_sequence` is handled.
  virtual absl::Status Ack(int64_t up_to_sequence) = 0;
};

struct TrashedAccountEvent {
  enum class Action { kTrash, kRestore };
  int64_t sequence = 0;
  std::string account_id;
  Action action = Action::kTrash;
  // kTrash: when accounts collects the account (deletion outbox) unless it is renewed.
  absl::Time collect_at = absl::UnixEpoch();
};

// The accounts trashed-accounts outbox (Accounts.ListTrashedAccounts /
// AckTrashedAccounts): commit-ordered, so a RESTORE never precedes its TRASH.
class TrashedAccountsFeed {
 public:
  virtual ~TrashedAccountsFeed() = default;
  // Events with sequence > after_sequence, ascending, at most `limit`.
  virtual absl::StatusOr<std::vector<TrashedAccountEvent>> List(int64_t after_sequence,
                                                                int limit) = 0;
  // Tells accounts every event up to `up_to_sequence` is handled.
  virtual absl::Status Ack(int64_t up_to_sequence) = 0;
};

struct RevokedSessionEvent {
  int64_t sequence = 0;
  std::string session_id;       // the `extra` claim of the session's access tokens
  absl::Time tokens_expire_by;  // no access token of the session is valid after this
};

// Ended sessions (Accounts.ListRevokedSessions).
class RevokedSessionsFeed {
 public:
  virtual ~RevokedSessionsFeed() = default;
  // Events with sequence > after_sequence, ascending, at most `limit`; sequences are in
  // commit order (a smaller one never appears after a larger one was listed).
  virtual absl::StatusOr<std::vector<RevokedSessionEvent>> List(int64_t after_sequence,
                                                                int limit) = 0;
};

}  // namespace freehold::coordinator
