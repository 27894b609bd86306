// End-to-end: encrypted folders (docs/ARCHITECTURE.md#folders). The real CLI,
// coordinator, accounts, six storage daemons and PostgreSQL: a nested tree with
// empty folders, Unicode and odd names (spaces, a newline, a 255-byte name, names
// differing only by case), small (inline) and sharded files, permissions and
// modification times round trips byte for byte through `put -r` / `get -r`;
// symlinks are skipped with a notice; files stored already are not sent again;
// collisions are refused unless --overwrite;
// path lookups never list (counted with the coordinator's per-method metrics);
// a folder moved while a writer stores files into it loses nothing; objects
// stored before folders stay in the root, listed and readable; rm -r.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dirent.h>

#include <map>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <iostream>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/e2e/e2e_fixture.h"

namespace freehold::e2e {
namespace {

using ::testing::HasSubstr;

// What a local tree holds, for comparison: relative path -> (type, bytes, mode, mtime ns).
struct Node {
  char type = 0;  // 'd', 'f', 'l'
  std::string bytes;
  mode_t mode = 0;
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
    node.mode = st.st_mode & 07777;
    node.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
    if (S_ISDIR(st.st_mode)) {
      node.type = 'd';
      Scan(root, r, out);
    } else if (S_ISLNK(st.st_mode)) {
      node.type = 'l';
      node.mode = 0;
      node.mtime_ns = 0;
    } else {
      node.type = 'f';
      node.bytes = ReadFile(root + "/" + r);
    }
    (*out)[r] = node;
  }
  ::closedir(d);
}

void SetTimeAndMode(const std::string& path, int64_t mtime_ns, mode_t mode) {
  ASSERT_EQ(::chmod(path.c_str(), mode), 0) << path;
  struct timespec t[2];
  t[0].tv_sec = 0;
  t[0].tv_nsec = UTIME_OMIT;
  t[1].tv_sec = mtime_ns / 1000000000;
  t[1].tv_nsec = mtime_ns % 1000000000;
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), t, AT_SYMLINK_NOFOLLOW), 0) << path;
}

class FoldersTest : public ClusterTest<6, 3> {};

TEST_F(FoldersTest, NestedTreeWithOddNamesRoundTripsWithPermissionsAndTimes) {
  auto alice = SignUp("alice");
  const std::string src = alice->File("photos");
  for (const char* d : {"", "/a", "/a/b", "/a/b/c", "/a/empty", "/a/empty2",
                        "/a/empty2/nested empty", "/\xc3\xbcn\xc3\xaf c\xc3\xb8" "d\xc3\xa9"}) {
    ASSERT_EQ(::mkdir((src + d).c_str(), 0755), 0) << d;
  }
  const std::string long_name = std::string(251, 'L') + ".bin";  // 255 bytes
  struct F {
    std::string path;
    size_t size;
    mode_t mode;
  };
  const std::vector<F> files = {
      {"/a/b/c/deep.bin", 3000, 0600},
      {"/spaces in  name .txt", 100, 0644},
      {"/new\nline.txt", 10, 0640},
      {"/" + long_name, 500, 0600},
      {"/Case.txt", 20, 0644},
      {"/case.txt", 21, 0644},
      {"/\xc3\xbcn\xc3\xaf c\xc3\xb8" "d\xc3\xa9/\xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x93\xb7.jpg", 5000,
       0644},
      {"/a/big.bin", 300000, 0755},  // sharded (over the inline limit)
      {"/a/zero", 0, 0400},
  };
  for (size_t i = 0; i < files.size(); ++i) {
    WriteRandomFile(src + files[i].path, files[i].size, static_cast<uint32_t>(i + 7));
    SetTimeAndMode(src + files[i].path, 1600000000123456789LL + static_cast<int64_t>(i) * 1000,
                   files[i].mode);
  }
  ASSERT_EQ(::symlink("Case.txt", (src + "/link").c_str()), 0);
  // Directory times and modes last (creating files changes them).
  SetTimeAndMode(src + "/a/empty", 1500000000000000001LL, 0700);
  SetTimeAndMode(src + "/a/empty2/nested empty", 1500000000000000002LL, 0750);
  SetTimeAndMode(src + "/a/empty2", 1500000000000000003LL, 0755);
  SetTimeAndMode(src + "/a/b/c", 1500000000000000004LL, 0755);
  SetTimeAndMode(src + "/a/b", 1500000000000000005LL, 0711);
  SetTimeAndMode(src + "/a", 1500000000000000006LL, 0755);

  CliResult put = alice->Run({"--json", "put", "-r", "--concurrency", "4", src});
  ASSERT_EQ(put.exit_code, 0) << put.Describe();
  nlohmann::json pj = Json(put);
  EXPECT_EQ(pj["files"], files.size()) << put.out;
  EXPECT_EQ(pj["remote"], "/photos");
  ASSERT_EQ(pj["skipped"].size(), 1u) << put.out;
  EXPECT_EQ(pj["skipped"][0]["type"], "symbolic link");
  EXPECT_THAT(put.err, HasSubstr("skipped the symbolic link"));
  // The server holds no name: folder rows carry only ids, hashes and sealed blobs.
  EXPECT_EQ(Sql("SELECT count(*) FROM folders"), 8);
  EXPECT_EQ(Sql("SELECT count(*) FROM folders WHERE position('empty'::bytea IN "
                "encrypted_metadata) > 0"),
            0);

  const std::string back = alice->File("back");
  CliResult get = alice->Run({"--json", "get", "-r", "/photos", back});
  ASSERT_EQ(get.exit_code, 0) << get.Describe();
  EXPECT_EQ(Json(get)["files"], files.size());

  std::map<std::string, Node> want, got;
  Scan(src, "", &want);
  Scan(back, "", &got);
  ASSERT_EQ(want.erase("link"), 1u);
  EXPECT_EQ(got.size(), want.size());
  for (const auto& [path, node] : want) {
    auto it = got.find(path);
    ASSERT_NE(it, got.end()) << "missing: " << path;
    EXPECT_EQ(it->second.type, node.type) << path;
    EXPECT_TRUE(it->second.bytes == node.bytes) << "content differs: " << path;
    EXPECT_EQ(it->second.mode, node.mode) << path;
    EXPECT_EQ(it->second.mtime_ns, node.mtime_ns) << path;
  }

  // find lists every path once; ls of a path and ls -R work.
  CliResult find = alice->Run({"--json", "find", "/photos"});
  ASSERT_EQ(find.exit_code, 0) << find.Describe();
  std::set<std::string> found;
  for (const nlohmann::json& e : Json(find)) found.insert(e["path"].get<std::string>());
  std::set<std::string> expected;
  for (const auto& [path, node] : want) expected.insert("/photos/" + path);
  EXPECT_EQ(found, expected);
  CliResult ls = alice->Run({"--json", "ls", "/photos/a"});
  ASSERT_EQ(ls.exit_code, 0) << ls.Describe();
  EXPECT_EQ(Json(ls).size(), 5u) << ls.out;  // b, empty, empty2, big.bin, zero
  CliResult lsr = alice->Run({"ls", "-R", "/photos"});
  ASSERT_EQ(lsr.exit_code, 0) << lsr.Describe();
  EXPECT_THAT(lsr.out, HasSubstr("/photos/a/b/c/deep.bin"));

  // The same tree again: every file is stored already (same size and time), nothing sent.
  const int64_t objects = Sql("SELECT count(*) FROM objects WHERE trashed_at IS NULL");
  CliResult same = alice->Run({"--json", "put", "-r", src, "/photos"});
  ASSERT_EQ(same.exit_code, 0) << same.Describe();
  EXPECT_EQ(Json(same)["files"], 0) << same.out;
  EXPECT_EQ(Json(same)["already_stored"], files.size()) << same.out;
  EXPECT_EQ(Sql("SELECT count(*) FROM objects WHERE trashed_at IS NULL"), objects);
  // Collisions (a different file of the same name): refused before anything is
  // stored; replaced with --overwrite.
  const std::string fresh = WriteRandomFile(src + "/Case.txt", 77, 999);
  CliResult again = alice->Run({"put", "-r", src, "/photos"});
  EXPECT_EQ(again.exit_code, 1) << again.Describe();
  EXPECT_THAT(again.err, HasSubstr("--overwrite"));
  EXPECT_EQ(Sql("SELECT count(*) FROM objects WHERE trashed_at IS NULL"), objects);
  CliResult over = alice->Run({"--json", "put", "-r", "--overwrite", src, "/photos"});
  ASSERT_EQ(over.exit_code, 0) << over.Describe();
  EXPECT_EQ(Json(over)["overwritten"], 1) << over.out;
  EXPECT_EQ(Json(over)["already_stored"], files.size() - 1) << over.out;
  // The replaced files went to the trash (restorable).
  EXPECT_EQ(Sql("SELECT count(*) FROM objects WHERE trashed_at IS NULL"), objects);
  CliResult get2 = alice->Run({"get", "-r", "/photos", alice->File("back2")});
  ASSERT_EQ(get2.exit_code, 0) << get2.Describe();
  EXPECT_EQ(ReadFile(alice->File("back2/Case.txt")), fresh);
  EXPECT_EQ(ReadFile(alice->File("back2/case.txt")), want["case.txt"].bytes);

  // rm -r removes the tree; rm of a folder without -r is refused.
  CliResult rm1 = alice->Run({"rm", "/photos"});
  EXPECT_EQ(rm1.exit_code, 2) << rm1.Describe();
  CliResult rm = alice->Run({"--json", "rm", "-r", "/photos"});
  ASSERT_EQ(rm.exit_code, 0) << rm.Describe();
  EXPECT_EQ(Json(rm)["deleted_files"], files.size());
  EXPECT_EQ(Json(rm)["deleted_folders"], 8);
  EXPECT_EQ(Sql("SELECT count(*) FROM folders"), 0);
  // The files went to the trash (restorable, in the root now that their folders are gone).
  EXPECT_GE(Sql("SELECT count(*) FROM objects WHERE trashed_at IS NOT NULL AND parent_id IS NULL"),
            static_cast<int64_t>(files.size()));
  EXPECT_EQ(Sql("SELECT count(*) FROM objects WHERE parent_id IS NOT NULL"), 0);
  CliResult gone = alice->Run({"ls", "/photos"});
  EXPECT_EQ(gone.exit_code, 4) << gone.Describe();
}

TEST_F(FoldersTest, PathLookupsNeverListAndMovesAreAtomicUnderAWriter) {
  auto alice = SignUp("alice");
  // A file stored before folders existed, in the root.
  WriteRandomFile(alice->File("old.txt"), 1234, 5);
  const std::string old_id = Put(*alice, alice->File("old.txt"), "old.txt");
  ASSERT_EQ(alice->Run({"mkdir", "-p", "/a/b/c/d"}).exit_code, 0);
  const std::string small = alice->File("small");
  ASSERT_EQ(::mkdir(small.c_str(), 0755), 0);
  const std::string data = WriteRandomFile(small + "/f.txt", 300, 1);
  ASSERT_EQ(alice->Run({"put", "-r", small, "/a/b/c/d/s"}).exit_code, 0);

  const double lists = RpcCount("ListFolder") + RpcCount("ListObjects");
  const double finds = RpcCount("FindObjectsByName");
  const double resolves = RpcCount("ResolveEntry");
  CliResult mv = alice->Run({"--json", "mv", "/a/b/c/d/s/f.txt", "/a/g.txt"});
  ASSERT_EQ(mv.exit_code, 0) << mv.Describe();
  EXPECT_EQ(RpcCount("ListFolder") + RpcCount("ListObjects"), lists) << "mv listed a folder";
  EXPECT_EQ(RpcCount("FindObjectsByName"), finds);
  // /a/g.txt (2, absent), /a (1), /a/b/c/d/s/f.txt (6).
  EXPECT_EQ(RpcCount("ResolveEntry"), resolves + 9);
  EXPECT_EQ(Json(mv)["list_rpcs"], 0);
  // ls of a deep folder: one lookup per component, one listing.
  const double list_folders = RpcCount("ListFolder");
  CliResult ls = alice->Run({"--json", "ls", "/a/b/c/d/s"});
  ASSERT_EQ(ls.exit_code, 0) << ls.Describe();
  EXPECT_TRUE(Json(ls).empty()) << ls.out;
  EXPECT_EQ(RpcCount("ListFolder"), list_folders + 1);
  EXPECT_EQ(RpcCount("ResolveEntry"), resolves + 9 + 5);

  // Cycles and collisions are refused with the server's reason.
  CliResult cycle = alice->Run({"mv", "/a/b", "/a/b/c/d"});
  EXPECT_EQ(cycle.exit_code, 1) << cycle.Describe();
  EXPECT_THAT(cycle.err, HasSubstr("into itself"));
  ASSERT_EQ(alice->Run({"mkdir", "/x"}).exit_code, 0);
  CliResult clash = alice->Run({"mkdir", "/x"});
  EXPECT_EQ(clash.exit_code, 1) << clash.Describe();
  EXPECT_THAT(clash.err, HasSubstr("exists"));
  CliResult onto = alice->Run({"mv", "/a/g.txt", "/old.txt"});
  EXPECT_EQ(onto.exit_code, 1) << onto.Describe();

  // A writer stores 16 sharded files into a new folder /a/b/w; once it has made
  // that folder, /a/b is moved to /moved while the files are being stored. The
  // folder keeps its id, so every file lands in /moved/w.
  const std::string many = alice->File("many");
  ASSERT_EQ(::mkdir(many.c_str(), 0755), 0);
  std::map<std::string, std::string> written;
  for (int i = 0; i < 16; ++i) {
    const std::string n = absl::StrCat("file", i);
    written[n] = WriteRandomFile(many + "/" + n, 70000 + i, 100 + i);
  }
  const int64_t folders = Sql("SELECT count(*) FROM folders");
  CliResult writer;
  std::thread t([&] { writer = alice->Run({"put", "-r", "--concurrency", "2", many, "/a/b/w"}); });
  for (int i = 0; i < 1500 && Sql("SELECT count(*) FROM folders") == folders; ++i) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  const int64_t stored_before_move = Sql("SELECT count(*) FROM objects WHERE state = 2");
  CliResult moved = alice->Run({"mv", "/a/b", "/moved"});
  t.join();
  ASSERT_EQ(moved.exit_code, 0) << moved.Describe();
  ASSERT_EQ(writer.exit_code, 0) << writer.Describe();
  std::cerr << "objects committed when the move began: " << stored_before_move << "\n";
  CliResult get = alice->Run({"get", "-r", "/moved/w", alice->File("w.back")});
  ASSERT_EQ(get.exit_code, 0) << get.Describe();
  for (const auto& [n, bytes] : written) {
    EXPECT_EQ(ReadFile(alice->File("w.back/" + n)), bytes) << n;
  }
  CliResult gone = alice->Run({"ls", "/a/b"});
  EXPECT_EQ(gone.exit_code, 4) << gone.Describe();

  // The old root object: listed in the root and by plain `ls`, readable by name,
  // and movable into a folder.
  CliResult root = alice->Run({"--json", "ls", "/"});
  ASSERT_EQ(root.exit_code, 0) << root.Describe();
  bool listed = false;
  for (const nlohmann::json& e : Json(root)) listed = listed || e["id"] == old_id;
  EXPECT_TRUE(listed) << root.out;
  CliResult flat = alice->Run({"ls"});
  ASSERT_EQ(flat.exit_code, 0) << flat.Describe();
  EXPECT_THAT(flat.out, HasSubstr(old_id));
  CliResult byname = alice->Run({"get", "old.txt", "-o", alice->File("old.back")});
  ASSERT_EQ(byname.exit_code, 0) << byname.Describe();
  EXPECT_EQ(ReadFile(alice->File("old.back")), ReadFile(alice->File("old.txt")));
  ASSERT_EQ(alice->Run({"mv", "/old.txt", "/x"}).exit_code, 0);
  CliResult x = alice->Run({"get", "-r", "/x", alice->File("x.back")});
  ASSERT_EQ(x.exit_code, 0) << x.Describe();
  EXPECT_EQ(ReadFile(alice->File("x.back/old.txt")), ReadFile(alice->File("old.txt")));
  (void)data;
}

}  // namespace
}  // namespace freehold::e2e
