// The real freehold-accounts binary as a test fixture: a private PostgreSQL database,
// a temporary directory for keys and the pepper, and a stub connected to the process.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/grpc_server.h"
#include "freehold/v1/accounts.grpc.pb.h"
#include "tests/support/postgres_harness.h"
#include "tests/support/process.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace freehold::accounts::testing {

using ::freehold::testing::Process;
using ::freehold::testing::TempDir;

// How to run freehold-accounts with `args` (and extra environment).
inline freehold::testing::ProcessOptions Options(
    std::vector<std::string> args, std::vector<std::pair<std::string, std::string>> env = {}) {
  freehold::testing::ProcessOptions o;
  o.binary = freehold::testing::BinaryPath("freehold-accounts");
  o.args = std::move(args);
  o.env = std::move(env);
  return o;
}

class AccountsProcessTest : public freehold::testing::PostgresTest {
 protected:
  // Flags for a test instance; the pepper comes from pepper_ (a file) unless
  // `pepper_from_env`, in which case the caller passes FREEHOLD_PEPPER.
  std::vector<std::string> Args(const std::vector<std::string>& extra = {},
                                bool pepper_from_env = false) {
    std::vector<std::string> args = {"--listen",
                                     "127.0.0.1:0",
                                     "--metrics-listen",
                                     "127.0.0.1:0",
                                     "--database-url",
                                     db_url(),
                                     "--data-dir",
                                     dir_.File("data"),
                                     "--verification-keys-out",
                                     dir_.File("accounts.pub"),
                                     "--allow-weak-kdf",
                                     "--kdf-default-ops",
                                     "1",
                                     "--kdf-default-mem",
                                     "8192",
                                     "--registrations-per-address-per-hour",
                                     "0"};
    if (!pepper_from_env) {
      args.push_back("--pepper-file");
      args.push_back(pepper_);
    }
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }

  // Starts the binary and connects; fills grpc_address_.
  void Start(const std::vector<std::string>& extra = {}, const std::string& env_pepper = "") {
    auto p = env_pepper.empty()
                 ? Process::Start(Options(Args(extra)))
                 : Process::Start(Options(Args(extra, true), {{"FREEHOLD_PEPPER", env_pepper}}));
    ASSERT_TRUE(p.ok()) << p.status();
    proc_ = std::move(*p);
    absl::StatusOr<std::string> ready = proc_->WaitForStderrLine("READY grpc=", absl::Seconds(30));
    ASSERT_TRUE(ready.ok()) << ready.status() << proc_->ReadStderr();
    std::string line(absl::StripAsciiWhitespace(*ready));
    std::vector<std::string> parts = absl::StrSplit(line, ' ');
    ASSERT_EQ(parts.size(), 3u) << line;
    ASSERT_TRUE(absl::StartsWith(parts[1], "grpc=")) << line;
    ASSERT_TRUE(absl::StartsWith(parts[2], "metrics=")) << line;
    grpc_address_ = parts[1].substr(5);
    metrics_address_ = parts[2].substr(8);
    ASSERT_OK(proc_->WaitForServing(grpc_address_, absl::Seconds(10)));
    auto channel = MakeChannel(grpc_address_);
    ASSERT_TRUE(channel.ok());
    stub_ = v1::Accounts::NewStub(*channel);
  }

  // SIGTERM and wait. The client channel is closed first: a server's graceful shutdown
  // waits (up to its grace period) for connected clients to hang up, and an idle client
  // channel in this process has nobody polling it to notice the GOAWAY.
  absl::StatusOr<int> StopService() {
    stub_.reset();
    return proc_->Stop(absl::Seconds(10));
  }

  TempDir dir_{"accounts-proc-"};
  std::string pepper_ = dir_.WriteFile("pepper", std::string(64, 'a') + "\n", 0600);
  std::unique_ptr<Process> proc_;
  std::string grpc_address_;
  std::string metrics_address_;
  std::unique_ptr<v1::Accounts::Stub> stub_;
};

}  // namespace freehold::accounts::testing
