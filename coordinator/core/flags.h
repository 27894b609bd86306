// Command-line flags of freehold-coordinator (each with an env fallback
// FREEHOLD_<FLAG>), bound to CoordinatorConfig.
#pragma once

#include "coordinator/core/config.h"

namespace CLI {
class App;
}  // namespace CLI

namespace freehold::coordinator {

void AddCoordinatorFlags(CLI::App& app, CoordinatorConfig* config);

}  // namespace freehold::coordinator
