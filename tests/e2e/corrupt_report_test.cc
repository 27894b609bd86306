// End-to-end: a reader that finds a corrupt shard (bytes flipped on a daemon's disk)
// still gets the right bytes (parity) and reports the shard; the coordinator audits it
// at once (background audits are off here, so nothing else would look), the failed
// audit marks it MISSING and repair restores full redundancy. A report about a good
// shard is audited too and changes nothing.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "tests/e2e/cli_runner.h"
#include "tests/e2e/cluster.h"
#include "tests/e2e/probes.h"

namespace freehold::e2e {
namespace {

TEST(CorruptReportE2eTest, AReportedCorruptShardIsAuditedAndRepairedAtOnce) {
  ClusterOptions o;
  o.storage_nodes = 7;
  o.zones = 4;
  o.coordinator_args = {"--audits=false"};
  absl::StatusOr<std::unique_ptr<Cluster>> started = Cluster::Start(o);
  ASSERT_TRUE(started.ok()) << started.status();
  Cluster& cluster = **started;
  CliUser alice(cluster.accounts_address(), cluster.coordinator_address(), "correct horse crpt",
                cluster.ca_file());
  CliResult signup = alice.Run({"signup", "--handle", absl::StrCat("crpt", ::getpid())});
  ASSERT_EQ(signup.exit_code, 0) << signup.Describe();
  const std::string bytes = WriteRandomFile(alice.File("f"), 300 * 1024, 77);
  CliResult put = alice.Run({"--json", "put", alice.File("f"), "--name", "f"});
  ASSERT_EQ(put.exit_code, 0) << put.Describe();
  const std::string id = nlohmann::json::parse(put.out)["id"].get<std::string>();

  // Flip bytes in data shard 0 (read first by every get).
  const std::string key = HexOfUuid(id) + "-0-0";
  std::string path;
  for (int n = 0; n < cluster.node_count() && path.empty(); ++n) {
    auto files = ShardFiles(cluster.node_data_dir(n));
    if (files.count(key)) path = files[key];
  }
  ASSERT_FALSE(path.empty()) << "shard " << key << " not found on any daemon";
  {
    const int fd = ::open(path.c_str(), O_RDWR);
    ASSERT_GE(fd, 0) << path;
    char c = 0;
    ASSERT_EQ(::pread(fd, &c, 1, 100), 1);
    c = static_cast<char>(c ^ 0x5a);
    ASSERT_EQ(::pwrite(fd, &c, 1, 100), 1);
    ::close(fd);
  }
  const std::string metrics = cluster.coordinator_metrics_address();
  const double failed_before =
      MetricSum(metrics, "freehold_audits_total", "result=\"failed\"", alice.work_dir());

  CliResult got = alice.Run({"get", id, "-o", alice.File("back")});
  ASSERT_EQ(got.exit_code, 0) << got.Describe();
  EXPECT_TRUE(ReadFile(alice.File("back")) == bytes);
  const absl::Time read_at = absl::Now();

  bool confirmed = false, repaired = false;
  while (absl::Now() - read_at < absl::Seconds(30) && !(confirmed && repaired)) {
    absl::SleepFor(absl::Milliseconds(250));
    confirmed = confirmed || MetricSum(metrics, "freehold_audits_total", "result=\"failed\"",
                                       alice.work_dir()) > failed_before;
    if (!confirmed) continue;
    absl::StatusOr<v1::ClusterStatusResponse> st = cluster.Status();
    repaired = st.ok() && st->segments_degraded() == 0;
  }
  EXPECT_TRUE(confirmed) << "the reported shard was never audited";
  EXPECT_TRUE(repaired) << "the corrupt shard was not repaired";
  std::printf("corrupt shard confirmed and repaired %s after the read\n",
              absl::FormatDuration(absl::Now() - read_at).c_str());

  // After the repair the object reads without touching a corrupt shard.
  CliResult again = alice.Run({"get", id, "-o", alice.File("back2")});
  ASSERT_EQ(again.exit_code, 0) << again.Describe();
  EXPECT_TRUE(ReadFile(alice.File("back2")) == bytes);
  EXPECT_EQ(again.err.find("does not match its hash"), std::string::npos) << again.err;
}

}  // namespace
}  // namespace freehold::e2e
