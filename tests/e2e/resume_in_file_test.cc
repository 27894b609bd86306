// End-to-end: resume inside a file (client/cli/upload_resume.h). With 64 KiB
// segments, `freehold put` of a file of many segments is killed (SIGKILL) once
// a few are committed; run again it continues the same object: the segments
// committed before the kill are not sent again (CommitSegment calls counted on
// the coordinator) and the file reads back byte for byte. A file changed after
// the kill is not resumed (uploaded afresh, the new content stored).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <string>

#include "absl/time/clock.h"
#include "tests/e2e/e2e_fixture.h"

namespace freehold::e2e {
namespace {

class ResumeInFileTest : public ClusterTest<6, 3> {
 protected:
  static void SetUpTestSuite() {
    ClusterOptions o = Options();
    o.segment_size = "64KiB";
    o.coordinator_args = {"--inline-max-size", "0"};
    StartWith(o);
  }

  std::string Text(const std::string& query) {
    pqxx::connection c(cluster().database_url());
    pqxx::work w(c);
    w.exec("SET search_path = coordinator");
    pqxx::result r = w.exec(query);
    w.commit();
    return r.empty() || r[0][0].is_null() ? "" : r[0][0].as<std::string>();
  }

  // Starts `put FILE --name NAME` and kills it once at least `segments` of
  // its segments are committed. The id of the pending object, "" on failure.
  std::string PutAndKill(CliUser& u, const std::string& file, const std::string& name,
                         int segments) {
    const std::string out = u.File("killed.out");
    absl::StatusOr<std::unique_ptr<testing::Process>> p =
        u.Start({"--json", "put", file, "--name", name}, out);
    EXPECT_TRUE(p.ok()) << p.status();
    if (!p.ok()) return "";
    const std::string committed_query =
        "SELECT count(*) FROM segments s JOIN objects o USING (object_id) "
        "WHERE o.committed_at IS NULL AND s.committed";
    const absl::Time deadline = absl::Now() + absl::Seconds(40);
    while (absl::Now() < deadline && (*p)->Running() && Sql(committed_query) < segments) {
      absl::SleepFor(absl::Milliseconds(5));
    }
    EXPECT_TRUE((*p)->Running()) << "the put ended before it could be killed: " << ReadFile(out);
    (*p)->KillHard();
    // A call sent just before the kill may still land: let it.
    absl::SleepFor(absl::Milliseconds(500));
    return Text("SELECT object_id::text FROM objects WHERE committed_at IS NULL");
  }
};

TEST_F(ResumeInFileTest, AKilledPutResumesAtTheFirstSegmentNotCommitted) {
  auto alice = SignUp("resumer");
  // 160 segments of 64 KiB.
  const std::string file = alice->File("big.bin");
  const std::string data = WriteRandomFile(file, 160 * 65536 - 1000, 5);
  const std::string pending = PutAndKill(*alice, file, "big.bin", 5);
  ASSERT_FALSE(pending.empty()) << "no pending object after the kill";
  const int64_t committed = Sql(
      "SELECT count(*) FROM segments WHERE committed AND object_id = '" + pending + "'");
  ASSERT_GE(committed, 5);
  ASSERT_LT(committed, 160) << "all were committed before the kill";

  const double commits_before = RpcCount("CommitSegment");
  CliResult again = alice->Run({"--json", "put", file, "--name", "big.bin"});
  ASSERT_EQ(again.exit_code, 0) << again.Describe();
  const nlohmann::json j = Json(again);
  EXPECT_EQ(j["id"], pending) << "the interrupted object is the one completed";
  const int64_t segments = j["segments"].get<int64_t>();
  EXPECT_EQ(j["resumed_segments"].get<int64_t>(), committed) << again.out;
  EXPECT_EQ(RpcCount("CommitSegment") - commits_before, static_cast<double>(segments - committed))
      << "segments committed before the kill were sent again";
  EXPECT_EQ(Sql("SELECT count(*) FROM objects WHERE committed_at IS NOT NULL"), 1);

  CliResult get = alice->Run({"get", "big.bin", "-o", alice->File("back.bin")});
  ASSERT_EQ(get.exit_code, 0) << get.Describe();
  EXPECT_TRUE(ReadFile(alice->File("back.bin")) == data) << "bytes differ after a resumed put";
}

TEST_F(ResumeInFileTest, AFileChangedAfterTheKillIsUploadedAfresh) {
  auto bob = SignUp("changer");
  const std::string file = bob->File("big.bin");
  WriteRandomFile(file, 120 * 65536, 6);
  const std::string pending = PutAndKill(*bob, file, "big.bin", 3);
  ASSERT_FALSE(pending.empty());
  // Same size, other bytes (and so another modification time or inode).
  absl::SleepFor(absl::Milliseconds(20));
  const std::string changed = WriteRandomFile(file, 120 * 65536, 7);
  CliResult again = bob->Run({"--json", "put", file, "--name", "big.bin"});
  ASSERT_EQ(again.exit_code, 0) << again.Describe();
  const nlohmann::json j = Json(again);
  EXPECT_NE(j["id"], pending);
  EXPECT_EQ(j["resumed_segments"], 0) << again.out;
  CliResult get = bob->Run({"get", "big.bin", "-o", bob->File("back.bin")});
  ASSERT_EQ(get.exit_code, 0) << get.Describe();
  EXPECT_TRUE(ReadFile(bob->File("back.bin")) == changed);
}

}  // namespace
}  // namespace freehold::e2e
