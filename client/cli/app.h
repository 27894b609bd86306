// The `freehold` command line: flags (CLI11, with FREEHOLD_* environment
// fallbacks), dispatch to the commands, error display and exit codes.
#pragma once

namespace freehold::cli {

// Runs the CLI and returns the process exit code (exit_codes.h).
int RunApp(int argc, char** argv);

}  // namespace freehold::cli
