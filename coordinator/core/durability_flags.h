// Binds DurabilitySettings to freehold-coordinator's flags.
#pragma once

#include <CLI/CLI.hpp>

#include "coordinator/core/durability_config.h"

namespace freehold::coordinator {

void AddDurabilityFlags(CLI::App& app, DurabilitySettings* d);

}  // namespace freehold::coordinator
