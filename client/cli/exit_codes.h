// Exit codes of the `freehold` CLI and how a failed absl::Status maps to one.
// Scripts rely on these; they are listed in `freehold --help`.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace freehold::cli {

enum class ExitCode : int {
  kOk = 0,
  kFailure = 1,      // anything else (corrupt data, server error, local I/O)
  kUsage = 2,        // bad command line or ambiguous argument
  kAuth = 3,         // not logged in, wrong password, session expired, not allowed
  kNotFound = 4,     // no such object, file, handle or link target
  kUnavailable = 5,  // cluster unreachable or too many storage nodes down (retry later)
  kRefused = 6,      // admission refused/throttled the write, or no space (server or local)
  kDataLost = 7,     // fewer than k shards of a segment exist anywhere: the data is gone
};

// The text shown by --help.
std::string ExitCodeHelp();

// A usage error (exit 2): INVALID_ARGUMENT tagged so that it is not confused
// with a server's INVALID_ARGUMENT.
absl::Status UsageError(absl::string_view message);
bool IsUsageError(const absl::Status& status);

// DATA_LOSS tagged as "the object's data is gone" (exit 7), as opposed to a corrupt
// download or a malformed key (DATA_LOSS, exit 1) and to data that is only unavailable
// while storage nodes are down (UNAVAILABLE, exit 5).
absl::Status DataLostError(absl::string_view message);
bool IsDataLost(const absl::Status& status);

// kOk for OK; kUsage for UsageError; kDataLost for DataLostError; otherwise by code:
// UNAUTHENTICATED, PERMISSION_DENIED -> kAuth; NOT_FOUND -> kNotFound;
// UNAVAILABLE, DEADLINE_EXCEEDED -> kUnavailable; RESOURCE_EXHAUSTED -> kRefused;
// anything else -> kFailure.
ExitCode ExitCodeFor(const absl::Status& status);

}  // namespace freehold::cli
