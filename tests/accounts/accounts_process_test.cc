// The real freehold-accounts binary on loopback against a real PostgreSQL: the whole
// account life cycle from the client's side, plus start-up behaviour (READY line, key
// files, key rotation, bad configuration).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/grpc_server.h"
#include "services/accounts/core/token_keyring.h"
#include "tests/accounts/accounts_process_fixture.h"
#include "tests/accounts/accounts_test_support.h"
#include "tests/support/postgres_harness.h"
#include "tests/support/process.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace freehold::accounts::testing {
namespace {

using ::freehold::testing::Process;
using ::freehold::testing::ReadFileOrEmpty;
using ::freehold::testing::StatusIs;
using ::freehold::testing::TempDir;
using ::testing::HasSubstr;

TEST_F(AccountsProcessTest, FullAccountLifeCycleAgainstTheRealBinary) {
  Start();
  // Device 1 registers.
  ASSERT_OK_AND_ASSIGN(NewAccount a, MakeAccount("Victor", "first password"));
  ASSERT_OK_AND_ASSIGN(std::string account_id, RegisterAccount(*stub_, a));

  // Device 2 knows only handle and password.
  ASSERT_OK_AND_ASSIGN(DeviceLogin d2, LoginWithPassword(*stub_, "victor", "first password"));
  EXPECT_EQ(d2.identity.Recipient(), a.identity.Recipient());
  EXPECT_EQ(d2.response.account_id(), account_id);

  // Other services verify the token with the published key file.
  ASSERT_OK_AND_ASSIGN(std::vector<PublicKey> keys,
                       ParseVerificationKeys(ReadFileOrEmpty(dir_.File("accounts.pub"))));
  ASSERT_EQ(keys.size(), 1u);
  ASSERT_OK_AND_ASSIGN(TokenClaims claims,
                       VerifyClaims(TokenVerifier(keys), d2.response.tokens().access_token(),
                                    "freehold", absl::Now()));
  EXPECT_EQ(claims.subject, account_id);

  // Change the password from device 2.
  const auto salt_arr = client::GeneratePasswordSalt();
  const std::string salt(reinterpret_cast<const char*>(salt_arr.data()), salt_arr.size());
  ASSERT_OK_AND_ASSIGN(DeviceKeys old_keys,
                       Derive("first password", a.request.salt(), a.request.kdf()));
  ASSERT_OK_AND_ASSIGN(DeviceKeys new_keys, Derive("second password", salt, TestKdf()));
  ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> rewrapped,
                       client::WrapIdentity(new_keys.kek, d2.identity));
  v1::ChangePasswordRequest cp;
  cp.set_old_auth_key(old_keys.auth_key);
  cp.set_new_salt(salt);
  *cp.mutable_new_kdf() = TestKdf();
  cp.set_new_auth_key(new_keys.auth_key);
  cp.set_new_wrapped_identity(std::string(rewrapped.begin(), rewrapped.end()));
  v1::ChangePasswordResponse cpr;
  grpc::Status s =
      stub_->ChangePassword(AuthedContext(d2.response.tokens().access_token()).get(), cp, &cpr);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_OK_AND_ASSIGN(DeviceLogin d3, LoginWithPassword(*stub_, "victor", "second password"));
  EXPECT_EQ(d3.identity.Recipient(), a.identity.Recipient());

  // Lost the password: log in with the recovery key.
  ASSERT_OK_AND_ASSIGN(client::X25519Identity recovered,
                       client::ParseIdentity(a.identity.Encode().view()));
  v1::GetRecoveryChallengeRequest creq;
  creq.set_handle("victor");
  v1::GetRecoveryChallengeResponse ch;
  ASSERT_TRUE(stub_->GetRecoveryChallenge(PlainContext().get(), creq, &ch).ok());
  const auto salt3_arr = client::GeneratePasswordSalt();
  const std::string salt3(reinterpret_cast<const char*>(salt3_arr.data()), salt3_arr.size());
  ASSERT_OK_AND_ASSIGN(DeviceKeys keys3, Derive("third password", salt3, TestKdf()));
  ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> wrapped3, client::WrapIdentity(keys3.kek, recovered));
  v1::RecoverRequest rec;
  rec.set_handle("victor");
  rec.set_challenge(ch.challenge());
  ASSERT_OK_AND_ASSIGN(std::string proof,
                       ClientRecoveryProof(recovered, ch.ephemeral_public(), ch.challenge()));
  rec.set_proof(proof);
  rec.set_new_salt(salt3);
  *rec.mutable_new_kdf() = TestKdf();
  rec.set_new_auth_key(keys3.auth_key);
  rec.set_new_wrapped_identity(std::string(wrapped3.begin(), wrapped3.end()));
  v1::RecoverResponse recr;
  s = stub_->Recover(PlainContext().get(), rec, &recr);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(recr.account_id(), account_id);
  v1::GetAccountResponse acc;
  EXPECT_EQ(stub_->GetAccount(AuthedContext(d3.response.tokens().access_token()).get(), {}, &acc)
                .error_code(),
            grpc::StatusCode::UNAUTHENTICATED);  // revoked by the recovery
  ASSERT_OK_AND_ASSIGN(DeviceLogin d4, LoginWithPassword(*stub_, "victor", "third password"));

  // Delete; the outbox shows it.
  v1::DeleteAccountRequest del;
  del.set_auth_key(keys3.auth_key);
  v1::DeleteAccountResponse delr;
  s = stub_->DeleteAccount(AuthedContext(d4.response.tokens().access_token()).get(), del, &delr);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_THAT(LoginWithPassword(*stub_, "victor", "third password"),
              StatusIs(absl::StatusCode::kUnauthenticated));
  v1::ListDeletedAccountsResponse deleted;
  ASSERT_TRUE(stub_->ListDeletedAccounts(PlainContext().get(), {}, &deleted).ok());
  ASSERT_EQ(deleted.accounts_size(), 1);
  EXPECT_EQ(deleted.accounts(0).account_id(), account_id);

  // Graceful stop on SIGTERM; secrets never reach the log.
  ASSERT_OK_AND_ASSIGN(int code, StopService());
  EXPECT_EQ(code, 0) << proc_->ReadStderr();
  const std::string log = proc_->ReadStderr();
  EXPECT_THAT(log, Not(HasSubstr(std::string(64, 'a'))));
  EXPECT_THAT(log, HasSubstr("\"signing_key_id\""));
}

TEST_F(AccountsProcessTest, RotationKeepsOldTokensValidAndPublishesBothKeys) {
  Start();
  ASSERT_OK_AND_ASSIGN(NewAccount a, MakeAccount("wendy", "pw"));
  ASSERT_OK(RegisterAccount(*stub_, a).status());
  ASSERT_OK_AND_ASSIGN(DeviceLogin before, LoginWithPassword(*stub_, "wendy", "pw"));
  ASSERT_OK_AND_ASSIGN(int code, StopService());
  ASSERT_EQ(code, 0) << proc_->ReadStderr();

  auto rotate = Process::Start(Options(Args({"--rotate-signing-key"})));
  ASSERT_TRUE(rotate.ok());
  ASSERT_OK_AND_ASSIGN(int rc, (*rotate)->Wait(absl::Seconds(20)));
  ASSERT_EQ(rc, 0) << (*rotate)->ReadStderr();
  ASSERT_OK_AND_ASSIGN(std::vector<PublicKey> keys,
                       ParseVerificationKeys(ReadFileOrEmpty(dir_.File("accounts.pub"))));
  ASSERT_EQ(keys.size(), 2u);

  // Restart with the same pepper given through the environment instead of a file.
  Start({}, std::string(64, 'a'));
  v1::GetAccountResponse acc;
  EXPECT_TRUE(
      stub_->GetAccount(AuthedContext(before.response.tokens().access_token()).get(), {}, &acc)
          .ok());
  ASSERT_OK_AND_ASSIGN(DeviceLogin after, LoginWithPassword(*stub_, "wendy", "pw"));
  v1::GetVerificationKeysResponse vk;
  ASSERT_TRUE(stub_->GetVerificationKeys(PlainContext().get(), {}, &vk).ok());
  ASSERT_EQ(vk.keys_size(), 2);
  EXPECT_EQ(vk.keys(0).key_id(), keys[0].key_id);
  EXPECT_TRUE(vk.keys(0).signing());
  EXPECT_FALSE(vk.keys(1).signing());
  // The new token is signed with the new key.
  EXPECT_THAT(after.response.tokens().access_token(), HasSubstr("." + keys[0].key_id + "."));
}

TEST_F(AccountsProcessTest, RefusesToStartWithoutAPepper) {
  std::vector<std::string> args = Args({}, /*pepper_from_env=*/true);
  auto p = Process::Start(Options(args, {{"FREEHOLD_PEPPER", ""}}));
  ASSERT_TRUE(p.ok());
  ASSERT_OK_AND_ASSIGN(int code, (*p)->Wait(absl::Seconds(20)));
  EXPECT_EQ(code, 2);
  EXPECT_THAT((*p)->ReadStderr(), HasSubstr("pepper"));
}

TEST_F(AccountsProcessTest, HelpListsTheFlags) {
  auto p = Process::Start(Options({"--help"}));
  ASSERT_TRUE(p.ok());
  ASSERT_OK_AND_ASSIGN(int code, (*p)->Wait(absl::Seconds(20)));
  EXPECT_EQ(code, 0);
  const std::string help = (*p)->ReadStderr();
  for (const char* flag :
       {"--listen", "--metrics-listen", "--database-url", "--data-dir", "--pepper-file",
        "--verification-keys-out", "--rotate-signing-key", "--login-backoff-base",
        "--registrations-per-address-per-hour", "FREEHOLD_DATABASE_URL"}) {
    EXPECT_THAT(help, HasSubstr(flag));
  }
}

}  // namespace
}  // namespace freehold::accounts::testing
