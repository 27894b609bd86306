// tests/support/process.h and temp_dir.h: child processes and temp dirs.
#include "tests/support/process.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>

#include "absl/time/clock.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace freehold::testing {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;

absl::StatusOr<std::unique_ptr<Process>> Shell(
    const std::string& script, std::vector<std::pair<std::string, std::string>> env = {}) {
  ProcessOptions o;
  o.binary = "/bin/sh";
  o.args = {"-c", script};
  o.env = std::move(env);
  return Process::Start(o);
}

TEST(ProcessTest, WaitsForStderrLineAndStopsWithSigterm) {
  ASSERT_OK_AND_ASSIGN(
      auto p, Shell("echo starting >&2; echo \"ready $FOO\" >&2; exec sleep 30", {{"FOO", "bar"}}));
  ASSERT_OK_AND_ASSIGN(std::string line, p->WaitForStderrLine("ready", absl::Seconds(10)));
  EXPECT_EQ(line, "ready bar");
  EXPECT_TRUE(p->Running());
  ASSERT_OK_AND_ASSIGN(int code, p->Stop());
  EXPECT_EQ(code, 128 + SIGTERM);
  EXPECT_FALSE(p->Running());
}

TEST(ProcessTest, ReportsEarlyExitWithStderr) {
  ASSERT_OK_AND_ASSIGN(auto p, Shell("echo 'fatal: bad config' >&2; exit 3"));
  EXPECT_THAT(p->WaitForStderrLine("never printed", absl::Seconds(10)),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("fatal: bad config")));
  EXPECT_EQ(p->exit_code(), 3);
}

TEST(ProcessTest, WaitForLineTimesOut) {
  ASSERT_OK_AND_ASSIGN(auto p, Shell("exec sleep 30"));
  const absl::Time start = absl::Now();
  EXPECT_THAT(p->WaitForStderrLine("x", absl::Milliseconds(100)),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

TEST(ProcessTest, KillHardSimulatesCrash) {
  ASSERT_OK_AND_ASSIGN(auto p, Shell("exec sleep 30"));
  p->KillHard();
  EXPECT_FALSE(p->Running());
  EXPECT_EQ(p->exit_code(), 128 + SIGKILL);
}

TEST(ProcessTest, StopEscalatesToSigkillAfterGrace) {
  ASSERT_OK_AND_ASSIGN(auto p, Shell("trap '' TERM; echo armed >&2; while :; do sleep 0.05; done"));
  ASSERT_OK(p->WaitForStderrLine("armed", absl::Seconds(10)));
  ASSERT_OK_AND_ASSIGN(int code, p->Stop(absl::Milliseconds(200)));
  EXPECT_EQ(code, 128 + SIGKILL);
}

TEST(ProcessTest, MissingBinaryIsNotFound) {
  ProcessOptions o;
  o.binary = "/nonexistent/freehold-nothing";
  EXPECT_THAT(Process::Start(o), StatusIs(absl::StatusCode::kNotFound));
}

TEST(ProcessTest, WaitForServingSeesRealServerBinary) {
  ASSERT_OK_AND_ASSIGN(int port, PickFreePort());
  const std::string address = "127.0.0.1:" + std::to_string(port);
  ProcessOptions o;
  o.binary = BinaryPath("common_test_server");
  o.env = {{"FREEHOLD_TEST_SERVER_LISTEN", address}};  // env fallback of --listen
  ASSERT_OK_AND_ASSIGN(auto p, Process::Start(o));
  ASSERT_OK(p->WaitForServing(address, absl::Seconds(20)));
  ASSERT_OK_AND_ASSIGN(std::string line,
                       p->WaitForStderrLine("\"msg\":\"serving\"", absl::Seconds(5)));
  EXPECT_THAT(line, HasSubstr(address));
  ASSERT_OK_AND_ASSIGN(int code, p->Stop(absl::Seconds(10)));
  EXPECT_EQ(code, 0);  // clean shutdown on SIGTERM
  EXPECT_THAT(p->ReadStderr(), HasSubstr("\"msg\":\"stopped\""));
}

TEST(ProcessTest, WaitForServingFailsFastWhenBinaryExits) {
  ProcessOptions o;
  o.binary = BinaryPath("common_test_server");
  o.args = {"--no-such-flag"};
  ASSERT_OK_AND_ASSIGN(auto p, Process::Start(o));
  EXPECT_THAT(p->WaitForServing("127.0.0.1:1", absl::Seconds(20)),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("no-such-flag")));
  EXPECT_EQ(p->exit_code(), 2);
}

TEST(ProcessTest, PickFreePortReturnsABindablePort) {
  ASSERT_OK_AND_ASSIGN(int port, PickFreePort());
  EXPECT_GT(port, 0);
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ::close(fd);
}

TEST(ProcessTest, BinaryPathPointsIntoBuildBinDir) {
  EXPECT_THAT(BinaryPath("freehold-storaged"), EndsWith("/bin/freehold-storaged"));
}

TEST(TempDirTest, RemovesItselfRecursively) {
  std::string path;
  {
    TempDir dir;
    path = dir.path();
    std::filesystem::create_directories(dir.File("a/b"));
    dir.WriteFile("a/b/c.txt", "hello");
    EXPECT_EQ(ReadFileOrEmpty(dir.File("a/b/c.txt")), "hello");
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

}  // namespace
}  // namespace freehold::testing
