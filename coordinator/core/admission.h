// Admission seam (DESIGN.md 6): instead of quotas, BeginSegment asks an
// AdmissionController whether a write may proceed. billing-free/ will provide
// the real policy (funded and physical capacity, fair-share throttling); until
// then AlwaysAdmit accepts every write.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"

namespace freehold::coordinator {

struct WriteRequest {
  std::string account_id;
  std::string object_id;
  uint64_t logical_bytes = 0;  // payload bytes of the segment
  uint64_t raw_bytes = 0;      // shard bytes of the segment (k+m shards)
};

// Thread-safe. Reads and deletes never pass through it.
class AdmissionController {
 public:
  virtual ~AdmissionController() = default;
  // OK to admit; RESOURCE_EXHAUSTED with a human message (why, and how to help)
  // when the write is refused or throttled.
  virtual absl::Status AdmitWrite(const WriteRequest& request) = 0;
};

class AlwaysAdmit : public AdmissionController {
 public:
  absl::Status AdmitWrite(const WriteRequest&) override { return absl::OkStatus(); }
};

}  // namespace freehold::coordinator
