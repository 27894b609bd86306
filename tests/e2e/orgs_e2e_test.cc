// End to end: organizations with the real `freehold` CLI on the real cluster: created,
// three members (owner, admin, member), the member removed, the key rotated; the removed
// member can no longer read the organization or its keys, the others can, and a member
// added afterwards receives every generation.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <grpcpp/grpcpp.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "client/core/account_keys.h"
#include "common/grpc_server.h"
#include "freehold/v1/accounts.grpc.pb.h"
#include "freehold/v1/coordinator.grpc.pb.h"
#include "tests/e2e/e2e_fixture.h"

namespace freehold::e2e {
namespace {

class OrgsEndToEndTest : public ClusterTest<6, 3> {};

TEST_F(OrgsEndToEndTest, ThreeMembersOneRemovedKeyRotatedFromTheCli) {
  std::unique_ptr<CliUser> ann = SignUp("oann"), bob = SignUp("obob"), cat = SignUp("ocat"),
                           dan = SignUp("odan");
  const std::string org = "acme" + std::to_string(::getpid());
  CliResult r = ann->Run({"org", "create", org});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  r = ann->Run({"org", "add", org, HandleOf(*bob), "--role", "admin"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  r = bob->Run({"org", "add", org, HandleOf(*cat)});  // an admin adds a member
  ASSERT_EQ(r.exit_code, 0) << r.Describe();

  r = cat->Run({"--json", "org", "members", org});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(Json(r)["members"].size(), 3u);
  r = cat->Run({"org", "add", org, HandleOf(*dan)});  // a member may not add
  EXPECT_NE(r.exit_code, 0) << r.Describe();

  r = ann->Run({"--json", "org", "remove", org, HandleOf(*cat)});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(Json(r)["generation"], 2);

  r = cat->Run({"org", "members", org});
  EXPECT_EQ(r.exit_code, 4) << r.Describe();  // NOT_FOUND: no longer a member
  r = cat->Run({"--json", "org", "ls"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_TRUE(Json(r)["orgs"].empty()) << r.out;

  r = bob->Run({"--json", "org", "ls"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  ASSERT_EQ(Json(r)["orgs"].size(), 1u);
  EXPECT_EQ(Json(r)["orgs"][0]["generation"], 2);
  // bob (admin) opens both generations with his own key to wrap them for dan.
  r = bob->Run({"org", "add", org, HandleOf(*dan), "--role", "read-only"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  r = dan->Run({"--json", "org", "members", org});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(Json(r)["members"].size(), 3u);
}

std::vector<std::string> Names(const CliResult& r) {
  std::vector<std::string> out;
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  if (j.is_discarded() || !j.is_array()) return out;
  for (const auto& o : j) {
    if (o["name"].is_string()) out.push_back(o["name"].get<std::string>());
  }
  return out;
}

// Branch orgput: files owned by the organization (`put|ls|get --org`), encrypted to its
// key; the coordinator asks accounts for the membership (core/org_access.h).
TEST_F(OrgsEndToEndTest, OrgFilesReadByMembersRemovedMemberRefusedReadOnlyCannotPut) {
  std::unique_ptr<CliUser> ann = SignUp("fann"), bob = SignUp("fbob"), cat = SignUp("fcat"),
                           dan = SignUp("fdan");
  const std::string org = "files" + std::to_string(::getpid());
  ASSERT_EQ(ann->Run({"org", "create", org}).exit_code, 0);
  CliResult r = ann->Run({"org", "add", org, HandleOf(*bob), "--role", "admin"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  r = ann->Run({"org", "add", org, HandleOf(*cat), "--role", "member"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  r = ann->Run({"org", "add", org, HandleOf(*dan), "--role", "read-only"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();

  // A member writes a small (inline) and a segmented file for the organization.
  const std::string small = WriteRandomFile(cat->File("old.txt"), 3000, 1);
  const std::string large = WriteRandomFile(cat->File("big.bin"), 300 * 1024, 2);
  r = cat->Run({"--json", "put", "--org", org, cat->File("old.txt"), cat->File("big.bin")});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  // ... which are the organization's, not cat's own.
  r = cat->Run({"--json", "ls"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_TRUE(Names(r).empty()) << r.out;
  r = ann->Run({"--json", "ls", "--org", org});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_THAT(Names(r), ::testing::UnorderedElementsAre("old.txt", "big.bin"));

  // A read-only member reads but cannot write; the server refuses it.
  const std::string dan_file = dan->File("mine.txt");
  WriteRandomFile(dan_file, 100, 3);
  r = dan->Run({"put", "--org", org, dan_file});
  EXPECT_EQ(r.exit_code, 3) << r.Describe();  // PERMISSION_DENIED
  EXPECT_NE(r.err.find("read-only"), std::string::npos) << r.Describe();
  r = dan->Run({"get", "--org", org, "old.txt", "big.bin", "-o", dan->work_dir()});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(ReadFile(dan->File("old.txt")), small);
  EXPECT_EQ(ReadFile(dan->File("big.bin")), large);

  // cat is removed: the coordinator refuses cat's own token for the organization, with
  // the NOT_FOUND of a stranger (org ids do not leak).
  absl::StatusOr<std::shared_ptr<grpc::Channel>> ch =
      MakeChannel(cluster().coordinator_address(), cluster().client_tls());
  ASSERT_TRUE(ch.ok()) << ch.status();
  std::unique_ptr<v1::Coordinator::Stub> stub = v1::Coordinator::NewStub(*ch);
  r = ann->Run({"--json", "org", "ls"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  const std::string org_id = Json(r)["orgs"][0]["org_id"].get<std::string>();
  auto list_as = [&](const std::string& token) {
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    ctx.AddMetadata("authorization", "Bearer " + token);
    ctx.AddMetadata("freehold-org", org_id);
    v1::ListObjectsRequest req;
    v1::ListObjectsResponse resp;
    grpc::Status s = stub->ListObjects(&ctx, req, &resp);
    return std::make_pair(s, resp.objects_size());
  };
  const std::string cat_token = AccessToken(*cat);
  auto [before, count] = list_as(cat_token);
  ASSERT_TRUE(before.ok()) << before.error_message();
  EXPECT_EQ(count, 2);
  r = ann->Run({"--json", "org", "remove", org, HandleOf(*cat)});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  const absl::Time removed = absl::Now();
  grpc::Status after;
  while (absl::Now() < removed + absl::Seconds(10)) {
    after = list_as(cat_token).first;
    if (!after.ok()) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_EQ(after.error_code(), grpc::StatusCode::NOT_FOUND) << after.error_message();
  EXPECT_LT(absl::Now() - removed, absl::Seconds(5));  // kOrgMembershipTtl (2 s) + a call
  r = cat->Run({"ls", "--org", org});
  EXPECT_NE(r.exit_code, 0) << r.Describe();
  // A stranger's token is refused the same way.
  auto [stranger, n] = list_as(AccessToken(*dan) + "x");
  EXPECT_EQ(stranger.error_code(), grpc::StatusCode::UNAUTHENTICATED);

  // New writes use the rotated key; every remaining member reads old and new files.
  const std::string fresh = WriteRandomFile(bob->File("new.txt"), 5000, 4);
  r = bob->Run({"put", "--org", org, bob->File("new.txt")});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  for (CliUser* u : {ann.get(), bob.get(), dan.get()}) {
    const std::string out = u->File("out");
    ::mkdir(out.c_str(), 0700);
    r = u->Run({"get", "--org", org, "old.txt", "big.bin", "new.txt", "-o", out});
    ASSERT_EQ(r.exit_code, 0) << r.Describe();
    EXPECT_EQ(ReadFile(out + "/old.txt"), small);
    EXPECT_EQ(ReadFile(out + "/big.bin"), large);
    EXPECT_EQ(ReadFile(out + "/new.txt"), fresh);
  }

  // The organization's bytes are counted per organization in the funding figures
  // (refreshed every --funding-refresh, 10 s).
  uint64_t org_bytes = 0, orgs = 0;
  for (const absl::Time until = absl::Now() + absl::Seconds(25); absl::Now() < until;) {
    r = bob->Run({"--json", "status"});
    nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
    if (!j.is_discarded() && j.contains("funding")) {
      org_bytes = j["funding"].value("org_logical_used_bytes", uint64_t{0});
      orgs = j["funding"].value("organizations", uint64_t{0});
      if (orgs > 0 && org_bytes >= small.size() + large.size() + fresh.size()) break;
    }
    absl::SleepFor(absl::Seconds(1));
  }
  EXPECT_GE(orgs, 1u);
  EXPECT_GE(org_bytes, small.size() + large.size() + fresh.size());
}

// A deleted account leaves its organization (accounts migration 0010): the last owner's
// place goes to the admin, and the next `put --org` rotates the key first.
TEST_F(OrgsEndToEndTest, DeletedOwnerLeavesTheOrgAndTheNextPutRotatesTheKey) {
  std::unique_ptr<CliUser> ann = SignUp("dann"), bob = SignUp("dbob"), cat = SignUp("dcat");
  const std::string org = "gone" + std::to_string(::getpid());
  ASSERT_EQ(ann->Run({"org", "create", org}).exit_code, 0);
  ASSERT_EQ(ann->Run({"org", "add", org, HandleOf(*bob)}).exit_code, 0);
  ASSERT_EQ(ann->Run({"org", "add", org, HandleOf(*cat), "--role", "admin"}).exit_code, 0);
  const std::string before = WriteRandomFile(bob->File("before.txt"), 2000, 5);
  CliResult r = bob->Run({"put", "--org", org, bob->File("before.txt")});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();

  // ann deletes her account (DeleteAccount with the password-derived auth key).
  absl::StatusOr<std::shared_ptr<grpc::Channel>> ch =
      MakeChannel(cluster().accounts_address(), cluster().client_tls());
  ASSERT_TRUE(ch.ok()) << ch.status();
  std::unique_ptr<v1::Accounts::Stub> accounts = v1::Accounts::NewStub(*ch);
  v1::PreLoginRequest pre;
  pre.set_handle(HandleOf(*ann));
  v1::PreLoginResponse salt;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(accounts->PreLogin(&ctx, pre, &salt).ok());
  }
  client::PwhashParams params{salt.kdf().ops_limit(), salt.kdf().mem_limit_bytes()};
  absl::StatusOr<client::DerivedKeys> keys = client::DeriveKeys(
      TestPassword(HandleOf(*ann)),
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(salt.salt().data()),
                               salt.salt().size()),
      params);
  ASSERT_TRUE(keys.ok()) << keys.status();
  ASSERT_EQ(ann->Run({"whoami"}).exit_code, 0);  // a fresh access token
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + AccessToken(*ann));
    v1::DeleteAccountRequest del;
    del.set_auth_key(std::string(reinterpret_cast<const char*>(keys->auth_key.data()),
                                 keys->auth_key.size()));
    v1::DeleteAccountResponse resp;
    grpc::Status s = accounts->DeleteAccount(&ctx, del, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  r = cat->Run({"--json", "org", "members", org});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  nlohmann::json members = Json(r);
  ASSERT_EQ(members["members"].size(), 2u) << r.out;
  for (const auto& m : members["members"]) {
    EXPECT_EQ(m["role"], m["handle"] == HandleOf(*cat) ? "owner" : "member") << r.out;
  }
  EXPECT_EQ(members["generation"], 1);

  // The next writer rotates before writing; both remaining members read both files.
  const std::string after = WriteRandomFile(bob->File("after.txt"), 2000, 6);
  r = bob->Run({"put", "--org", org, bob->File("after.txt")});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_NE(r.err.find("Rotated the key"), std::string::npos) << r.Describe();
  r = cat->Run({"--json", "org", "members", org});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(Json(r)["generation"], 2);
  r = cat->Run({"get", "--org", org, "before.txt", "after.txt", "-o", cat->work_dir()});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(ReadFile(cat->File("before.txt")), before);
  EXPECT_EQ(ReadFile(cat->File("after.txt")), after);
}

}  // namespace
}  // namespace freehold::e2e
