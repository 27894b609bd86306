// End to end (issues 20 and 21): sharing and public links of folders with the
// real CLI, coordinator, accounts, six storage daemons and PostgreSQL. A folder
// shared with bob: he lists and downloads its tree (names opened from the entry
// wraps under the folder key), reads files added to it later (put -r, sync up), reads nothing
// outside it; a second device of the owner sees the share list; unshare refuses
// bob; a folder link downloads the tree without an account and stops working
// with link --disable; bad inputs get precise errors.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "tests/e2e/e2e_fixture.h"

namespace freehold::e2e {
namespace {

using ::testing::HasSubstr;

class FolderShareTest : public ClusterTest<6, 3> {
 protected:
  nlohmann::json Json(const CliUser& u, const std::vector<std::string>& args) {
    std::vector<std::string> full = {"--json"};
    full.insert(full.end(), args.begin(), args.end());
    CliResult r = u.Run(full);
    EXPECT_EQ(r.exit_code, 0) << r.Describe();
    return nlohmann::json::parse(r.out, nullptr, false);
  }
  // Remote path -> id of everything in the tree (ls -R /).
  std::map<std::string, std::string> Ids(const CliUser& u) {
    std::map<std::string, std::string> out;
    nlohmann::json j = Json(u, {"ls", "-R", "/"});
    if (!j.is_array()) return out;
    for (const nlohmann::json& e : j) out[e.value("path", "")] = e.value("id", "");
    return out;
  }
  // Relative paths in `shared ls --json` (folders end with '/').
  std::set<std::string> SharedPaths(const nlohmann::json& j) {
    std::set<std::string> out;
    if (!j.contains("entries")) return {"<no entries: " + j.dump() + ">"};
    for (const nlohmann::json& e : j["entries"]) {
      out.insert(e.value("path", "") + (e.value("folder", false) ? "/" : ""));
    }
    return out;
  }
  void MakeDir(const std::string& path) { ASSERT_EQ(::mkdir(path.c_str(), 0700), 0) << path; }
};

TEST_F(FolderShareTest, SharedFolderTreeLaterFilesUnshareLinkAndErrors) {
  auto alice = SignUp("alice");
  auto bob = SignUp("bob");
  auto carol = SignUp("carol");

  // /docs: a small file, a sharded one two levels down, an empty folder; /other: a secret.
  MakeDir(alice->File("docs"));
  MakeDir(alice->File("docs/sub"));
  MakeDir(alice->File("docs/sub/deeper"));
  MakeDir(alice->File("docs/empty"));
  const std::string a = WriteRandomFile(alice->File("docs/a.txt"), 1000, 1);
  const std::string b = WriteRandomFile(alice->File("docs/sub/b.bin"), 300000, 2);
  const std::string c = WriteRandomFile(alice->File("docs/sub/deeper/c.txt"), 10, 3);
  MakeDir(alice->File("other"));
  WriteRandomFile(alice->File("other/secret.txt"), 500, 4);
  ASSERT_EQ(alice->Run({"put", "-r", alice->File("docs"), "/docs"}).exit_code, 0);
  ASSERT_EQ(alice->Run({"put", "-r", alice->File("other"), "/other"}).exit_code, 0);
  std::map<std::string, std::string> ids = Ids(*alice);
  const std::string docs = ids["/docs"];
  ASSERT_FALSE(docs.empty());

  // Share the folder: keys for the whole tree in one batch.
  nlohmann::json shared = Json(*alice, {"share", "/docs", HandleOf(*bob)});
  EXPECT_TRUE(shared.value("folder", false)) << shared.dump();
  EXPECT_EQ(shared.value("id", ""), docs);
  // Wraps for the 3 files and the 3 folders below /docs, one SetEntryKeys call.
  EXPECT_EQ(shared.value("entries_wrapped", 0), 6) << shared.dump();
  EXPECT_EQ(shared.value("key_batches", 0), 1) << shared.dump();

  // Bob lists and downloads the tree.
  const std::set<std::string> tree = {"a.txt", "empty/", "sub/", "sub/b.bin", "sub/deeper/",
                                      "sub/deeper/c.txt"};
  EXPECT_EQ(SharedPaths(Json(*bob, {"shared", "ls", docs})), tree);
  nlohmann::json got = Json(*bob, {"shared", "get", docs, "-o", bob->File("docs")});
  EXPECT_EQ(got.value("files", 0), 3) << got.dump();
  EXPECT_EQ(ReadFile(bob->File("docs/a.txt")), a);
  EXPECT_EQ(ReadFile(bob->File("docs/sub/b.bin")), b);
  EXPECT_EQ(ReadFile(bob->File("docs/sub/deeper/c.txt")), c);
  // Nothing outside it: the secret file, the other folder, a stranger.
  CliResult secret = bob->Run({"get", ids["/other/secret.txt"], "-o", bob->File("s")});
  EXPECT_NE(secret.exit_code, 0) << secret.Describe();
  CliResult other = bob->Run({"shared", "ls", ids["/other"]});
  EXPECT_NE(other.exit_code, 0);
  EXPECT_THAT(other.err, HasSubstr("not shared with you"));
  CliResult stranger = carol->Run({"shared", "ls", docs});
  EXPECT_NE(stranger.exit_code, 0);
  EXPECT_THAT(stranger.err, HasSubstr("not shared with you"));

  // Files added later (put -r merging into the folder, mkdir, sync up into a folder
  // below it) are readable by bob.
  MakeDir(alice->File("more"));
  const std::string late = WriteRandomFile(alice->File("more/late.txt"), 2000, 5);
  ASSERT_EQ(alice->Run({"put", "-r", alice->File("more"), "/docs"}).exit_code, 0);
  ASSERT_EQ(alice->Run({"mkdir", "/docs/sub/new"}).exit_code, 0);
  MakeDir(alice->File("up"));
  const std::string synced = WriteRandomFile(alice->File("up/synced.txt"), 1500, 6);
  CliResult up = alice->Run({"sync", alice->File("up"), "fh:/docs/sub"});
  ASSERT_EQ(up.exit_code, 0) << up.Describe();
  std::set<std::string> grown = tree;
  grown.insert("late.txt");
  grown.insert("sub/new/");
  grown.insert("sub/synced.txt");
  EXPECT_EQ(SharedPaths(Json(*bob, {"shared", "ls", docs})), grown);
  ASSERT_EQ(bob->Run({"shared", "get", docs, "-o", bob->File("docs2")}).exit_code, 0);
  EXPECT_EQ(ReadFile(bob->File("docs2/late.txt")), late);
  EXPECT_EQ(ReadFile(bob->File("docs2/sub/synced.txt")), synced);

  // A second device of alice sees the share list from the server.
  auto laptop = std::make_unique<CliUser>(cluster().accounts_address(),
                                          cluster().coordinator_address(),
                                          TestPassword(HandleOf(*alice)), cluster().ca_file());
  ASSERT_EQ(laptop->Run({"login", "--handle", HandleOf(*alice)}).exit_code, 0);
  nlohmann::json list = Json(*laptop, {"share", "--list", "/docs"});
  EXPECT_TRUE(list.value("folder", false)) << list.dump();
  ASSERT_EQ(list["shared_with"].size(), 1u) << list.dump();
  EXPECT_EQ(list["shared_with"][0].value("handle", ""), HandleOf(*bob));

  // Unshare (from the laptop): bob is refused the tree and its files.
  CliResult un = laptop->Run({"unshare", "/docs", HandleOf(*bob)});
  ASSERT_EQ(un.exit_code, 0) << un.Describe();
  CliResult refused = bob->Run({"shared", "ls", docs});
  EXPECT_NE(refused.exit_code, 0) << refused.Describe();
  nlohmann::json after = Json(*alice, {"share", "--list", "/docs"});
  EXPECT_TRUE(after["shared_with"].empty()) << after.dump();
  CliResult not_shared = alice->Run({"unshare", "/docs", HandleOf(*bob)});
  EXPECT_NE(not_shared.exit_code, 0);
  EXPECT_THAT(not_shared.err, HasSubstr("is not shared with"));

  // A folder link: anyone (no login) downloads the tree; --disable ends it.
  nlohmann::json link = Json(*alice, {"link", "/docs/sub"});
  const std::string text = link.value("link", "");
  EXPECT_THAT(text, HasSubstr("freehold://folder/"));
  auto anon = std::make_unique<CliUser>(cluster().accounts_address(),
                                        cluster().coordinator_address(), "unused",
                                        cluster().ca_file());
  CliResult fetched = anon->Run({"fetch", text, "-o", anon->File("sub")});
  ASSERT_EQ(fetched.exit_code, 0) << fetched.Describe();
  EXPECT_EQ(ReadFile(anon->File("sub/b.bin")), b);
  EXPECT_EQ(ReadFile(anon->File("sub/deeper/c.txt")), c);
  struct stat st;
  EXPECT_NE(::stat(anon->File("sub/a.txt").c_str(), &st), 0);  // /docs/a.txt is outside /docs/sub
  ASSERT_EQ(alice->Run({"link", "--disable", "/docs/sub"}).exit_code, 0);
  CliResult dead = anon->Run({"fetch", text, "-o", anon->File("sub2")});
  EXPECT_NE(dead.exit_code, 0);
  EXPECT_THAT(dead.err, HasSubstr("no longer works"));

  // Bad inputs.
  CliResult bad_id = bob->Run({"shared", "ls", "not-an-id"});
  EXPECT_NE(bad_id.exit_code, 0);
  EXPECT_THAT(bad_id.err, HasSubstr("is not a folder id"));
  CliResult missing = alice->Run({"share", "/nope/x", HandleOf(*bob)});
  EXPECT_NE(missing.exit_code, 0);
  CliResult nobody = alice->Run({"share", "/docs", "no-such-handle-xyz"});
  EXPECT_NE(nobody.exit_code, 0);
  EXPECT_THAT(nobody.err, HasSubstr("no account with the handle"));
  CliResult root = alice->Run({"share", "/", HandleOf(*bob)});
  EXPECT_NE(root.exit_code, 0);
}

}  // namespace
}  // namespace freehold::e2e
