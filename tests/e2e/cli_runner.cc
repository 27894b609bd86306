#include "tests/e2e/cli_runner.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "tests/support/process.h"

namespace freehold::e2e {
namespace {

CliResult RunProcess(testing::ProcessOptions options, const std::string& out_path,
                     absl::Duration timeout) {
  CliResult r;
  options.stdout_path = out_path;
  const std::string err_path = options.stderr_path;
  absl::StatusOr<std::unique_ptr<testing::Process>> p = testing::Process::Start(options);
  if (!p.ok()) {
    r.err = p.status().ToString();
    return r;
  }
  absl::StatusOr<int> code = (*p)->Wait(timeout);
  if (!code.ok()) {
    (*p)->KillHard();
    r.err = absl::StrCat("timed out: ", code.status().ToString(), "\n");
  } else {
    r.exit_code = *code;
  }
  r.out = ReadFile(out_path);
  r.err += ReadFile(err_path);
  return r;
}

}  // namespace

std::string CliResult::Describe() const {
  return absl::StrCat("exit ", exit_code, "\n--- stdout:\n", out, "--- stderr:\n", err);
}

CliUser::CliUser(std::string accounts, std::string coordinator, std::string password,
                 std::string ca_file)
    : config_dir_(dir_.File("config")),
      accounts_(std::move(accounts)),
      coordinator_(std::move(coordinator)),
      password_(std::move(password)),
      ca_file_(std::move(ca_file)) {}

CliResult CliUser::Run(const std::vector<std::string>& args,
                       const std::vector<std::pair<std::string, std::string>>& env,
                       absl::Duration timeout) const {
  const int n = ++runs_;
  testing::ProcessOptions o;
  o.binary = testing::BinaryPath("freehold");
  o.args = args;
  o.env = {{"FREEHOLD_CONFIG_DIR", config_dir_},
           {"FREEHOLD_PASSWORD", password_},
           {"FREEHOLD_ACCOUNTS_ADDR", accounts_},
           {"FREEHOLD_COORDINATOR_ADDR", coordinator_},
           {"FREEHOLD_CA_FILE", ca_file_},
           {"FREEHOLD_ALLOW_WEAK_KDF", "1"}};
  for (const auto& kv : env) o.env.push_back(kv);
  o.stderr_path = dir_.File(absl::StrCat("run-", n, ".err"));
  o.working_dir = dir_.path();
  return RunProcess(std::move(o), dir_.File(absl::StrCat("run-", n, ".out")), timeout);
}

absl::StatusOr<std::unique_ptr<testing::Process>> CliUser::Start(
    const std::vector<std::string>& args, const std::string& stdout_path) const {
  const int n = ++runs_;
  testing::ProcessOptions o;
  o.binary = testing::BinaryPath("freehold");
  o.args = args;
  o.env = {{"FREEHOLD_CONFIG_DIR", config_dir_},
           {"FREEHOLD_PASSWORD", password_},
           {"FREEHOLD_ACCOUNTS_ADDR", accounts_},
           {"FREEHOLD_COORDINATOR_ADDR", coordinator_},
           {"FREEHOLD_CA_FILE", ca_file_},
           {"FREEHOLD_ALLOW_WEAK_KDF", "1"}};
  o.stderr_path = dir_.File(absl::StrCat("run-", n, ".err"));
  o.stdout_path = stdout_path;
  o.working_dir = dir_.path();
  return testing::Process::Start(std::move(o));
}

CliResult RunTool(const std::string& binary, const std::vector<std::string>& args,
                  const std::string& scratch_dir, absl::Duration timeout) {
  static int runs = 0;
  const int n = ++runs;
  testing::ProcessOptions o;
  o.binary = binary;
  o.args = args;
  o.stderr_path = absl::StrCat(scratch_dir, "/tool-", n, ".err");
  return RunProcess(std::move(o), absl::StrCat(scratch_dir, "/tool-", n, ".out"), timeout);
}

std::string WriteRandomFile(const std::string& path, size_t size, uint32_t seed) {
  std::mt19937_64 rng(seed);
  std::string data(size, '\0');
  for (size_t i = 0; i < size; i += 8) {
    uint64_t v = rng();
    for (size_t j = 0; j < 8 && i + j < size; ++j) data[i + j] = static_cast<char>(v >> (8 * j));
  }
  std::ofstream(path, std::ios::binary).write(data.data(), static_cast<std::streamsize>(size));
  return data;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string AccessToken(const CliUser& user) {
  nlohmann::json j =
      nlohmann::json::parse(ReadFile(user.config_dir() + "/session.json"), nullptr, false);
  if (j.is_discarded() || !j.contains("access_token")) return "";
  return j["access_token"].get<std::string>();
}

}  // namespace freehold::e2e
