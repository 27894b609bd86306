// The deny list of ended sessions (docs/ARCHITECTURE.md#14-trust): access tokens are
// verified offline, so the tokens of a session that ended (logout, password change,
// recovery, account deletion, session revocation) would keep working until they
// expire. freehold-accounts records every ended session; the coordinator polls that
// record every --revocation-poll-interval and AccessTokenVerifier refuses the tokens of
// listed sessions with UNAUTHENTICATED "session ended".
//
// An entry is kept until the longest access token of its session could have expired
// (tokens_expire_by from accounts, plus the verification clock skew), then pruned, so
// the list holds at most the sessions ended during the last access-token lifetime.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include <unordered_map>
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "coordinator/core/remote.h"

namespace freehold::coordinator {

// Thread-safe.
class SessionDenyList {
 public:
  // `skew`: the clock skew VerifyClaims allows past a token's expiry.
  explicit SessionDenyList(absl::Duration skew = absl::Seconds(30)) : skew_(skew) {}

  // Denies `session_id` (compared case-insensitively) until tokens_expire_by + skew.
  void Add(std::string_view session_id, absl::Time tokens_expire_by);
  // True if the session is listed and its tokens could still be valid at `now`.
  bool Contains(std::string_view session_id, absl::Time now) const;
  // Removes entries whose tokens have all expired at `now`; returns how many.
  int Prune(absl::Time now);
  size_t size() const;

 private:
  const absl::Duration skew_;
  mutable absl::Mutex mu_;
  std::unordered_map<std::string, absl::Time> until_ ABSL_GUARDED_BY(mu_);
};

// Copies the accounts record of ended sessions into a SessionDenyList. Not
// thread-safe: one thread calls PollOnce.
class SessionRevocationPoller {
 public:
  static constexpr int kPageSize = 500;
  static constexpr int kMaxPagesPerPoll = 100;

  SessionRevocationPoller(RevokedSessionsFeed& feed, SessionDenyList& list, Clock& clock)
      : feed_(feed), list_(list), clock_(clock) {}

  // Reads every event after the cursor (up to kMaxPagesPerPoll pages), adds them,
  // advances the cursor, prunes expired entries. On an error the events read so far
  // are kept and the next poll resumes after them.
  absl::Status PollOnce();
  int64_t cursor() const { return cursor_; }
  // When the last poll that reached the end of the record finished (InfinitePast
  // before the first).
  absl::Time caught_up_at() const { return caught_up_at_; }

 private:
  RevokedSessionsFeed& feed_;
  SessionDenyList& list_;
  Clock& clock_;
  int64_t cursor_ = 0;
  absl::Time caught_up_at_ = absl::InfinitePast();
};

}  // namespace freehold::coordinator
