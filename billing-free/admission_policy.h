// AdmissionPolicy: the coordinator asks it, for every new write (an upload
// grant for new data), whether to admit, delay or refuse it. It holds the
// latest AdmissionAssessment (admission_assessment.h) and, while THROTTLED, one
// token bucket per account whose rate is the assessment's per-account limit.
//
// Reads, downloads, deletes, repair, rebalance, draining and audits must NOT be
// passed through Decide: admission only ever slows or refuses new data, never
// access to stored data or the work that keeps it alive.
//
// Mapping to gRPC (done by the coordinator's service layer): kAdmit -> proceed;
// kDelay -> RESOURCE_EXHAUSTED with the message (which includes the retry-after)
// and retry_after as a RetryInfo / "retry-after" trailer; kRefuse ->
// RESOURCE_EXHAUSTED with the message. ToStatus() produces the status part.
//
// Thread-safety: all methods may be called concurrently.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "billing-free/admission_assessment.h"
#include "billing-free/funding_model.h"

namespace freehold::funding {

enum class AdmissionVerdict { kAdmit, kDelay, kRefuse };

struct AdmissionDecision {
  AdmissionVerdict verdict = AdmissionVerdict::kAdmit;
  AdmissionState state = AdmissionState::kOpen;
  AdmissionReason reason = AdmissionReason::kNone;
  // kDelay: try again after this long (whole seconds, >= 1 s). Zero otherwise.
  absl::Duration retry_after;
  // kDelay/kRefuse: why, and how to help (donation URL). kAdmit while
  // throttled: the throttle message, which the client may show as a notice.
  // Empty when open.
  std::string message;

  // OK for kAdmit; RESOURCE_EXHAUSTED(message) for kDelay and kRefuse.
  absl::Status ToStatus() const;
};

class AdmissionPolicy {
 public:
  // `config` must pass ValidateAdmissionConfig (checked; a bad config aborts,
  // so validate it at start-up). Until the first Update the policy is OPEN.
  explicit AdmissionPolicy(AdmissionConfig config);

  AdmissionPolicy(const AdmissionPolicy&) = delete;
  AdmissionPolicy& operator=(const AdmissionPolicy&) = delete;

  // Recomputes the assessment from fresh figures (call it whenever they
  // change, e.g. every few seconds). Existing buckets keep their tokens,
  // refilled at the old rate up to `now`, and take the new rate; leaving the
  // THROTTLED state drops all buckets.
  void Update(const FundingOutlook& outlook, const StorageUsage& usage, const RecentWrites& recent,
              absl::Time now);

  // Decides one write of `requested_bytes` new logical bytes by `account`.
  //   OPEN: admit. CLOSED: refuse (requests of 0 bytes are always admitted).
  //   THROTTLED: the account's bucket (created full, depth rate * burst)
  //   admits when it holds min(requested, depth) tokens and is charged the
  //   full request (so a request larger than the depth is admitted from a
  //   full bucket and leaves a debt); otherwise delay for the time the bucket
  //   needs to refill that much. A delayed request consumes nothing.
  // `now` must not go backwards per account (earlier times count as no time
  // passing).
  AdmissionDecision Decide(std::string_view account, uint64_t requested_bytes, absl::Time now);

  // A copy of the latest assessment (for metrics, logs and the status RPC).
  AdmissionAssessment assessment() const;

  // Number of accounts with a token bucket (bounded: full buckets are dropped
  // on Update, since a new bucket starts full anyway).
  size_t tracked_accounts() const;

 private:
  struct Bucket {
    double tokens = 0;
    absl::Time last;
  };
  void Refill(Bucket& bucket, double rate, absl::Time now) const;
  double Depth(double rate) const;

  const AdmissionConfig config_;
  mutable absl::Mutex mu_;
  AdmissionAssessment assessment_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, Bucket> buckets_ ABSL_GUARDED_BY(mu_);
};

}  // namespace freehold::funding
