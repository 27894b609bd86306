// Child processes for end-to-end tests: start, watch stderr / health, stop, crash.
#include "tests/support/process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tests/support/temp_dir.h"

extern char** environ;

namespace freehold::testing {
namespace {

#ifndef FREEHOLD_BIN_DIR
#define FREEHOLD_BIN_DIR "bin"
#endif

std::string Tail(const std::string& text, size_t max_bytes = 2000) {
  if (text.size() <= max_bytes) return text;
  return "..." + text.substr(text.size() - max_bytes);
}

std::string NewLogPath() {
  const char* base = std::getenv("TEST_TMPDIR");
  std::string templ = std::string(base && *base ? base : "/tmp") + "/freehold-proc-XXXXXX";
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr) return "";
  return std::string(buf.data()) + "/stderr.log";
}

}  // namespace

std::string BinaryPath(const std::string& name) {
  const char* dir = std::getenv("FREEHOLD_BIN_DIR");
  return absl::StrCat(dir && *dir ? dir : FREEHOLD_BIN_DIR, "/", name);
}

namespace {

// Binds 127.0.0.1:port (0 = any) and returns the bound port, or -1.
int BindLoopback(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  socklen_t len = sizeof(addr);
  int bound = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    bound = ntohs(addr.sin_port);
  }
  ::close(fd);
  return bound;
}

// The first port above the kernel's ephemeral range (where outgoing connections
// take their source ports), or 0 if the range reaches the top.
int AboveEphemeralPorts() {
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  int low = 0, high = 0;
  if (!(in >> low >> high) || high >= 65000) return 0;
  return high + 1;
}

}  // namespace

absl::StatusOr<int> PickFreePort() {
  // A port the kernel hands out as ephemeral can be taken by any outgoing
  // connection of a concurrent test between this check and the server's bind;
  // ports above that range are only ever taken by an explicit bind.
  if (const int first = AboveEphemeralPorts(); first > 0) {
    static thread_local std::minstd_rand rng(static_cast<unsigned>(::getpid()) * 7919u +
                                             static_cast<unsigned>(absl::ToUnixNanos(absl::Now())));
    const int span = 65535 - first;
    for (int attempt = 0; attempt < 64; ++attempt) {
      const int port = first + static_cast<int>(rng() % static_cast<unsigned>(span));
      if (BindLoopback(port) == port) return port;
    }
  }
  const int port = BindLoopback(0);
  if (port <= 0)
    return absl::UnavailableError(absl::StrCat("bind 127.0.0.1:0: ", std::strerror(errno)));
  return port;
}

absl::StatusOr<std::unique_ptr<Process>> Process::Start(ProcessOptions options) {
  if (::access(options.binary.c_str(), X_OK) != 0) {
    return absl::NotFoundError(
        absl::StrCat("binary ", options.binary, " not found or not executable (build it first)"));
  }
  std::unique_ptr<Process> self(new Process());
  self->stderr_path_ = options.stderr_path.empty() ? NewLogPath() : options.stderr_path;
  if (self->stderr_path_.empty()) return absl::UnavailableError("cannot create a log directory");
  self->owns_log_dir_ = options.stderr_path.empty();
  int err_fd = ::open(self->stderr_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (err_fd < 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot open ", self->stderr_path_, ": ", std::strerror(errno)));
  }
  int out_fd = err_fd;
  if (!options.stdout_path.empty()) {
    out_fd = ::open(options.stdout_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (out_fd < 0) {
      ::close(err_fd);
      return absl::UnavailableError(
          absl::StrCat("cannot open ", options.stdout_path, ": ", std::strerror(errno)));
    }
  }

  // Build argv / envp before fork: the child may only call async-signal-safe functions.
  std::vector<std::string> args;
  args.push_back(options.binary);
  for (auto& a : options.args) args.push_back(a);
  std::map<std::string, std::string> env;
  if (options.inherit_env) {
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
      std::string kv = *e;
      const size_t eq = kv.find('=');
      if (eq != std::string::npos) env[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
  }
  for (auto& [k, v] : options.env) env[k] = v;
  std::vector<std::string> env_strings;
  for (auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  std::vector<char*> argv, envp;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  const pid_t parent = ::getpid();
  const char* workdir = options.working_dir.empty() ? nullptr : options.working_dir.c_str();

  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(err_fd);
    if (out_fd != err_fd) ::close(out_fd);
    return absl::UnavailableError(absl::StrCat("fork: ", std::strerror(errno)));
  }
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(126);  // parent already gone
    ::dup2(out_fd, STDOUT_FILENO);
    ::dup2(err_fd, STDERR_FILENO);
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
    if (workdir != nullptr && ::chdir(workdir) != 0) ::_exit(126);
    // Restore default signal dispositions the test runner may have changed.
    ::signal(SIGPIPE, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execve(argv[0], argv.data(), envp.data());
    const char msg[] = "freehold test harness: execve failed\n";
    (void)!::write(STDERR_FILENO, msg, sizeof(msg) - 1);
    ::_exit(127);
  }
  ::close(err_fd);
  if (out_fd != err_fd) ::close(out_fd);
  self->pid_ = pid;
  return self;
}

Process::~Process() {
  if (pid_ > 0 && !exited_) (void)Stop(absl::Seconds(5));
  if (owns_log_dir_ && !::testing::Test::HasFailure()) {
    std::error_code ec;
    std::filesystem::remove_all(std::filesystem::path(stderr_path_).parent_path(), ec);
  }
}

std::string Process::ReadStderr() const { return ReadFileOrEmpty(stderr_path_); }

void Process::Reap(bool block) {
  if (exited_ || pid_ <= 0) return;
  int status = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &status, block ? 0 : WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == pid_) {
    exited_ = true;
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  } else if (r < 0) {
    exited_ = true;  // not our child any more (ECHILD)
  }
}

bool Process::Running() {
  Reap(false);
  return !exited_;
}

absl::StatusOr<std::string> Process::WaitForStderrLine(const std::string& substring,
                                                       absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    const bool running = Running();
    const std::string text = ReadStderr();
    size_t start = 0;
    while (start < text.size()) {
      size_t end = text.find('\n', start);
      if (end == std::string::npos) {
        if (running) break;  // partial line; it may still grow
        end = text.size();
      }
      std::string line = text.substr(start, end - start);
      if (line.find(substring) != std::string::npos) return line;
      start = end + 1;
    }
    if (!running) {
      return absl::FailedPreconditionError(absl::StrCat("process exited (code ", exit_code_,
                                                        ") before logging '", substring,
                                                        "'; stderr:\n", Tail(text)));
    }
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(absl::StrCat("no stderr line containing '", substring,
                                                      "' within ", absl::FormatDuration(timeout),
                                                      "; stderr:\n", Tail(text)));
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
}

absl::Status Process::WaitForServing(const std::string& address, absl::Duration timeout,
                                     const ClientTlsOptions& tls) {
  const absl::Time deadline = absl::Now() + timeout;
  absl::Status last;
  for (;;) {
    if (!Running()) {
      return absl::FailedPreconditionError(absl::StrCat("process exited (code ", exit_code_,
                                                        ") before serving on ", address,
                                                        "; stderr:\n", Tail(ReadStderr())));
    }
    const absl::Time now = absl::Now();
    if (now >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat(address, " not serving within ", absl::FormatDuration(timeout), ": ",
                       last.ToString(), "; stderr:\n", Tail(ReadStderr())));
    }
    last =
        freehold::WaitForServing(address, std::min(deadline, now + absl::Milliseconds(300)), tls);
    if (last.ok()) return last;
  }
}

absl::StatusOr<int> Process::Wait(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (Running()) {
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("process ", pid_, " still running after ", absl::FormatDuration(timeout)));
    }
    absl::SleepFor(absl::Milliseconds(5));
  }
  return exit_code_;
}

absl::StatusOr<int> Process::Stop(absl::Duration grace) {
  if (!Running()) return exit_code_;
  ::kill(pid_, SIGTERM);
  if (Wait(grace).ok()) return exit_code_;
  ::kill(pid_, SIGKILL);
  Reap(true);
  return exit_code_;
}

void Process::KillHard() {
  if (!Running()) return;
  ::kill(pid_, SIGKILL);
  Reap(true);
}

void Process::Signal(int sig) {
  if (Running()) ::kill(pid_, sig);
}

// Accepts "node_id ID" and "node_id=ID" lines.
}  // namespace freehold::testing
