// Rotation of the accounts token-signing key without downtime, with the real pieces:
// the freehold-accounts binary serving from a shared --signing-keys-file (re-read on
// change and on SIGHUP), the key commands that rewrite that file
// (--rotate-signing-keys-file, --prune-signing-keys-file), and the coordinator's
// AccessTokenVerifier over the published accounts.pub, re-read as the coordinator does.
// A client thread logs in and calls GetAccount throughout; no call may fail.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <atomic>
#include <cstdio>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "coordinator/core/access.h"
#include "services/accounts/core/signing_key_set.h"
#include "services/accounts/core/token_keyring.h"
#include "tests/accounts/accounts_process_fixture.h"
#include "tests/accounts/accounts_test_support.h"

namespace freehold::accounts::testing {
namespace {

using ::freehold::testing::ReadFileOrEmpty;
using ::testing::HasSubstr;

std::string KeyIdOf(const std::string& token) {
  std::vector<std::string> parts = absl::StrSplit(token, '.');
  return parts.size() == 3 ? parts[1] : "";
}

// Output of a shell command (curl for /metrics).
std::string Capture(const std::string& command) {
  std::string out;
  FILE* p = ::popen(command.c_str(), "r");
  if (p == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ::pclose(p);
  return out;
}

class SigningKeyRotationTest : public AccountsProcessTest {
 protected:
  // Runs a key command of freehold-accounts to completion; returns its exit code.
  int RunKeyCommand(std::vector<std::string> args) {
    auto p = Process::Start(Options(std::move(args)));
    EXPECT_TRUE(p.ok()) << p.status();
    if (!p.ok()) return -1;
    absl::StatusOr<int> rc = (*p)->Wait(absl::Seconds(20));
    EXPECT_TRUE(rc.ok()) << rc.status();
    EXPECT_EQ(rc.value_or(-1), 0) << (*p)->ReadStderr();
    return rc.value_or(-1);
  }

  std::vector<std::string> PublishedKeyIds() {
    absl::StatusOr<std::vector<PublicKey>> keys =
        ParseVerificationKeys(ReadFileOrEmpty(dir_.File("accounts.pub")));
    std::vector<std::string> ids;
    if (keys.ok()) {
      for (const PublicKey& k : *keys) ids.push_back(k.key_id);
    }
    return ids;
  }

  // Waits (bounded) until `done` holds, polling every 50 ms.
  bool WaitFor(const std::function<bool()>& done, absl::Duration timeout = absl::Seconds(15)) {
    const absl::Time deadline = absl::Now() + timeout;
    while (absl::Now() < deadline) {
      if (done()) return true;
      absl::SleepFor(absl::Milliseconds(50));
    }
    return done();
  }

  std::vector<std::string> ServedKeys(std::string* signing) {
    v1::GetVerificationKeysResponse vk;
    std::vector<std::string> ids;
    if (!stub_->GetVerificationKeys(PlainContext().get(), {}, &vk).ok()) return ids;
    for (const auto& k : vk.keys()) {
      ids.push_back(k.key_id());
      if (k.signing() && signing != nullptr) *signing = k.key_id();
    }
    return ids;
  }

  const std::string key_file_ = dir_.File("signing-keys");
};

TEST_F(SigningKeyRotationTest, RotatingTheSharedKeyFileUnderTrafficFailsNoCall) {
  // The operator creates the key set (one key, signing at once).
  ASSERT_EQ(RunKeyCommand({"--rotate-signing-keys-file", key_file_}), 0);
  struct stat st;
  ASSERT_EQ(::stat(key_file_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_OK_AND_ASSIGN(SigningKeySet first, ReadSigningKeySetFile(key_file_));
  ASSERT_EQ(first.keys.size(), 1u);
  const std::string old_id = first.keys[0].key.key_id;

  Start({"--signing-keys-file", key_file_, "--signing-keys-reload-interval", "200ms"});
  EXPECT_THAT(PublishedKeyIds(), ::testing::ElementsAre(old_id));
  ASSERT_OK_AND_ASSIGN(NewAccount a, MakeAccount("rota", "pw"));
  ASSERT_OK(RegisterAccount(*stub_, a).status());
  ASSERT_OK_AND_ASSIGN(DeviceLogin before, LoginWithPassword(*stub_, "rota", "pw"));
  const std::string old_token = before.response.tokens().access_token();
  EXPECT_EQ(KeyIdOf(old_token), old_id);

  // The coordinator's verifier over the published file, re-read as its loop does.
  RealClock clock;
  coordinator::AccessTokenVerifier coordinator(dir_.File("accounts.pub"), clock);
  ASSERT_OK(coordinator.Reload());
  ASSERT_OK(coordinator.Authenticate("Bearer " + old_token).status());
  std::atomic<bool> stop{false};
  std::thread coordinator_loop([&] {
    while (!stop.load()) {
      (void)coordinator.Reload();
      absl::SleepFor(absl::Milliseconds(100));
    }
  });

  // Traffic: log in, then use both the fresh token and the old one, at the service and
  // at the coordinator.
  absl::Mutex mu;
  std::vector<std::string> failures;
  std::set<std::string> key_ids;
  std::atomic<int> calls{0};
  auto fail = [&](std::string what) {
    absl::MutexLock lock(&mu);
    if (failures.size() < 20) failures.push_back(std::move(what));
  };
  std::thread client([&] {
    while (!stop.load()) {
      absl::StatusOr<DeviceLogin> login = LoginWithPassword(*stub_, "rota", "pw");
      if (!login.ok()) {
        fail(absl::StrCat("login: ", login.status().ToString()));
        continue;
      }
      const std::string token = login->response.tokens().access_token();
      {
        absl::MutexLock lock(&mu);
        key_ids.insert(KeyIdOf(token));
      }
      for (const std::string& t : {token, old_token}) {
        v1::GetAccountResponse acc;
        grpc::Status s = stub_->GetAccount(AuthedContext(t).get(), {}, &acc);
        if (!s.ok()) fail(absl::StrCat("GetAccount(", KeyIdOf(t), "): ", s.error_message()));
        absl::Status c = coordinator.Authenticate("Bearer " + t).status();
        if (!c.ok()) fail(absl::StrCat("coordinator(", KeyIdOf(t), "): ", c.ToString()));
      }
      ++calls;
    }
  });
  auto seen = [&](const std::string& id) {
    absl::MutexLock lock(&mu);
    return key_ids.count(id) > 0;
  };

  ASSERT_TRUE(WaitFor([&] { return calls.load() >= 5; }));
  // The operator rotates: the new key is published at once and signs 1 s later.
  ASSERT_EQ(RunKeyCommand(
                {"--rotate-signing-keys-file", key_file_, "--signing-key-activation-delay", "1s"}),
            0);
  ASSERT_OK_AND_ASSIGN(SigningKeySet rotated, ReadSigningKeySetFile(key_file_));
  ASSERT_EQ(rotated.keys.size(), 2u);
  const std::string new_id = rotated.keys[0].key.key_id;
  EXPECT_EQ(rotated.keys[1].key.key_id, old_id);
  EXPECT_TRUE(WaitFor([&] { return PublishedKeyIds().size() == 2; }));
  EXPECT_TRUE(WaitFor([&] { return seen(new_id); }));
  const int at_switch = calls.load();
  EXPECT_TRUE(WaitFor([&] { return calls.load() >= at_switch + 5; }));
  stop = true;
  client.join();
  coordinator_loop.join();

  {
    absl::MutexLock lock(&mu);
    EXPECT_THAT(failures, ::testing::IsEmpty());
    EXPECT_TRUE(key_ids.count(old_id));
    EXPECT_TRUE(key_ids.count(new_id));
  }
  EXPECT_THAT(PublishedKeyIds(), ::testing::ElementsAre(new_id, old_id));
  std::string signing;
  EXPECT_THAT(ServedKeys(&signing), ::testing::ElementsAre(new_id, old_id));
  EXPECT_EQ(signing, new_id);
  ASSERT_OK_AND_ASSIGN(DeviceLogin after, LoginWithPassword(*stub_, "rota", "pw"));
  const std::string new_token = after.response.tokens().access_token();
  EXPECT_EQ(KeyIdOf(new_token), new_id);

  // After the longest token lifetime (1 s here) the old key is pruned: its tokens end,
  // at the service and at the coordinator; new tokens still work.
  EXPECT_TRUE(WaitFor([&] {
    RunKeyCommand({"--prune-signing-keys-file", key_file_, "--access-token-lifetime", "1s",
                   "--signing-key-retire-margin", "0s"});
    absl::StatusOr<SigningKeySet> set = ReadSigningKeySetFile(key_file_);
    return set.ok() && set->keys.size() == 1;
  }));
  EXPECT_TRUE(WaitFor([&] { return ServedKeys(nullptr).size() == 1; }));
  EXPECT_THAT(PublishedKeyIds(), ::testing::ElementsAre(new_id));
  ASSERT_OK(coordinator.Reload());
  v1::GetAccountResponse acc;
  EXPECT_EQ(stub_->GetAccount(AuthedContext(old_token).get(), {}, &acc).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(coordinator.Authenticate("Bearer " + old_token).status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(stub_->GetAccount(AuthedContext(new_token).get(), {}, &acc).ok());
  EXPECT_OK(coordinator.Authenticate("Bearer " + new_token).status());
}

TEST_F(SigningKeyRotationTest, ABrokenKeyFileKeepsTheKeysInForceAndSighupRereadsAtOnce) {
  ASSERT_EQ(RunKeyCommand({"--rotate-signing-keys-file", key_file_}), 0);
  // Re-read only on SIGHUP within the test's time.
  Start({"--signing-keys-file", key_file_, "--signing-keys-reload-interval", "1h"});
  ASSERT_OK_AND_ASSIGN(NewAccount a, MakeAccount("brok", "pw"));
  ASSERT_OK(RegisterAccount(*stub_, a).status());
  ASSERT_OK_AND_ASSIGN(DeviceLogin before, LoginWithPassword(*stub_, "brok", "pw"));
  const std::string token = before.response.tokens().access_token();
  const std::string metrics = "curl -s --max-time 5 http://" + metrics_address_ + "/metrics";

  // A broken version: reported (log, metric), the keys in force stay.
  const std::string good = ReadFileOrEmpty(key_file_);
  dir_.WriteFile("signing-keys.new", "fh-ed25519-secret:broken\n", 0600);
  ASSERT_EQ(std::rename(dir_.File("signing-keys.new").c_str(), key_file_.c_str()), 0);
  proc_->Signal(SIGHUP);
  ASSERT_OK(proc_->WaitForStderrLine("the previous one stays in force", absl::Seconds(10)));
  EXPECT_THAT(Capture(metrics),
              HasSubstr("freehold_file_reload_failing{file=\"--signing-keys-file\"} 1"));
  v1::GetAccountResponse acc;
  EXPECT_TRUE(stub_->GetAccount(AuthedContext(token).get(), {}, &acc).ok());
  ASSERT_OK_AND_ASSIGN(DeviceLogin during, LoginWithPassword(*stub_, "brok", "pw"));
  EXPECT_EQ(KeyIdOf(during.response.tokens().access_token()), KeyIdOf(token));
  EXPECT_EQ(ServedKeys(nullptr).size(), 1u);
  // A world-readable key file is refused the same way.
  dir_.WriteFile("signing-keys.new", good, 0644);
  ASSERT_EQ(std::rename(dir_.File("signing-keys.new").c_str(), key_file_.c_str()), 0);
  proc_->Signal(SIGHUP);
  ASSERT_OK(proc_->WaitForStderrLine("accessible by other users", absl::Seconds(10)));
  EXPECT_TRUE(stub_->GetAccount(AuthedContext(token).get(), {}, &acc).ok());

  // The good file back plus a rotation (signing at once): SIGHUP puts it in force.
  dir_.WriteFile("signing-keys.new", good, 0600);
  ASSERT_EQ(std::rename(dir_.File("signing-keys.new").c_str(), key_file_.c_str()), 0);
  ASSERT_EQ(RunKeyCommand(
                {"--rotate-signing-keys-file", key_file_, "--signing-key-activation-delay", "0s"}),
            0);
  proc_->Signal(SIGHUP);
  std::string signing;
  EXPECT_TRUE(WaitFor([&] { return ServedKeys(&signing).size() == 2; }));
  EXPECT_NE(signing, KeyIdOf(token));
  EXPECT_THAT(Capture(metrics),
              HasSubstr("freehold_file_reload_failing{file=\"--signing-keys-file\"} 0"));
  ASSERT_OK_AND_ASSIGN(DeviceLogin after, LoginWithPassword(*stub_, "brok", "pw"));
  EXPECT_EQ(KeyIdOf(after.response.tokens().access_token()), signing);
  EXPECT_TRUE(stub_->GetAccount(AuthedContext(token).get(), {}, &acc).ok());
}

TEST_F(SigningKeyRotationTest, TheServiceRefusesToStartWithoutItsKeyFile) {
  auto p = Process::Start(Options(Args({"--signing-keys-file", key_file_})));
  ASSERT_TRUE(p.ok());
  ASSERT_OK_AND_ASSIGN(int code, (*p)->Wait(absl::Seconds(30)));
  EXPECT_NE(code, 0);
  EXPECT_THAT((*p)->ReadStderr(), HasSubstr("--signing-keys-file"));
  // Only one key command at a time; the data-dir rotation does not touch the file.
  auto both = Process::Start(Options(
      {"--rotate-signing-keys-file", key_file_, "--rotate-signing-key", "--data-dir", "x"}));
  ASSERT_TRUE(both.ok());
  ASSERT_OK_AND_ASSIGN(code, (*both)->Wait(absl::Seconds(20)));
  EXPECT_EQ(code, 2);
}

}  // namespace
}  // namespace freehold::accounts::testing
