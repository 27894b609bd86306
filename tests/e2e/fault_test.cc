// End-to-end faults: storage daemons stopped or killed while files are read
// and written. Seven daemons (k+m = 6 plus one spare for replacements), each
// its own failure domain; 1 MiB segments; nodes are marked down after 3 s.
#include <dirent.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <functional>

#include "absl/strings/str_cat.h"
#include "tests/e2e/e2e_fixture.h"
#include "tests/e2e/probes.h"
#include "tests/support/process.h"

namespace freehold::e2e {
namespace {

using ::testing::HasSubstr;

class FaultTest : public ClusterTest<7, 4> {
 protected:
  // Every object alice can list must read back; objects named in
  // `expected` must match their bytes.
  void ExpectEveryVisibleObjectReadable(const CliUser& u,
                                        const std::map<std::string, std::string>& expected) {
    CliResult ls = u.Run({"--json", "ls"});
    ASSERT_EQ(ls.exit_code, 0) << ls.Describe();
    nlohmann::json list = nlohmann::json::parse(ls.out);
    for (const nlohmann::json& o : list) {
      const std::string id = o["id"].get<std::string>();
      const std::string out = u.File("check-" + id);
      CliResult got = u.Run({"get", id, "-o", out});
      EXPECT_EQ(got.exit_code, 0) << "visible object " << id << " unreadable: " << got.Describe();
      auto it = expected.find(o["name"].get<std::string>());
      if (it != expected.end()) {
        EXPECT_TRUE(ReadFile(out) == it->second) << id;
      }
    }
  }
};

// Counts regular files below `dir` (shards of a daemon).
int CountFiles(const std::string& dir) {
  int n = 0;
  std::function<void(const std::string&, int)> walk = [&](const std::string& d, int depth) {
    if (depth > 4) return;
    DIR* h = ::opendir(d.c_str());
    if (h == nullptr) return;
    while (dirent* e = ::readdir(h)) {
      std::string name = e->d_name;
      if (name == "." || name == "..") continue;
      std::string path = d + "/" + name;
      struct stat st;
      if (::stat(path.c_str(), &st) != 0) continue;
      if (S_ISDIR(st.st_mode)) {
        walk(path, depth + 1);
      } else if (S_ISREG(st.st_mode) && name.find('.') != std::string::npos &&
                 name.find("corrupt") == std::string::npos) {
        ++n;
      }
    }
    ::closedir(h);
  };
  walk(dir + "/shards", 0);
  return n;
}

TEST_F(FaultTest, GetSucceedsWithAnyTwoStorageDaemonsStopped) {
  auto alice = SignUp("alice");
  const std::string data = WriteRandomFile(alice->File("video"), 5 * 1024 * 1024 + 777, 21);
  const std::string id = Put(*alice, alice->File("video"), "video");
  ASSERT_FALSE(id.empty());
  // Every daemon is in at least one stopped pair; the coordinator still
  // lists them as up, so the client sees failed reads and uses parity.
  const std::vector<std::pair<int, int>> pairs = {{0, 1}, {2, 3}, {4, 5}, {6, 0}};
  int round = 0;
  for (auto [a, b] : pairs) {
    SCOPED_TRACE(absl::StrCat("stopped ", a, " and ", b));
    if (++round % 2 == 0) {
      cluster().KillNode(a);
      cluster().KillNode(b);
    } else {
      ASSERT_TRUE(cluster().StopNode(a).ok());
      ASSERT_TRUE(cluster().StopNode(b).ok());
    }
    const std::string out = alice->File(absl::StrCat("video.", a, b));
    CliResult got = alice->Run({"get", id, "-o", out});
    ASSERT_EQ(got.exit_code, 0) << got.Describe();
    EXPECT_TRUE(ReadFile(out) == data);
    ASSERT_TRUE(cluster().StartNode(a).ok());
    ASSERT_TRUE(cluster().StartNode(b).ok());
    ASSERT_TRUE(cluster().WaitForNodesUp(7, absl::Seconds(30)).ok());
  }
  // Once the coordinator has marked them down, their shards are listed as
  // missing and the client does not even try them.
  ASSERT_TRUE(cluster().StopNode(1).ok());
  ASSERT_TRUE(cluster().StopNode(5).ok());
  ASSERT_TRUE(cluster().WaitForNodesUp(5, absl::Seconds(30)).ok());
  CliResult got = alice->Run({"get", id, "-o", alice->File("video.down")});
  ASSERT_EQ(got.exit_code, 0) << got.Describe();
  EXPECT_TRUE(ReadFile(alice->File("video.down")) == data);

  // A third node down: a segment may have fewer than k shards; the error says so.
  ASSERT_TRUE(cluster().StopNode(3).ok());
  CliResult three = alice->Run({"get", id, "-o", alice->File("video.3")});
  if (three.exit_code != 0) {
    EXPECT_EQ(three.exit_code, 5) << three.Describe();
    EXPECT_THAT(three.err, HasSubstr("shards needed could be read"));
  }
}

TEST_F(FaultTest, PutMovesShardsOffADeadDaemonToTheSpare) {
  auto alice = SignUp("alice");
  // Dead before the put, but the coordinator does not know it yet.
  cluster().KillNode(2);
  const std::string data = WriteRandomFile(alice->File("a.bin"), 2 * 1024 * 1024 + 5, 31);
  CliResult put = alice->Run({"--json", "put", alice->File("a.bin"), "--name", "a.bin"});
  ASSERT_EQ(put.exit_code, 0) << put.Describe();
  nlohmann::json j = nlohmann::json::parse(put.out);
  EXPECT_GT(j["replaced_shards"].get<int>(), 0) << put.Describe();
  CliResult got = alice->Run({"get", "a.bin", "-o", alice->File("a.back")});
  ASSERT_EQ(got.exit_code, 0) << got.Describe();
  EXPECT_TRUE(ReadFile(alice->File("a.back")) == data);
}

TEST_F(FaultTest, DaemonKilledDuringPutNeverLeavesAnUnreadableObject) {
  auto alice = SignUp("alice");
  const std::string small = WriteRandomFile(alice->File("before"), 100000, 41);
  ASSERT_FALSE(Put(*alice, alice->File("before"), "before").empty());
  const std::string big = WriteRandomFile(alice->File("big"), 32 * 1024 * 1024, 42);
  const int victim = 3;
  const int shards_before = CountFiles(cluster().node_data_dir(victim));

  testing::ProcessOptions o;
  o.binary = testing::BinaryPath("freehold");
  o.args = {"--json", "put", alice->File("big"), "--name", "big"};
  o.env = {{"FREEHOLD_CONFIG_DIR", alice->config_dir()},
           {"FREEHOLD_PASSWORD", TestPassword(HandleOf(*alice))},
           {"FREEHOLD_ACCOUNTS_ADDR", cluster().accounts_address()},
           {"FREEHOLD_COORDINATOR_ADDR", cluster().coordinator_address()},
           {"FREEHOLD_CA_FILE", cluster().ca_file()},
           {"FREEHOLD_ALLOW_WEAK_KDF", "1"}};
  o.stderr_path = alice->File("bigput.err");
  o.stdout_path = alice->File("bigput.out");
  auto put = testing::Process::Start(o);
  ASSERT_TRUE(put.ok()) << put.status();
  // Kill the victim once it has stored a few shards of this upload.
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  bool killed_mid_put = false;
  while (absl::Now() < deadline) {
    if (!(*put)->Running()) break;
    if (CountFiles(cluster().node_data_dir(victim)) >= shards_before + 3) {
      cluster().KillNode(victim);
      killed_mid_put = (*put)->Running();
      break;
    }
    absl::SleepFor(absl::Milliseconds(2));
  }
  auto code = (*put)->Wait(absl::Seconds(120));
  ASSERT_TRUE(code.ok()) << code.status();
  ASSERT_TRUE(killed_mid_put) << "the put finished before the daemon could be killed";
  const std::string out = ReadFile(alice->File("bigput.out"));
  const std::string err = ReadFile(alice->File("bigput.err"));
  if (*code == 0) {
    // The killed daemon's remaining shards went to other nodes.
    nlohmann::json j = nlohmann::json::parse(out, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << out << err;
    EXPECT_GT(j.value("replaced_shards", 0), 0) << out << err;
  } else {
    // A failure must say what happened.
    EXPECT_THAT(err, HasSubstr("could not be stored")) << err;
  }
  ExpectEveryVisibleObjectReadable(*alice, {{"before", small}, {"big", big}});
}

// Down is not lost: with three holders of a segment stopped (and marked down) the data
// is unreadable but NOT lost: `get` exits 5 saying so, `status` says UNAVAILABLE and not
// DATA LOST, the coordinator counts it unavailable and not lost; when they return,
// everything reads back.
TEST_F(FaultTest, ThreeDaemonsDownIsUnavailableNotLost) {
  auto alice = SignUp("alice");
  const std::string data = WriteRandomFile(alice->File("doc"), 300 * 1024, 91);
  const std::string id = Put(*alice, alice->File("doc"), "doc");
  ASSERT_FALSE(id.empty());
  std::vector<int> holders;
  for (int n = 0; n < cluster().node_count() && holders.size() < 3; ++n) {
    for (const auto& [key, path] : ShardFiles(cluster().node_data_dir(n))) {
      if (key.rfind(HexOfUuid(id), 0) == 0) {
        holders.push_back(n);
        break;
      }
    }
  }
  ASSERT_EQ(holders.size(), 3u);
  for (int n : holders) ASSERT_TRUE(cluster().StopNode(n).ok());
  ASSERT_TRUE(cluster().WaitForNodesUp(cluster().node_count() - 3, absl::Seconds(30)).ok());

  CliResult got = alice->Run({"get", id, "-o", alice->File("doc.down")});
  EXPECT_EQ(got.exit_code, 5) << got.Describe();
  EXPECT_THAT(got.err, HasSubstr("not lost"));
  // The counts follow once the leader has recorded the nodes as down (bounded wait).
  absl::StatusOr<v1::ClusterStatusResponse> st;
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  do {
    absl::SleepFor(absl::Milliseconds(250));
    st = cluster().Status();
  } while (absl::Now() < deadline && (!st.ok() || st->segments_unavailable() == 0));
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_EQ(st->segments_lost(), 0u);
  EXPECT_GE(st->segments_unavailable(), 1u);
  // Node-level details for an account holding coordinator:operator (no shared secret):
  // alice is made an admin the real way; her next command's token carries the role.
  absl::Status boot = cluster().BootstrapAdmin(HandleOf(*alice));
  ASSERT_TRUE(boot.ok()) << boot;
  CliResult status = alice->Run({"status"});
  EXPECT_EQ(status.exit_code, 0) << status.Describe();
  EXPECT_THAT(status.out, HasSubstr("UNAVAILABLE"));
  EXPECT_THAT(status.out, ::testing::Not(HasSubstr("DATA LOST")));

  for (int n : holders) ASSERT_TRUE(cluster().StartNode(n).ok());
  ASSERT_TRUE(cluster().WaitForNodesUp(cluster().node_count(), absl::Seconds(30)).ok());
  CliResult back = alice->Run({"get", id, "-o", alice->File("doc.back")});
  ASSERT_EQ(back.exit_code, 0) << back.Describe();
  EXPECT_TRUE(ReadFile(alice->File("doc.back")) == data);
}

}  // namespace
}  // namespace freehold::e2e
