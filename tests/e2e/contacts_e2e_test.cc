// End to end: key fingerprints and pinning. The CLI pins a recipient's public key at
// the first share and refuses a changed key (here: the accounts database edited as a
// malicious server would) until the user re-verifies it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "tests/e2e/e2e_fixture.h"

namespace freehold::e2e {
namespace {

using ::testing::HasSubstr;

class ContactsEndToEndTest : public ClusterTest<6, 3> {
 protected:
  nlohmann::json Json(const CliUser& u, const std::vector<std::string>& args) {
    std::vector<std::string> full = {"--json"};
    full.insert(full.end(), args.begin(), args.end());
    CliResult r = u.Run(full);
    EXPECT_EQ(r.exit_code, 0) << r.Describe();
    return nlohmann::json::parse(r.out, nullptr, false);
  }
};

TEST_F(ContactsEndToEndTest, ChangedRecipientKeyIsRefusedUntilReverified) {
  auto alice = SignUp("alice");
  auto bob = SignUp("bob");
  auto carol = SignUp("carol");
  const std::string bob_handle = HandleOf(*bob);

  // Both sides print the same fingerprint for bob's key.
  const std::string bob_fp = Json(*bob, {"whoami"}).value("fingerprint", "");
  ASSERT_EQ(bob_fp.size(), 71u) << bob_fp;
  nlohmann::json shown = Json(*alice, {"contacts", "show", bob_handle});
  EXPECT_EQ(shown.value("fingerprint", ""), bob_fp);
  EXPECT_THAT(shown.value("state", ""), HasSubstr("first use"));
  EXPECT_EQ(Json(*bob, {"contacts", "show", bob_handle}).value("fingerprint", ""), bob_fp);

  WriteRandomFile(alice->File("x.bin"), 2000, 9);
  const std::string id = Put(*alice, alice->File("x.bin"), "x.bin");
  CliResult first = alice->Run({"share", id, "--with", bob_handle});
  ASSERT_EQ(first.exit_code, 0) << first.Describe();

  // The server now answers carol's key for bob.
  const std::string carol_key = Json(*carol, {"whoami"}).value("public_key", "");
  ASSERT_THAT(carol_key, HasSubstr("age1"));
  {
    pqxx::connection conn(cluster().database_url());
    pqxx::work txn(conn);
    txn.exec_params("UPDATE accounts.accounts SET public_key = $1 WHERE handle = $2", carol_key,
                    bob_handle);
    txn.commit();
  }
  CliResult refused = alice->Run({"share", id, "--with", bob_handle});
  EXPECT_NE(refused.exit_code, 0) << refused.Describe();
  EXPECT_THAT(refused.err, HasSubstr("CHANGED")) << refused.Describe();
  EXPECT_THAT(refused.err, HasSubstr(bob_fp)) << refused.Describe();
  EXPECT_THAT(Json(*alice, {"contacts", "show", bob_handle}).value("state", ""),
              HasSubstr("CHANGED"));
  // Bob's real fingerprint does not match what the server answers now.
  CliResult mismatch =
      alice->Run({"contacts", "verify", bob_handle, "--fingerprint", bob_fp});
  EXPECT_NE(mismatch.exit_code, 0) << mismatch.Describe();
  EXPECT_THAT(mismatch.err, HasSubstr("NOT")) << mismatch.Describe();
  CliResult still = alice->Run({"share", id, "--with", bob_handle});
  EXPECT_NE(still.exit_code, 0) << still.Describe();

  // After re-verifying (here: the user accepts the new key), sharing works again.
  CliResult verified = alice->Run({"contacts", "verify", bob_handle, "--yes"});
  ASSERT_EQ(verified.exit_code, 0) << verified.Describe();
  CliResult again = alice->Run({"share", id, "--with", bob_handle});
  EXPECT_EQ(again.exit_code, 0) << again.Describe();
  EXPECT_THAT(Json(*alice, {"contacts", "show", bob_handle}).value("state", ""),
              HasSubstr("verified"));
}

}  // namespace
}  // namespace freehold::e2e
