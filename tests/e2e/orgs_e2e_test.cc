// End to end: organizations with the real `freehold` CLI on the real cluster: created,
// three members (owner, admin, member), the member removed, the key rotated; the removed
// member can no longer read the organization or its keys, the others can, and a member
// added afterwards receives every generation.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/e2e/e2e_fixture.h"

namespace freehold::e2e {
namespace {

class OrgsEndToEndTest : public ClusterTest<6, 3> {};

nlohmann::json Json(const CliResult& r) {
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << r.Describe();
  return j;
}

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

}  // namespace
}  // namespace freehold::e2e
