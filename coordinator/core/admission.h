// Admission seam (docs/ARCHITECTURE.md#12-funding-and-admission): instead of quotas, BeginSegment
// asks an AdmissionController whether a write may proceed. The production controller is
// PolicyAdmission (policy_admission.h) over billing-free's AdmissionPolicy; AlwaysAdmit accepts
// every write (tests that are not about admission).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace freehold::coordinator {

struct WriteRequest {
  std::string account_id;
  std::string object_id;
  uint64_t logical_bytes = 0;  // payload bytes of the segment
  uint64_t raw_bytes = 0;      // shard bytes of the segment (k+m shards)
};

// Thread-safe. Only new writes pass through it: reads, deletes, repair,
// draining and audits never do.
class AdmissionController {
 public:
  virtual ~AdmissionController() = default;
  // OK to admit; RESOURCE_EXHAUSTED with a human message (why, and how to help)
  // when the write is refused or delayed. A delayed write carries the wait as a
  // payload (WithRetryAfter / RetryAfterOf), which the gRPC layer sends as the
  // "retry-after" (seconds) and "retry-after-ms" trailing metadata.
  virtual absl::Status AdmitWrite(const WriteRequest& request) = 0;
};

class AlwaysAdmit : public AdmissionController {
 public:
  absl::Status AdmitWrite(const WriteRequest&) override { return absl::OkStatus(); }
};

// Attaches / reads the "try again after" hint of a RESOURCE_EXHAUSTED status
// (payload type URL kRetryAfterPayloadUrl, whole milliseconds as decimal text).
inline constexpr absl::string_view kRetryAfterPayloadUrl = "type.freehold.dev/retry-after-ms";
absl::Status WithRetryAfter(absl::Status status, absl::Duration retry_after);
std::optional<absl::Duration> RetryAfterOf(const absl::Status& status);

}  // namespace freehold::coordinator
