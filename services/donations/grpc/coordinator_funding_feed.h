// Where the transparency page's storage cost comes from: the coordinator computes it
// (billing-free's cost model over the capacity actually provisioned, its funding
// monitor) and answers Funding.GetFundingStatus (public); this feed polls it and keeps
// the latest answer. Thread-safe.
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

class CoordinatorFundingFeed {
 public:
  // Figures older than `max_age` (the coordinator unreachable for that long) are not
  // shown.
  CoordinatorFundingFeed(std::shared_ptr<grpc::Channel> channel, absl::Duration max_age);
  ~CoordinatorFundingFeed();

  // Asks the coordinator now (deadline 5 s). UNAVAILABLE etc. as the call fails
  // (the previous figures stay until they are too old).
  absl::Status Refresh();
  // The latest figures, or nullopt if none are younger than max_age at `now`.
  std::optional<StorageFigures> Latest(absl::Time now) const;

 private:
  struct Stub;
  std::unique_ptr<Stub> stub_;
  const absl::Duration max_age_;
  mutable absl::Mutex mu_;
  std::optional<StorageFigures> latest_ ABSL_GUARDED_BY(mu_);
  absl::Time fetched_at_ ABSL_GUARDED_BY(mu_);
};

}  // namespace freehold::donations
