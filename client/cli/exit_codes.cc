#include "client/cli/exit_codes.h"

#include "absl/strings/cord.h"

namespace freehold::cli {
namespace {
constexpr absl::string_view kUsagePayload = "freehold.cli/usage";
constexpr absl::string_view kDataLostPayload = "freehold.cli/data-lost";
}  // namespace

std::string ExitCodeHelp() {
  return "Exit codes:\n"
         "  0  ok\n"
         "  1  failure (corrupt data, server error, local I/O error)\n"
         "  2  usage error (bad arguments; an ambiguous name: use the object ID)\n"
         "  3  authentication (not logged in, wrong password, session expired, not allowed)\n"
         "  4  not found (object, local file, handle)\n"
         "  5  unavailable (cluster unreachable or too many storage nodes down: retry later)\n"
         "  6  refused or full (the cluster is not admitting writes now, or no disk space)\n"
         "  7  data lost (too few shards of the object exist on any storage node)\n";
}

absl::Status UsageError(absl::string_view message) {
  absl::Status s = absl::InvalidArgumentError(message);
  s.SetPayload(kUsagePayload, absl::Cord("1"));
  return s;
}

bool IsUsageError(const absl::Status& status) {
  return status.code() == absl::StatusCode::kInvalidArgument &&
         status.GetPayload(kUsagePayload).has_value();
}

absl::Status DataLostError(absl::string_view message) {
  absl::Status s = absl::DataLossError(message);
  s.SetPayload(kDataLostPayload, absl::Cord("1"));
  return s;
}

bool IsDataLost(const absl::Status& status) {
  return status.code() == absl::StatusCode::kDataLoss &&
         status.GetPayload(kDataLostPayload).has_value();
}

ExitCode ExitCodeFor(const absl::Status& status) {
  if (status.ok()) return ExitCode::kOk;
  if (IsUsageError(status)) return ExitCode::kUsage;
  if (IsDataLost(status)) return ExitCode::kDataLost;
  switch (status.code()) {
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kPermissionDenied:
      return ExitCode::kAuth;
    case absl::StatusCode::kNotFound:
      return ExitCode::kNotFound;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
      return ExitCode::kUnavailable;
    case absl::StatusCode::kResourceExhausted:
      return ExitCode::kRefused;
    default:
      return ExitCode::kFailure;
  }
}

}  // namespace freehold::cli
