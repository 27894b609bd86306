// Private PostgreSQL 15 for tests (or the shared one named by FREEHOLD_TEST_PG_URL).
#include "tests/support/postgres_harness.h"

#include <fcntl.h>
#include <grp.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <pqxx/pqxx>
#include <random>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

#ifndef FREEHOLD_PG_BIN_DIR
#define FREEHOLD_PG_BIN_DIR "/usr/lib/postgresql/15/bin"
#endif

namespace freehold::testing {
namespace {

struct RunAs {
  bool switch_user = false;
  uid_t uid = 0;
  gid_t gid = 0;
};

// As root, PostgreSQL refuses to run: use "freehold-test" (created by tests/run.sh) or
// "nobody".
absl::StatusOr<RunAs> ChooseUser() {
  RunAs r;
  if (::geteuid() != 0) return r;
  for (const char* name : {"freehold-test", "nobody"}) {
    if (passwd* pw = ::getpwnam(name)) {
      r.switch_user = true;
      r.uid = pw->pw_uid;
      r.gid = pw->pw_gid;
      return r;
    }
  }
  return absl::FailedPreconditionError(
      "running as root but neither user freehold-test nor nobody exists");
}

// fork + (drop privileges) + exec with stdout/stderr appended to `log`. In the child
// only async-signal-safe calls are made.
absl::StatusOr<pid_t> Spawn(const RunAs& as, std::vector<std::string> args, const std::string& log,
                            bool die_with_parent) {
  int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return absl::UnavailableError(absl::StrCat("cannot open ", log));
  if (as.switch_user) (void)!::fchown(fd, as.uid, as.gid);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fd);
    return absl::UnavailableError(absl::StrCat("fork: ", std::strerror(errno)));
  }
  if (pid == 0) {
    ::dup2(fd, STDOUT_FILENO);
    ::dup2(fd, STDERR_FILENO);
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
    if (as.switch_user) {
      if (::setgroups(0, nullptr) != 0 || ::setgid(as.gid) != 0 || ::setuid(as.uid) != 0) {
        ::_exit(125);
      }
    }
    // After the uid change (which clears it): die with the test process.
    if (die_with_parent) {
      ::prctl(PR_SET_PDEATHSIG, SIGQUIT);
      if (::getppid() != parent) ::_exit(126);
    }
    ::setsid();
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(fd);
  return pid;
}

// Waits for `pid` up to `timeout`; returns its exit code (128+sig if signalled) or
// nullopt if still running.
std::optional<int> WaitExit(pid_t pid, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    int status = 0;
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (r < 0 && errno != EINTR) return -1;
    if (absl::Now() >= deadline) return std::nullopt;
    absl::SleepFor(absl::Milliseconds(5));
  }
}

// A fresh directory under /tmp (not $TEST_TMPDIR: it must be reachable by the
// unprivileged server user and on the same file system as the template cache).
absl::StatusOr<std::string> MakeTmpDir(const std::string& prefix) {
  std::string templ = "/tmp/" + prefix + "XXXXXX";
  if (::mkdtemp(templ.data()) == nullptr) {
    return absl::UnavailableError(absl::StrCat("mkdtemp ", templ, ": ", std::strerror(errno)));
  }
  return templ;
}

// Removes a directory tree on scope exit unless released.
struct DirGuard {
  std::string path;
  ~DirGuard() {
    if (!path.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  }
};

std::string Tail(const std::string& s) { return s.size() > 3000 ? s.substr(s.size() - 3000) : s; }

// A cluster made once by initdb per user and PostgreSQL version, reused (copied) by
// every test process: /tmp/freehold-pg-template-<uid>/data. Built in a temp dir and
// renamed into place so concurrent test processes never see a half-made one.
absl::StatusOr<std::string> EnsureTemplateCluster(const RunAs& as) {
  const uid_t uid = as.switch_user ? as.uid : ::geteuid();
  const std::string root = absl::StrCat("/tmp/freehold-pg15-template-", uid);
  struct stat st;
  if (::stat((root + "/data/PG_VERSION").c_str(), &st) == 0) {
    struct stat rs;
    if (::stat(root.c_str(), &rs) != 0 || rs.st_uid != uid || (rs.st_mode & 0077) != 0) {
      return absl::FailedPreconditionError(
          absl::StrCat(root, " is not owned by uid ", uid, " with mode 0700; remove it"));
    }
    return root;
  }
  absl::StatusOr<std::string> build_dir = MakeTmpDir("freehold-pg15-template-build-");
  if (!build_dir.ok()) return build_dir.status();
  DirGuard tmp{*build_dir};
  if (as.switch_user && ::chown(tmp.path.c_str(), as.uid, as.gid) != 0) {
    return absl::PermissionDeniedError(
        absl::StrCat("chown ", tmp.path, ": ", std::strerror(errno)));
  }
  const std::string bin = FREEHOLD_PG_BIN_DIR;
  const std::string log = tmp.path + "/initdb.log";
  absl::StatusOr<pid_t> initdb =
      Spawn(as,
            {bin + "/initdb", "-D", tmp.path + "/data", "-U", "postgres", "-A", "trust", "-E",
             "UTF8", "--locale=C", "--no-sync", "--no-instructions"},
            log, /*die_with_parent=*/true);
  if (!initdb.ok()) return initdb.status();
  std::optional<int> code = WaitExit(*initdb, absl::Seconds(120));
  if (!code || *code != 0) {
    if (!code) ::kill(*initdb, SIGKILL);
    return absl::UnavailableError(
        absl::StrCat("initdb failed; log:\n", Tail(ReadFileOrEmpty(log))));
  }
  ::unlink(log.c_str());
  if (::rename(tmp.path.c_str(), root.c_str()) == 0) {
    tmp.path.clear();
  } else if (::stat((root + "/data/PG_VERSION").c_str(), &st) != 0) {
    return absl::UnavailableError(absl::StrCat("cannot create ", root, ": ", std::strerror(errno)));
  }  // else: another process won the race; ours is removed with `tmp`.
  return root;
}

}  // namespace

struct PostgresHarness::Server {
  std::string dir;
  pid_t pid = -1;
  int port = 0;

  ~Server() { Stop(); }

  void Stop() {
    if (pid > 0) {
      ::kill(pid, SIGQUIT);  // immediate shutdown: the data is throwaway
      if (!WaitExit(pid, absl::Seconds(10))) {
        ::kill(pid, SIGKILL);
        WaitExit(pid, absl::Seconds(5));
      }
      pid = -1;
    }
    if (!dir.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
      dir.clear();
    }
  }

  static absl::StatusOr<std::unique_ptr<Server>> Start() {
    absl::StatusOr<RunAs> as = ChooseUser();
    if (!as.ok()) return as.status();
    auto server = std::make_unique<Server>();
    absl::StatusOr<std::string> dir = MakeTmpDir("freehold-pg-");
    if (!dir.ok()) return dir.status();
    server->dir = *dir;  // removed by Server::Stop
    if (as->switch_user && ::chown(server->dir.c_str(), as->uid, as->gid) != 0) {
      return absl::PermissionDeniedError(
          absl::StrCat("chown ", server->dir, ": ", std::strerror(errno)));
    }
    const std::string bin = FREEHOLD_PG_BIN_DIR;
    const std::string data = server->dir + "/data";
    const std::string log = server->dir + "/postgres.log";
    absl::StatusOr<std::string> cache = EnsureTemplateCluster(*as);
    if (!cache.ok()) return cache.status();
    // Copy the cached cluster (much faster than initdb).
    absl::StatusOr<pid_t> cp =
        Spawn(*as, {"/bin/cp", "-a", *cache + "/data", data}, log, /*die_with_parent=*/true);
    if (!cp.ok()) return cp.status();
    std::optional<int> code = WaitExit(*cp, absl::Seconds(60));
    if (!code || *code != 0) {
      if (!code) ::kill(*cp, SIGKILL);
      return absl::UnavailableError(
          absl::StrCat("copying the template cluster failed; log:\n", Tail(ReadFileOrEmpty(log))));
    }
    absl::Status last;
    for (int attempt = 0; attempt < 3; ++attempt) {
      absl::StatusOr<int> port = PickFreePort();
      if (!port.ok()) return port.status();
      absl::StatusOr<pid_t> pid = Spawn(*as,
                                        {bin + "/postgres",
                                         "-D",
                                         data,
                                         "-p",
                                         std::to_string(*port),
                                         "-k",
                                         server->dir,
                                         "-h",
                                         "127.0.0.1",
                                         "-c",
                                         "fsync=off",
                                         "-c",
                                         "synchronous_commit=off",
                                         "-c",
                                         "full_page_writes=off",
                                         "-c",
                                         "max_connections=300",
                                         "-c",
                                         "shared_buffers=32MB",
                                         "-c",
                                         "log_min_messages=warning",
                                         "-c",
                                         "logging_collector=off"},
                                        log, /*die_with_parent=*/true);
      if (!pid.ok()) return pid.status();
      const std::string conninfo = absl::StrCat("host=127.0.0.1 port=", *port,
                                                " dbname=postgres user=postgres connect_timeout=2");
      const absl::Time deadline = absl::Now() + absl::Seconds(60);
      bool exited = false;
      while (absl::Now() < deadline) {
        if (PQping(conninfo.c_str()) == PQPING_OK) {
          server->pid = *pid;
          server->port = *port;
          return server;
        }
        if (WaitExit(*pid, absl::ZeroDuration())) {
          exited = true;
          break;
        }
        absl::SleepFor(absl::Milliseconds(20));
      }
      if (!exited) {
        ::kill(*pid, SIGKILL);
        WaitExit(*pid, absl::Seconds(5));
      }
      last = absl::UnavailableError(absl::StrCat("postgres did not start on port ", *port,
                                                 "; log:\n", Tail(ReadFileOrEmpty(log))));
    }
    return last;
  }
};

PostgresHarness& PostgresHarness::Get() {
  static PostgresHarness* harness = [] {
    auto* h = new PostgresHarness();
    std::atexit([] { PostgresHarness::Get().Shutdown(); });
    return h;
  }();
  return *harness;
}

namespace {
std::mutex& HarnessMutex() {
  static auto* mu = new std::mutex();
  return *mu;
}
}  // namespace

absl::StatusOr<std::string> PostgresHarness::AdminUrl() {
  std::lock_guard<std::mutex> lock(HarnessMutex());
  if (!admin_url_.empty()) return admin_url_;
  if (const char* url = std::getenv("FREEHOLD_TEST_PG_URL"); url != nullptr && *url != '\0') {
    admin_url_ = url;
    return admin_url_;
  }
  absl::StatusOr<std::unique_ptr<Server>> server = Server::Start();
  if (!server.ok()) return server.status();
  server_ = *std::move(server);
  admin_url_ = absl::StrCat("postgresql://postgres@127.0.0.1:", server_->port, "/postgres");
  return admin_url_;
}

void PostgresHarness::Shutdown() {
  std::lock_guard<std::mutex> lock(HarnessMutex());
  if (server_) {
    server_->Stop();
    server_.reset();
    admin_url_.clear();
  }
}

std::string WithDatabase(const std::string& conn, const std::string& dbname) {
  for (const char* scheme : {"postgresql://", "postgres://"}) {
    if (!absl::StartsWith(conn, scheme)) continue;
    const size_t authority = std::strlen(scheme);
    const size_t query = conn.find('?', authority);
    const size_t slash = conn.find('/', authority);
    const size_t path_start =
        (slash != std::string::npos && (query == std::string::npos || slash < query))
            ? slash
            : (query == std::string::npos ? conn.size() : query);
    const std::string rest = query == std::string::npos ? "" : conn.substr(query);
    return conn.substr(0, path_start) + "/" + dbname + rest;
  }
  return absl::StrCat(conn, " dbname=", dbname);
}

std::string PostgresHarness::DatabaseName(const std::string& url) {
  const size_t authority = url.find("://");
  if (authority != std::string::npos) {
    const size_t slash = url.find('/', authority + 3);
    if (slash == std::string::npos) return "";
    const size_t query = url.find('?', slash);
    return url.substr(slash + 1,
                      query == std::string::npos ? std::string::npos : query - slash - 1);
  }
  const size_t pos = url.rfind("dbname=");
  if (pos == std::string::npos) return "";
  const size_t end = url.find(' ', pos);
  return url.substr(pos + 7, end == std::string::npos ? std::string::npos : end - pos - 7);
}

absl::StatusOr<std::string> PostgresHarness::CreateDatabase() {
  absl::StatusOr<std::string> admin = AdminUrl();
  if (!admin.ok()) return admin.status();
  static std::atomic<int> counter{0};
  std::random_device rd;
  const std::string name =
      absl::StrCat("fh_test_", ::getpid(), "_", counter.fetch_add(1), "_", rd() % 1000000);
  try {
    pqxx::connection conn(*admin);
    pqxx::nontransaction txn(conn);
    txn.exec(absl::StrCat("CREATE DATABASE ", txn.quote_name(name),
                          " TEMPLATE template0 STRATEGY FILE_COPY"));
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("CREATE DATABASE ", name, " failed: ", e.what()));
  }
  return WithDatabase(*admin, name);
}

absl::Status PostgresHarness::DropDatabase(const std::string& url) {
  absl::StatusOr<std::string> admin = AdminUrl();
  if (!admin.ok()) return admin.status();
  const std::string name = DatabaseName(url);
  if (name.empty() || name == "postgres") {
    return absl::InvalidArgumentError(absl::StrCat("not a test database URL: ", url));
  }
  try {
    pqxx::connection conn(*admin);
    pqxx::nontransaction txn(conn);
    txn.exec(absl::StrCat("DROP DATABASE IF EXISTS ", txn.quote_name(name), " WITH (FORCE)"));
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("DROP DATABASE ", name, " failed: ", e.what()));
  }
  return absl::OkStatus();
}

void PostgresTest::SetUp() {
  absl::StatusOr<std::string> url = PostgresHarness::Get().CreateDatabase();
  ASSERT_TRUE(url.ok()) << "cannot create a test database: " << url.status();
  db_url_ = *url;
}

void PostgresTest::TearDown() {
  if (db_url_.empty()) return;
  absl::Status s = PostgresHarness::Get().DropDatabase(db_url_);
  EXPECT_TRUE(s.ok()) << s;
  db_url_.clear();
}

}  // namespace freehold::testing
