// Running real Freehold binaries as child processes in tests.
//
//   ASSERT_OK_AND_ASSIGN(int port, PickFreePort());
//   ASSERT_OK_AND_ASSIGN(auto storaged, Process::Start({
//       .binary = BinaryPath("freehold-storaged"),
//       .args = {"--listen", "127.0.0.1:" + std::to_string(port)},
//       .env = {{"FREEHOLD_PG_URL", db_url()}}}));
//   ASSERT_OK(storaged->WaitForServing("127.0.0.1:" + std::to_string(port), absl::Seconds(10)));
//   storaged->KillHard();                                // crash test (SIGKILL)
//   ASSERT_OK_AND_ASSIGN(int code, storaged->Stop());    // SIGTERM, then SIGKILL after grace
//
// Children get PR_SET_PDEATHSIG(SIGKILL), so they die with the test process. The signal
// follows the *thread* that started the child: start children from the test's own
// thread (or one that outlives them), not from a short-lived worker thread.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/grpc_server.h"

namespace freehold::testing {

struct ProcessOptions {
  std::string binary;             // absolute path (see BinaryPath)
  std::vector<std::string> args;  // argv[1..]
  // Added to (or overriding) the inherited environment; unless !inherit_env.
  std::vector<std::pair<std::string, std::string>> env;
  bool inherit_env = true;
  // Where stderr / stdout go. Empty stderr_path: a new file in a temp dir, deleted with
  // the Process unless the current test has failed. Empty stdout_path: the stderr file.
  std::string stderr_path;
  std::string stdout_path;
  std::string working_dir;  // empty: inherit
};

// Absolute path of a binary built into ${CMAKE_BINARY_DIR}/bin (env FREEHOLD_BIN_DIR
// overrides the compiled-in directory).
std::string BinaryPath(const std::string& name);

// A loopback TCP port that was free a moment ago: chosen above the kernel's
// ephemeral range where possible (so no concurrent outgoing connection takes it
// before the server binds), else whatever binding port 0 gives.
absl::StatusOr<int> PickFreePort();

class Process {
 public:
  // fork+exec; NOT_FOUND if the binary doesn't exist or isn't executable.
  static absl::StatusOr<std::unique_ptr<Process>> Start(ProcessOptions options);
  ~Process();  // Stop() if still running

  pid_t pid() const { return pid_; }
  const std::string& stderr_path() const { return stderr_path_; }
  std::string ReadStderr() const;

  // True if the child has not exited (reaps it if it has).
  bool Running();
  // Exit code if it exited normally, 128+signal if killed; only valid once !Running().
  int exit_code() const { return exit_code_; }

  // Waits until a line of stderr contains `substring`; returns that line.
  // DEADLINE_EXCEEDED on timeout, FAILED_PRECONDITION if the process exits first
  // (messages include the tail of stderr).
  absl::StatusOr<std::string> WaitForStderrLine(const std::string& substring,
                                                absl::Duration timeout);
  // Polls gRPC health at `address` until SERVING; fails early if the process exits.
  absl::Status WaitForServing(const std::string& address, absl::Duration timeout,
                              const ClientTlsOptions& tls = {});
  // Waits for exit without signalling; DEADLINE_EXCEEDED if still running after `timeout`.
  absl::StatusOr<int> Wait(absl::Duration timeout);

  // SIGTERM, wait up to `grace`, then SIGKILL. Returns exit_code().
  absl::StatusOr<int> Stop(absl::Duration grace = absl::Seconds(5));
  // SIGKILL (crash simulation) and reap.
  void KillHard();
  // Sends an arbitrary signal (e.g. SIGSTOP to freeze a node).
  void Signal(int sig);

 private:
  Process() = default;
  void Reap(bool block);

  pid_t pid_ = -1;
  bool exited_ = false;
  int exit_code_ = -1;
  std::string stderr_path_;
  bool owns_log_dir_ = false;  // removed on destruction unless the test failed
};

}  // namespace freehold::testing
