// Where the transparency page's abuse and account-lifecycle counts come from: the
// coordinator's Abuse.GetAbuseCounts and accounts' GetLifecycleReport (both public,
// aggregate only). Polled with the coordinator's funding figures; each source is
// optional (a null channel) and each count set is dropped once older than
// `max_age`. Thread-safe.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <optional>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/donations/core/read_side.h"

namespace freehold::donations {

class AccountabilityFeed {
 public:
  AccountabilityFeed(std::shared_ptr<grpc::Channel> coordinator,
                     std::shared_ptr<grpc::Channel> accounts, absl::Duration max_age);
  ~AccountabilityFeed();

  // Asks both sources now (deadline 5 s each); the first failure is returned after
  // both were tried (the previous figures of a failed source stay until too old).
  // Returns true in *changed when a figure differs from the previous answer.
  absl::Status Refresh(bool* changed = nullptr);
  AccountabilityFigures Latest(absl::Time now) const;

 private:
  struct Stubs;
  std::unique_ptr<Stubs> stubs_;
  const absl::Duration max_age_;
  mutable absl::Mutex mu_;
  std::optional<AbuseFigures> abuse_ ABSL_GUARDED_BY(mu_);
  absl::Time abuse_at_ ABSL_GUARDED_BY(mu_);
  std::optional<LifecycleFigures> lifecycle_ ABSL_GUARDED_BY(mu_);
  absl::Time lifecycle_at_ ABSL_GUARDED_BY(mu_);
};

}  // namespace freehold::donations
