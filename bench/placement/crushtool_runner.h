// Runs Ceph's crushtool as the reference for the placement benchmark: builds
// and compiles CRUSH maps, times `--test`, and reads `--show-mappings`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace freehold::placement::bench {

// Result of running a child process.
struct ChildRun {
  int exit_code = -1;
  double wall_seconds = 0;
  double cpu_seconds = 0;  // user + system of the child
};

// Runs argv[0] with argv (no shell), stdout to `stdout_path` ("" = /dev/null),
// stderr to `stderr_path`. INTERNAL if it cannot be started.
absl::StatusOr<ChildRun> RunChild(const std::vector<std::string>& argv,
                                  const std::string& stdout_path, const std::string& stderr_path);

// One host bucket of a CRUSH map: OSD ids and their weights (any unit).
struct CrushHost {
  std::vector<int> osds;
  std::vector<double> weights;
};

class Crushtool {
 public:
  // `binary`: path of crushtool; `dir`: scratch directory for maps and output.
  Crushtool(std::string binary, std::string dir)
      : binary_(std::move(binary)), dir_(std::move(dir)) {}

  // `crushtool --build --num_osds N host straw2 per_host root straw2 0`, then
  // replaces its rules by `step take root; step chooseleaf firstn 0 type
  // host; step emit` (rule id 0) and compiles. Returns the compiled map path.
  absl::StatusOr<std::string> BuildEqualMap(const std::string& name, int num_osds, int per_host);

  // Writes a map with these hosts (straw2 everywhere, weights as given) and
  // the same rule, compiles it and returns the compiled map path.
  absl::StatusOr<std::string> CompileMap(const std::string& name,
                                         const std::vector<CrushHost>& hosts);

  // Times `--test --rule 0 --num-rep R --min-x 0 --max-x N-1` with no output
  // (crushtool still computes every mapping), minus the start-up cost.
  absl::StatusOr<ChildRun> TimeMappings(const std::string& map, int replicas, int64_t count);

  // `--show-mappings` for x in [0, count): mappings[x * replicas + i] is the
  // OSD at position i of input x. FAILED_PRECONDITION if a line has fewer
  // than `replicas` OSDs.
  absl::StatusOr<std::vector<int>> Mappings(const std::string& map, int replicas, int64_t count);

 private:
  absl::Status Run(const std::vector<std::string>& args, const std::string& stdout_path = "");
  absl::StatusOr<std::string> AddRuleAndCompile(const std::string& name, std::string text);

  std::string binary_;
  std::string dir_;
};

}  // namespace freehold::placement::bench
