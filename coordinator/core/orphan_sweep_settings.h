// Settings of the orphan sweep (coordinator/core/orphan_sweep.h); part of
// CoordinatorConfig, bound to flags in flags.cc.
#pragma once

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace freehold::coordinator {

struct OrphanSweepSettings {
  absl::Duration interval = absl::Hours(24);  // --orphan-sweep-interval; 0 = never
  int page_keys = 1000000;                    // --orphan-sweep-page-keys, 1..10000000
  double fp_rate = 1e-3;                      // false-positive rate of each filter
  absl::Duration timeout = absl::Minutes(10);  // per SweepOrphans call
  absl::Status Validate() const;
};

}  // namespace freehold::coordinator
