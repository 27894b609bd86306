// Command-line flags of freehold-coordinator (each with an env fallback
// FREEHOLD_<FLAG>), bound to CoordinatorConfig.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "coordinator/core/config.h"

namespace CLI {
class App;
}  // namespace CLI

namespace freehold::coordinator {

// "67108864", "64MiB", "64M", "1.5GiB", "4k" (powers of 1024). INVALID_ARGUMENT otherwise.
absl::StatusOr<uint64_t> ParseByteSize(const std::string& text);

void AddCoordinatorFlags(CLI::App& app, CoordinatorConfig* config);

}  // namespace freehold::coordinator
