// Human-readable sizes, rates, durations and times for the CLI's output.
#pragma once

#include <cstdint>
#include <string>

#include "absl/time/time.h"

namespace freehold::cli {

// 0 B, 1023 B, 1.0 KiB, 64.0 KiB, 1.5 GiB (powers of 1024).
std::string HumanBytes(uint64_t bytes);
// "85.2 MiB/s".
std::string HumanRate(double bytes_per_second);
// "0:07", "12:34", "1:02:03"; "--:--" for an infinite or negative duration.
std::string HumanDuration(absl::Duration d);
// Local time "2024-01-02 15:04"; "-" for 0.
std::string HumanTime(int64_t unix_nanos);
// RFC 3339 UTC for JSON; "" for 0.
std::string IsoTime(int64_t unix_nanos);

}  // namespace freehold::cli
