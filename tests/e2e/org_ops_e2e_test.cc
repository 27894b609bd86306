// End to end (branch orgops): every object command on an organization's files with
// `--org`, with the real `freehold` CLI on the real cluster. An owner and three members
// (admin, member, read-only): the member moves and deletes, the read-only member is
// refused rm, mv, trash ls/restore, share and link by the coordinator (PERMISSION_DENIED
// naming the role) but reads and lists the sharing; the admin restores from the
// organization's trash what the member deleted; an organization file and an
// organization folder shared with an outsider, who reads them, then unshared; a public
// link of an organization file; a removed member refused by the coordinator within 5 s,
// with NOT_FOUND as for a stranger.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <grpcpp/grpcpp.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "common/grpc_server.h"
#include "freehold/v1/coordinator.grpc.pb.h"
#include "tests/e2e/e2e_fixture.h"

namespace freehold::e2e {
namespace {

class OrgOpsEndToEndTest : public ClusterTest<6, 3> {};

// name -> id of the entries of a `ls --json PATH` listing.
std::map<std::string, std::string> Entries(const CliResult& r) {
  std::map<std::string, std::string> out;
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  if (j.is_discarded() || !j.is_array()) return out;
  for (const auto& e : j) out[e.value("name", "")] = e.value("id", "");
  return out;
}

TEST_F(OrgOpsEndToEndTest, EveryObjectCommandWithOrgFollowsTheRolesOnTheServer) {
  std::unique_ptr<CliUser> ann = SignUp("pann"), bob = SignUp("pbob"), cat = SignUp("pcat"),
                           dan = SignUp("pdan"), eve = SignUp("peve");
  const std::string org = "ops" + std::to_string(::getpid());
  ASSERT_EQ(ann->Run({"org", "create", org}).exit_code, 0);
  CliResult r = ann->Run({"org", "add", org, HandleOf(*bob), "--role", "admin"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  r = ann->Run({"org", "add", org, HandleOf(*cat), "--role", "member"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  r = ann->Run({"org", "add", org, HandleOf(*dan), "--role", "read-only"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();

  // The member stores a tree for the organization and makes a folder.
  const std::string local = cat->File("proj");
  ASSERT_EQ(::mkdir(local.c_str(), 0700), 0);
  const std::string a = WriteRandomFile(local + "/a.txt", 3000, 11);
  const std::string b = WriteRandomFile(local + "/b.bin", 200 * 1024, 12);
  r = cat->Run({"put", "-r", "--org", org, local, "/proj"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  r = cat->Run({"mkdir", "--org", org, "/docs"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  r = dan->Run({"--json", "ls", "--org", org, "/proj"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  std::map<std::string, std::string> proj = Entries(r);
  ASSERT_EQ(proj.size(), 2u) << r.out;
  const std::string b_id = proj["b.bin"];

  // The read-only member: every change refused by the coordinator, naming the role.
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"rm", "--org", org, "/proj/a.txt"},
           {"mkdir", "--org", org, "/nope"},
           {"mv", "--org", org, "/proj/a.txt", "/docs"},
           {"share", "--org", org, b_id, "--with", HandleOf(*eve)},
           {"link", "--org", org, b_id},
           {"trash", "ls", "--org", org},
           {"trash", "restore", "--org", org, "a.txt"}}) {
    r = dan->Run(args);
    EXPECT_EQ(r.exit_code, 3) << r.Describe();  // PERMISSION_DENIED
    EXPECT_THAT(r.err, ::testing::HasSubstr("read-only members of organization")) << r.Describe();
  }
  r = dan->Run({"--json", "ls", "--org", org, "/proj"});  // nothing changed
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(Entries(r).size(), 2u) << r.out;

  // The member moves and deletes; the admin restores from the organization's trash.
  r = cat->Run({"mv", "--org", org, "/proj/b.bin", "/docs"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  r = cat->Run({"rm", "--org", org, "/proj/a.txt"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  r = cat->Run({"--json", "trash", "ls"});  // not the member's own trash
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_TRUE(Json(r).empty()) << r.out;
  r = bob->Run({"--json", "trash", "ls", "--org", org});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  ASSERT_EQ(Json(r).size(), 1u) << r.out;
  EXPECT_EQ(Json(r)[0]["name"], "a.txt") << r.out;
  r = bob->Run({"trash", "restore", "--org", org, "a.txt"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  const std::string out = dan->File("out");
  r = dan->Run({"get", "-r", "--org", org, "/proj", out});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(ReadFile(out + "/a.txt"), a);
  r = dan->Run({"--json", "ls", "--org", org, "/docs"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(Entries(r)["b.bin"], b_id) << r.out;

  // An organization file shared with an outsider, who reads it with their own key.
  r = cat->Run({"share", "--org", org, b_id, "--with", HandleOf(*eve)});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  r = dan->Run({"--json", "share", "--list", "--org", org, b_id});  // any member sees it
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  ASSERT_EQ(Json(r)["shared_with"].size(), 1u) << r.out;
  EXPECT_EQ(Json(r)["shared_with"][0]["handle"], HandleOf(*eve));
  r = eve->Run({"get", b_id, "-o", eve->File("b.bin")});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(ReadFile(eve->File("b.bin")), b);
  // Unshared by another writer: the outsider is refused at once.
  r = bob->Run({"unshare", "--org", org, b_id, HandleOf(*eve)});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  r = eve->Run({"get", b_id, "-o", eve->File("again.bin")});
  EXPECT_NE(r.exit_code, 0) << r.Describe();
  // The organization's folder too (its key is wrapped to the outsider).
  r = ann->Run({"--json", "share", "--org", org, "/docs", "--with", HandleOf(*eve)});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  const std::string docs_id = Json(r)["id"].get<std::string>();
  r = eve->Run({"shared", "get", docs_id, "-o", eve->File("docs")});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(ReadFile(eve->File("docs") + "/b.bin"), b);

  // A public link of an organization file, then disabled.
  r = cat->Run({"--json", "link", "--org", org, b_id});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  const std::string link = Json(r)["link"].get<std::string>();
  r = eve->Run({"fetch", link, "-o", eve->File("linked.bin")});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(ReadFile(eve->File("linked.bin")), b);
  r = bob->Run({"--json", "link", "--disable", "--org", org, b_id});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(Json(r)["link_keys_removed"], 1) << r.out;
  r = eve->Run({"fetch", link, "-o", eve->File("linked2.bin")});
  EXPECT_EQ(r.exit_code, 4) << r.Describe();  // NOT_FOUND: the link no longer works

  // The member is removed: the coordinator refuses their own token for the organization
  // within 5 s, with the NOT_FOUND a stranger gets.
  r = ann->Run({"--json", "org", "ls"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  const std::string org_id = Json(r)["orgs"][0]["org_id"].get<std::string>();
  absl::StatusOr<std::shared_ptr<grpc::Channel>> ch =
      MakeChannel(cluster().coordinator_address(), cluster().client_tls());
  ASSERT_TRUE(ch.ok()) << ch.status();
  std::unique_ptr<v1::Coordinator::Stub> stub = v1::Coordinator::NewStub(*ch);
  auto delete_as = [&](const std::string& token) {
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    ctx.AddMetadata("authorization", "Bearer " + token);
    ctx.AddMetadata("freehold-org", org_id);
    v1::DeleteObjectRequest req;
    req.set_object_id("00000000-0000-4000-8000-000000000000");  // no such object
    v1::DeleteObjectResponse resp;
    return stub->DeleteObject(&ctx, req, &resp);
  };
  ASSERT_EQ(cat->Run({"whoami"}).exit_code, 0);  // a fresh token
  const std::string cat_token = AccessToken(*cat);
  grpc::Status member = delete_as(cat_token);  // allowed in, then: no such object
  EXPECT_EQ(member.error_code(), grpc::StatusCode::NOT_FOUND) << member.error_message();
  EXPECT_THAT(member.error_message(), ::testing::Not(::testing::HasSubstr("organization")));
  r = ann->Run({"org", "remove", org, HandleOf(*cat)});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  const absl::Time removed = absl::Now();
  grpc::Status after;
  while (absl::Now() < removed + absl::Seconds(10)) {
    after = delete_as(cat_token);
    if (after.error_message().find("organization") != std::string::npos) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_EQ(after.error_code(), grpc::StatusCode::NOT_FOUND) << after.error_message();
  EXPECT_THAT(after.error_message(), ::testing::HasSubstr("not found"));
  EXPECT_LT(absl::Now() - removed, absl::Seconds(5));
  ASSERT_EQ(eve->Run({"whoami"}).exit_code, 0);
  grpc::Status stranger = delete_as(AccessToken(*eve));
  EXPECT_EQ(stranger.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(stranger.error_message(), after.error_message());  // nothing tells them apart
  r = cat->Run({"rm", "--org", org, "/docs/b.bin"});
  EXPECT_NE(r.exit_code, 0) << r.Describe();
  r = bob->Run({"--json", "ls", "--org", org, "/docs"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(Entries(r).size(), 1u) << r.out;

  // After the rotation (generation 2) a folder holding generation-1 files is shared: its
  // new key goes to the current generation, the files' keys open with the older one.
  r = bob->Run({"--json", "share", "--org", org, "/proj", "--with", HandleOf(*eve)});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  const std::string proj_id = Json(r)["id"].get<std::string>();
  r = eve->Run({"shared", "get", proj_id, "-o", eve->File("proj")});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(ReadFile(eve->File("proj") + "/a.txt"), a);

  // sync up by a writer (to the current generation), down by the read-only member;
  // export of an organization file is a standard age file.
  const std::string up = bob->File("up");
  ASSERT_EQ(::mkdir(up.c_str(), 0700), 0);
  const std::string c = WriteRandomFile(up + "/c.txt", 4000, 13);
  r = bob->Run({"sync", "--org", org, up, "fh:/synced"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  const std::string down = dan->File("down");
  r = dan->Run({"sync", "--org", org, "fh:/synced", down});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(ReadFile(down + "/c.txt"), c);
  r = dan->Run({"sync", "--org", org, down, "fh:/synced2"});  // read-only: no sync up
  EXPECT_EQ(r.exit_code, 3) << r.Describe();
  r = dan->Run({"export", "--org", org, b_id, "-o", dan->File("b.age")});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(ReadFile(dan->File("b.age")).rfind("age-encryption.org/v1\n", 0), 0u);
}

}  // namespace
}  // namespace freehold::e2e
