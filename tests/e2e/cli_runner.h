// Runs the real `freehold` binary as one user would: its own config dir and
// password, the cluster's addresses from the environment, stdout and stderr
// captured. FREEHOLD_ALLOW_WEAK_KDF=1 matches the test accounts service.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace freehold::e2e {

struct CliResult {
  int exit_code = -1;
  std::string out;               // stdout
  std::string err;               // stderr
  std::string Describe() const;  // for assertion messages
};

class CliUser {
 public:
  // `ca_file`: the cluster's CA (FREEHOLD_CA_FILE); the CLI speaks TLS (without
  // it, verified against the system trust store).
  CliUser(std::string accounts, std::string coordinator, std::string password,
          std::string ca_file = "");
  const std::string& config_dir() const { return config_dir_; }
  const std::string& work_dir() const { return dir_.path(); }
  std::string File(const std::string& name) const { return dir_.File(name); }
  void set_password(std::string p) { password_ = std::move(p); }

  // Runs `freehold args...`; `env` adds or overrides variables.
  CliResult Run(const std::vector<std::string>& args,
                const std::vector<std::pair<std::string, std::string>>& env = {},
                absl::Duration timeout = absl::Seconds(120)) const;
  // Starts `freehold args...` without waiting (to kill it mid-transfer);
  // stdout goes to `stdout_path`, stderr to the Process's file.
  absl::StatusOr<std::unique_ptr<testing::Process>> Start(const std::vector<std::string>& args,
                                                          const std::string& stdout_path) const;

 private:
  testing::TempDir dir_{"freehold-e2e-user-"};
  std::string config_dir_;
  std::string accounts_, coordinator_, password_, ca_file_;
  mutable int runs_ = 0;
};

// A password for `handle` that passes the CLI's strength check (zxcvbn, at least
// 40 bits) and differs per handle.
inline std::string TestPassword(const std::string& handle) {
  return "e2e " + handle + " plum-Vortex-83 quilt";
}

// Runs any binary with arguments; for `age`.
CliResult RunTool(const std::string& binary, const std::vector<std::string>& args,
                  const std::string& scratch_dir, absl::Duration timeout = absl::Seconds(60));

// Random bytes (deterministic for a seed) written to `path`; returns them.
std::string WriteRandomFile(const std::string& path, size_t size, uint32_t seed);
std::string ReadFile(const std::string& path);

// The access token of a logged-in user (from its session file); empty if none.
std::string AccessToken(const CliUser& user);

}  // namespace freehold::e2e
