// End-to-end: `freehold sync` (docs/ARCHITECTURE.md#sync) with the real CLI,
// coordinator, accounts, six storage daemons and PostgreSQL: sync up after
// edits, deletes (--delete) and a rename; --dry-run changes nothing; a second
// device syncs the same tree down, then follows remote changes; get -r resumes;
// a sync killed (SIGKILL) mid-transfer, run again, does not send the objects
// committed before the kill and ends complete and byte-exact; --json events
// parse and a pipe gets one summary line; put/get of many files and -r give
// the same progress (quiet in pipes, --events); --checksum finds in-place edits.
#include <dirent.h>
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "tests/e2e/e2e_fixture.h"

namespace freehold::e2e {
namespace {

using ::testing::HasSubstr;

// A local tree: relative path -> (type, bytes, mtime ns).
struct Node {
  char type = 0;  // 'd', 'f'
  std::string bytes;
  int64_t mtime_ns = 0;
  bool operator==(const Node&) const = default;
};

void Scan(const std::string& root, const std::string& rel, std::map<std::string, Node>* out) {
  const std::string dir = rel.empty() ? root : root + "/" + rel;
  DIR* d = ::opendir(dir.c_str());
  ASSERT_NE(d, nullptr) << dir;
  while (struct dirent* e = ::readdir(d)) {
    const std::string n = e->d_name;
    if (n == "." || n == "..") continue;
    const std::string r = rel.empty() ? n : rel + "/" + n;
    struct stat st;
    ASSERT_EQ(::lstat((root + "/" + r).c_str(), &st), 0);
    Node node;
    if (S_ISDIR(st.st_mode)) {
      node.type = 'd';
      Scan(root, r, out);
    } else {
      node.type = 'f';
      node.bytes = ReadFile(root + "/" + r);
      node.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
    }
    (*out)[r] = node;
  }
  ::closedir(d);
}

// Same paths, types, bytes and file modification times.
void ExpectSameTree(const std::string& want_root, const std::string& got_root) {
  std::map<std::string, Node> want, got;
  Scan(want_root, "", &want);
  Scan(got_root, "", &got);
  std::set<std::string> a, b;
  for (const auto& [p, n] : want) a.insert(p);
  for (const auto& [p, n] : got) b.insert(p);
  EXPECT_EQ(b, a) << got_root << " vs " << want_root;
  for (const auto& [path, node] : want) {
    auto it = got.find(path);
    if (it == got.end()) continue;
    EXPECT_EQ(it->second.type, node.type) << path;
    EXPECT_TRUE(it->second.bytes == node.bytes) << "content differs: " << path;
    EXPECT_EQ(it->second.mtime_ns, node.mtime_ns) << path;
  }
}

void SetMtime(const std::string& path, int64_t ns) {
  struct timespec t[2];
  t[0].tv_sec = 0;
  t[0].tv_nsec = UTIME_OMIT;
  t[1].tv_sec = ns / 1000000000;
  t[1].tv_nsec = ns % 1000000000;
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), t, 0), 0) << path;
}

// Every line of `out` parsed as one JSON event.
std::vector<nlohmann::json> Events(const std::string& out) {
  std::vector<nlohmann::json> events;
  for (absl::string_view line : absl::StrSplit(out, '\n', absl::SkipEmpty())) {
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << "not JSON: " << line;
    EXPECT_TRUE(j.contains("event")) << line;
    events.push_back(j);
  }
  return events;
}

// path -> action of the "file" (or "plan") events, folders created left out.
std::map<std::string, std::string> Actions(const std::vector<nlohmann::json>& events,
                                           const std::string& kind) {
  std::map<std::string, std::string> m;
  for (const nlohmann::json& e : events) {
    if (e["event"] == kind && e["action"] != "mkdir") {
      m[e["path"].get<std::string>()] = e["action"].get<std::string>();
    }
  }
  return m;
}

class SyncTest : public ClusterTest<6, 3> {
 protected:
  int64_t Sql(const std::string& query) {
    pqxx::connection c(cluster().database_url());
    pqxx::work w(c);
    w.exec("SET search_path = coordinator");
    pqxx::row r = w.exec1(query);
    w.commit();
    return r[0].is_null() ? 0 : r[0].as<int64_t>();
  }
  std::set<std::string> LiveObjectIds() {
    pqxx::connection c(cluster().database_url());
    pqxx::work w(c);
    w.exec("SET search_path = coordinator");
    std::set<std::string> ids;
    for (const pqxx::row& r : w.exec("SELECT object_id::text FROM objects WHERE committed_at IS "
                                     "NOT NULL AND trashed_at IS NULL")) {
      ids.insert(r[0].as<std::string>());
    }
    return ids;
  }
};

TEST_F(SyncTest, UpAfterEditsDeletesAndRenameThenASecondDeviceFollows) {
  auto alice = SignUp("alice");
  const std::string src = alice->File("src");
  for (const char* d : {"", "/a", "/a/b", "/empty"}) {
    ASSERT_EQ(::mkdir((src + d).c_str(), 0755), 0) << d;
  }
  WriteRandomFile(src + "/a/one.txt", 1000, 1);
  WriteRandomFile(src + "/a/b/two.bin", 300000, 2);  // sharded
  WriteRandomFile(src + "/three.txt", 50, 3);

  // First sync: everything added; --json gives one event per line.
  CliResult up = alice->Run({"--json", "sync", src, "fh:/s"});
  ASSERT_EQ(up.exit_code, 0) << up.Describe();
  std::vector<nlohmann::json> ev = Events(up.out);
  ASSERT_GE(ev.size(), 2u) << up.out;
  EXPECT_EQ(ev.front()["event"], "start");
  EXPECT_EQ(ev.front()["files"], 3);
  EXPECT_EQ(ev.front()["bytes"], 301050);
  EXPECT_EQ(ev.back()["event"], "summary");
  EXPECT_EQ(ev.back()["transferred"], 3);
  EXPECT_EQ(ev.back()["bytes"], 301050);
  const std::map<std::string, std::string> first = {
      {"a/one.txt", "add"}, {"a/b/two.bin", "add"}, {"three.txt", "add"}};
  EXPECT_EQ(Actions(ev, "file"), first) << up.out;

  // Nothing changed: nothing sent; a pipe gets one summary line and no progress.
  const std::set<std::string> before = LiveObjectIds();
  CliResult same = alice->Run({"sync", src, "fh:/s"});
  ASSERT_EQ(same.exit_code, 0) << same.Describe();
  EXPECT_EQ(std::count(same.out.begin(), same.out.end(), '\n'), 1) << same.Describe();
  EXPECT_THAT(same.out, HasSubstr("sync: 0 of 0 files sent"));
  EXPECT_THAT(same.out, HasSubstr("3 unchanged"));
  EXPECT_EQ(same.err, "") << same.Describe();
  EXPECT_EQ(LiveObjectIds(), before);

  // A second device (same account, its own config dir) sees the same tree.
  CliUser dev2(cluster().accounts_address(), cluster().coordinator_address(),
               TestPassword(HandleOf(*alice)), cluster().ca_file());
  CliResult login = dev2.Run({"login", "--handle", HandleOf(*alice)});
  ASSERT_EQ(login.exit_code, 0) << login.Describe();
  const std::string copy = dev2.File("copy");
  CliResult down = dev2.Run({"sync", "fh:/s", copy});
  ASSERT_EQ(down.exit_code, 0) << down.Describe();
  EXPECT_THAT(down.out, HasSubstr("sync: 3 of 3 files received"));
  ExpectSameTree(src, copy);

  // Edits, a delete and a rename on the first device.
  WriteRandomFile(src + "/a/one.txt", 1001, 11);        // changed size
  WriteRandomFile(src + "/three.txt", 50, 33);          // same size, new content...
  SetMtime(src + "/three.txt", 1700000000123456789LL);  // ...and time
  // (a/b stays, empty.)
  ASSERT_EQ(::rename((src + "/a/b/two.bin").c_str(), (src + "/a/renamed.bin").c_str()), 0);
  ASSERT_EQ(::rmdir((src + "/empty").c_str()), 0);
  WriteRandomFile(src + "/new.txt", 10, 4);

  // --dry-run prints the plan and changes nothing.
  CliResult ls0 = alice->Run({"--json", "find", "/s"});
  ASSERT_EQ(ls0.exit_code, 0) << ls0.Describe();
  CliResult dry = alice->Run({"--json", "sync", "--delete", "--dry-run", src, "fh:/s"});
  ASSERT_EQ(dry.exit_code, 0) << dry.Describe();
  const std::vector<nlohmann::json> plan = Events(dry.out);
  const std::map<std::string, std::string> want_plan = {
      {"a/one.txt", "update"}, {"three.txt", "update"},   {"a/renamed.bin", "add"},
      {"new.txt", "add"},      {"a/b/two.bin", "delete"}, {"empty", "delete"}};
  EXPECT_EQ(Actions(plan, "plan"), want_plan) << dry.out;
  ASSERT_FALSE(plan.empty());
  EXPECT_EQ(plan.back()["dry_run"], true);
  CliResult dry_text = alice->Run({"sync", "--delete", "-n", src, "fh:/s"});
  ASSERT_EQ(dry_text.exit_code, 0) << dry_text.Describe();
  EXPECT_THAT(dry_text.out, HasSubstr("delete a/b/two.bin"));
  EXPECT_THAT(dry_text.out, HasSubstr("nothing was changed"));
  CliResult ls1 = alice->Run({"--json", "find", "/s"});
  EXPECT_EQ(ls1.out, ls0.out);
  EXPECT_EQ(LiveObjectIds(), before);

  // Without --delete a sync adds and updates but keeps what the source lost.
  CliResult up2 = alice->Run({"--json", "sync", src, "fh:/s"});
  ASSERT_EQ(up2.exit_code, 0) << up2.Describe();
  const std::map<std::string, std::string> second = {{"a/one.txt", "update"},
                                                     {"three.txt", "update"},
                                                     {"a/renamed.bin", "add"},
                                                     {"new.txt", "add"}};
  EXPECT_EQ(Actions(Events(up2.out), "file"), second) << up2.out;
  CliResult kept = alice->Run({"ls", "/s/a/b/two.bin"});
  EXPECT_EQ(kept.exit_code, 0) << kept.Describe();
  // With --delete the rest goes.
  CliResult up3 = alice->Run({"--json", "sync", "--delete", src, "fh:/s"});
  ASSERT_EQ(up3.exit_code, 0) << up3.Describe();
  const std::map<std::string, std::string> third = {{"a/b/two.bin", "delete"}, {"empty", "delete"}};
  EXPECT_EQ(Actions(Events(up3.out), "file"), third) << up3.out;
  EXPECT_EQ(Events(up3.out).back()["deleted"], 2);

  // get -r of the result equals the source; a get -r interrupted (one file
  // missing) resumes, fetching only that file.
  const std::string back = alice->File("back");
  CliResult get = alice->Run({"get", "-r", "/s", back});
  ASSERT_EQ(get.exit_code, 0) << get.Describe();
  ExpectSameTree(src, back);
  ASSERT_EQ(::unlink((back + "/a/one.txt").c_str()), 0);
  CliResult get2 = alice->Run({"--json", "get", "-r", "/s", back});
  ASSERT_EQ(get2.exit_code, 0) << get2.Describe();
  nlohmann::json g2 = nlohmann::json::parse(get2.out, nullptr, false);
  EXPECT_EQ(g2["files"], 1) << get2.out;
  EXPECT_EQ(g2["already_saved"], 3) << get2.out;
  ExpectSameTree(src, back);

  // The second device follows: updates, the rename, and deletes with --delete.
  CliResult down2 = dev2.Run({"--json", "sync", "--delete", "fh:/s", copy});
  ASSERT_EQ(down2.exit_code, 0) << down2.Describe();
  const std::map<std::string, std::string> fourth = {
      {"a/one.txt", "update"}, {"three.txt", "update"},   {"a/renamed.bin", "add"},
      {"new.txt", "add"},      {"a/b/two.bin", "delete"}, {"empty", "delete"}};
  EXPECT_EQ(Actions(Events(down2.out), "file"), fourth) << down2.out;
  ExpectSameTree(src, copy);
  // And once in step, nothing more.
  CliResult down3 = dev2.Run({"sync", "--delete", "fh:/s", copy});
  ASSERT_EQ(down3.exit_code, 0) << down3.Describe();
  EXPECT_THAT(down3.out, HasSubstr("sync: 0 of 0 files received"));

  // Usage: exactly one side remote; a file/folder conflict needs --delete.
  CliResult both = alice->Run({"sync", src, copy});
  EXPECT_EQ(both.exit_code, 2) << both.Describe();
  ASSERT_EQ(::unlink((src + "/new.txt").c_str()), 0);
  ASSERT_EQ(::mkdir((src + "/new.txt").c_str(), 0755), 0);
  CliResult conflict = alice->Run({"sync", src, "fh:/s"});
  EXPECT_NE(conflict.exit_code, 0) << conflict.Describe();
  EXPECT_THAT(conflict.err, HasSubstr("--delete"));
}

TEST_F(SyncTest, KilledMidTransferResumesWithoutResendingCommittedObjects) {
  auto alice = SignUp("alice");
  const std::string src = alice->File("tree");
  ASSERT_EQ(::mkdir(src.c_str(), 0755), 0);
  ASSERT_EQ(::mkdir((src + "/sub").c_str(), 0755), 0);
  constexpr int kFiles = 40;
  for (int i = 0; i < kFiles; ++i) {
    // Sharded files (over the inline limit), committed one by one.
    WriteRandomFile(absl::StrCat(src, i % 2 ? "/sub/" : "/", "f", i, ".bin"), 200000 + i,
                    static_cast<uint32_t>(100 + i));
  }
  const std::string events_path = alice->File("killed.out");
  absl::StatusOr<std::unique_ptr<testing::Process>> p =
      alice->Start({"--json", "sync", "--concurrency", "1", src, "fh:/tree"}, events_path);
  ASSERT_TRUE(p.ok()) << p.status();
  // Killed once a few files are committed, well before the end.
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  int done = 0;
  while (absl::Now() < deadline && (*p)->Running()) {
    const std::string out = ReadFile(events_path);
    done = 0;
    for (absl::string_view line : absl::StrSplit(out, '\n')) {
      if (absl::StrContains(line, "\"event\":\"file\"") &&
          absl::StrContains(line, "\"action\":\"add\"")) {
        ++done;
      }
    }
    if (done >= 3) break;
    absl::SleepFor(absl::Milliseconds(10));
  }
  ASSERT_TRUE((*p)->Running()) << "the sync ended before it could be killed: "
                               << ReadFile(events_path);
  (*p)->KillHard();
  ASSERT_GE(done, 3);
  const std::set<std::string> committed = LiveObjectIds();
  ASSERT_GE(committed.size(), 3u);
  ASSERT_LT(committed.size(), static_cast<size_t>(kFiles)) << "all were stored before the kill";

  // Run again: only the rest is sent; what was committed stays as it was.
  CliResult again = alice->Run({"--json", "sync", src, "fh:/tree"});
  ASSERT_EQ(again.exit_code, 0) << again.Describe();
  const std::vector<nlohmann::json> ev = Events(again.out);
  ASSERT_FALSE(ev.empty());
  EXPECT_EQ(ev.back()["event"], "summary");
  EXPECT_EQ(ev.back()["transferred"], kFiles - static_cast<int>(committed.size())) << again.out;
  EXPECT_EQ(ev.back()["unchanged"], committed.size()) << again.out;
  const std::set<std::string> after = LiveObjectIds();
  EXPECT_EQ(after.size(), static_cast<size_t>(kFiles));
  for (const std::string& id : committed) EXPECT_EQ(after.count(id), 1u) << id << " was replaced";
  // Nothing stored twice: every committed object is live.
  EXPECT_EQ(Sql("SELECT count(*) FROM objects WHERE committed_at IS NOT NULL"), kFiles);

  const std::string back = alice->File("back");
  CliResult get = alice->Run({"sync", "fh:/tree", back});
  ASSERT_EQ(get.exit_code, 0) << get.Describe();
  ExpectSameTree(src, back);
}

// Flips one byte of `path` in place and puts its modification time back: the
// same size and time, another content.
void EditInPlaceKeepingSizeAndTime(const std::string& path, off_t at) {
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0) << path;
  const int fd = ::open(path.c_str(), O_RDWR);
  ASSERT_GE(fd, 0) << path;
  char c = 0;
  ASSERT_EQ(::pread(fd, &c, 1, at), 1);
  c = static_cast<char>(c ^ 0x5a);
  ASSERT_EQ(::pwrite(fd, &c, 1, at), 1);
  ASSERT_EQ(::close(fd), 0);
  SetMtime(path, static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec);
  struct stat after;
  ASSERT_EQ(::stat(path.c_str(), &after), 0);
  ASSERT_EQ(after.st_size, st.st_size);
}

TEST_F(SyncTest, ChecksumFindsAFileEditedInPlaceWithTheSameSizeAndTime) {
  auto alice = SignUp("alice");
  const std::string src = alice->File("src");
  ASSERT_EQ(::mkdir(src.c_str(), 0755), 0);
  ASSERT_EQ(::mkdir((src + "/d").c_str(), 0755), 0);
  WriteRandomFile(src + "/small.txt", 1000, 1);     // inline
  WriteRandomFile(src + "/d/big.bin", 300000, 2);   // sharded
  WriteRandomFile(src + "/same.txt", 700, 3);
  CliResult up = alice->Run({"--json", "sync", "--checksum", src, "fh:/c"});
  ASSERT_EQ(up.exit_code, 0) << up.Describe();
  EXPECT_EQ(Events(up.out).back()["transferred"], 3) << up.out;
  // Nothing changed: the recorded hashes match, nothing is sent.
  const std::set<std::string> before = LiveObjectIds();
  CliResult same = alice->Run({"--json", "sync", "--checksum", src, "fh:/c"});
  ASSERT_EQ(same.exit_code, 0) << same.Describe();
  EXPECT_EQ(Events(same.out).back()["transferred"], 0) << same.out;
  EXPECT_EQ(Events(same.out).back()["unchanged"], 3) << same.out;
  EXPECT_EQ(LiveObjectIds(), before);

  EditInPlaceKeepingSizeAndTime(src + "/small.txt", 500);
  EditInPlaceKeepingSizeAndTime(src + "/d/big.bin", 200000);
  // Size and time alone cannot see the edits...
  CliResult blind = alice->Run({"--json", "sync", src, "fh:/c"});
  ASSERT_EQ(blind.exit_code, 0) << blind.Describe();
  EXPECT_EQ(Events(blind.out).back()["transferred"], 0) << blind.out;
  // ...--checksum sends exactly the edited files.
  CliResult sums = alice->Run({"--json", "sync", "--checksum", src, "fh:/c"});
  ASSERT_EQ(sums.exit_code, 0) << sums.Describe();
  const std::map<std::string, std::string> edited = {{"small.txt", "update"},
                                                     {"d/big.bin", "update"}};
  EXPECT_EQ(Actions(Events(sums.out), "file"), edited) << sums.out;
  // The replacements carry their hash: run again, nothing to send.
  CliResult settled = alice->Run({"--json", "sync", "--checksum", src, "fh:/c"});
  ASSERT_EQ(settled.exit_code, 0) << settled.Describe();
  EXPECT_EQ(Events(settled.out).back()["transferred"], 0) << settled.out;

  // Down: a local copy edited in place the same way is found and restored.
  const std::string copy = alice->File("copy");
  CliResult down = alice->Run({"sync", "fh:/c", copy});
  ASSERT_EQ(down.exit_code, 0) << down.Describe();
  ExpectSameTree(src, copy);
  EditInPlaceKeepingSizeAndTime(copy + "/same.txt", 10);
  CliResult down_blind = alice->Run({"--json", "sync", "fh:/c", copy});
  ASSERT_EQ(down_blind.exit_code, 0) << down_blind.Describe();
  EXPECT_EQ(Events(down_blind.out).back()["transferred"], 0) << down_blind.out;
  CliResult down_sums = alice->Run({"--json", "sync", "-c", "fh:/c", copy});
  ASSERT_EQ(down_sums.exit_code, 0) << down_sums.Describe();
  const std::map<std::string, std::string> restored = {{"same.txt", "update"}};
  EXPECT_EQ(Actions(Events(down_sums.out), "file"), restored) << down_sums.out;
  ExpectSameTree(src, copy);
}

TEST_F(SyncTest, ManyFileCommandsAreQuietInPipesAndGiveJsonEvents) {
  auto alice = SignUp("alice");
  const std::string src = alice->File("p");
  ASSERT_EQ(::mkdir(src.c_str(), 0755), 0);
  ASSERT_EQ(::mkdir((src + "/sub").c_str(), 0755), 0);
  WriteRandomFile(src + "/one.txt", 1000, 1);
  WriteRandomFile(src + "/sub/two.bin", 300000, 2);  // sharded
  WriteRandomFile(src + "/three.txt", 50, 3);
  auto no_terminal_output = [](const CliResult& r) {
    EXPECT_EQ(r.out.find('\r'), std::string::npos) << r.Describe();
    EXPECT_EQ(r.err.find('\r'), std::string::npos) << r.Describe();
    EXPECT_EQ(r.out.find('\x1b'), std::string::npos) << r.Describe();
    EXPECT_EQ(r.err.find('\x1b'), std::string::npos) << r.Describe();
  };

  // A pipe: no progress line, one summary line with files, bytes, time and rate.
  CliResult put = alice->Run({"put", "-r", src, "/p"});
  ASSERT_EQ(put.exit_code, 0) << put.Describe();
  no_terminal_output(put);
  EXPECT_EQ(std::count(put.out.begin(), put.out.end(), '\n'), 1) << put.Describe();
  EXPECT_THAT(put.out, HasSubstr("3 of 3 files stored (294.0 KiB)"));
  EXPECT_THAT(put.out, HasSubstr("/s, "));  // "(x MiB/s, y files/s)"
  EXPECT_THAT(put.out, HasSubstr(" files/s)"));

  // --events: start, one "file" event per file, summary.
  const std::string back = alice->File("back");
  CliResult get = alice->Run({"get", "-r", "--events", "/p", back});
  ASSERT_EQ(get.exit_code, 0) << get.Describe();
  no_terminal_output(get);
  std::vector<nlohmann::json> ev = Events(get.out);
  ASSERT_EQ(ev.size(), 5u) << get.out;
  EXPECT_EQ(ev.front()["event"], "start");
  EXPECT_EQ(ev.front()["files"], 3);
  EXPECT_EQ(ev.front()["bytes"], 301050);
  std::set<std::string> paths;
  for (size_t i = 1; i + 1 < ev.size(); ++i) {
    EXPECT_EQ(ev[i]["event"], "file") << ev[i];
    paths.insert(ev[i]["path"].get<std::string>());
  }
  EXPECT_EQ(paths, (std::set<std::string>{back + "/one.txt", back + "/sub/two.bin",
                                          back + "/three.txt"}));
  EXPECT_EQ(ev.back()["event"], "summary");
  EXPECT_EQ(ev.back()["files"], 3);
  EXPECT_EQ(ev.back()["bytes"], 301050);
  EXPECT_GT(ev.back()["seconds"].get<double>(), 0);
  ExpectSameTree(src, back);

  // put FILE... and get NAME...: the same, plus one line per file in a pipe.
  CliResult many = alice->Run({"put", src + "/one.txt", src + "/sub/two.bin"});
  ASSERT_EQ(many.exit_code, 0) << many.Describe();
  no_terminal_output(many);
  EXPECT_EQ(std::count(many.out.begin(), many.out.end(), '\n'), 3) << many.Describe();
  EXPECT_THAT(many.out, HasSubstr("2 of 2 files stored"));
  CliResult many_ev = alice->Run({"put", "--events", src + "/three.txt"});
  ASSERT_EQ(many_ev.exit_code, 0) << many_ev.Describe();
  ev = Events(many_ev.out);
  ASSERT_EQ(ev.size(), 3u) << many_ev.out;
  EXPECT_EQ(ev[1]["event"], "file");
  EXPECT_EQ(ev[1]["bytes"], 50);
  EXPECT_EQ(ev[2]["event"], "summary");
  const std::string dir = alice->File("dir");
  ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0);
  CliResult get_many = alice->Run({"get", "--events", "one.txt", "two.bin", "-o", dir});
  ASSERT_EQ(get_many.exit_code, 0) << get_many.Describe();
  ev = Events(get_many.out);
  ASSERT_EQ(ev.size(), 4u) << get_many.out;
  EXPECT_EQ(ev.back()["files"], 2);
  EXPECT_EQ(ev.back()["bytes"], 301000);
  EXPECT_TRUE(ReadFile(dir + "/two.bin") == ReadFile(src + "/sub/two.bin"));
}

}  // namespace
}  // namespace freehold::e2e
