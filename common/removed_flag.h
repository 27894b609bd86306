// Flags that were removed, refused loudly instead of being half-obeyed.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace freehold {

// A flag that was removed: given on the command line it fails parsing (exit 2 through
// ParseOrExit, common/config.h) with "NAME: this flag was removed: <replacement>", so an
// old unit file or script stops and says what to do instead. Hidden from --help; no
// environment variable is read for it. Returns the option.
CLI::Option* AddRemovedFlag(CLI::App& app, const std::string& name,
                            const std::string& replacement);

}  // namespace freehold
