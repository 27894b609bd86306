// Password change, recovery-key login and account deletion through the in-process
// service (real gRPC on loopback, real PostgreSQL).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/metrics.h"
#include "services/accounts/core/login_service.h"
#include "tests/accounts/accounts_test_support.h"
#include "tests/support/postgres_harness.h"
#include "tests/support/status_matchers.h"

namespace freehold::accounts::testing {
namespace {

using ::freehold::testing::StatusIs;
using ::testing::HasSubstr;

class AccountsLifecycleTest : public freehold::testing::PostgresTest {
 protected:
  void SetUp() override {
    PostgresTest::SetUp();
    if (HasFatalFailure()) return;
    auto s = InProcessAccounts::Start(db_url());
    ASSERT_TRUE(s.ok()) << s.status();
    svc_ = std::move(*s);
  }
  void TearDown() override {
    svc_.reset();
    PostgresTest::TearDown();
  }
  v1::Accounts::Stub& stub() { return svc_->stub(); }
  grpc::Status GetAccount(const std::string& token) {
    v1::GetAccountResponse resp;
    return stub().GetAccount(AuthedContext(token).get(), {}, &resp);
  }

  // A ChangePassword/Recover payload for `password` wrapping `identity`.
  struct Wrapping {
    std::string salt, auth_key, wrapped;
  };
  Wrapping Wrap(const std::string& password, const client::X25519Identity& identity) {
    const auto salt = client::GeneratePasswordSalt();
    Wrapping w;
    w.salt.assign(reinterpret_cast<const char*>(salt.data()), salt.size());
    absl::StatusOr<DeviceKeys> keys = Derive(password, w.salt, TestKdf());
    EXPECT_TRUE(keys.ok());
    w.auth_key = keys->auth_key;
    absl::StatusOr<std::vector<uint8_t>> wrapped = client::WrapIdentity(keys->kek, identity);
    EXPECT_TRUE(wrapped.ok());
    w.wrapped.assign(wrapped->begin(), wrapped->end());
    return w;
  }

  std::unique_ptr<InProcessAccounts> svc_;
};

TEST_F(AccountsLifecycleTest, ChangePasswordKeepsThisSessionAndRevokesTheOthers) {
  ASSERT_OK_AND_ASSIGN(NewAccount a, MakeAccount("rita", "old password"));
  ASSERT_OK(RegisterAccount(stub(), a).status());
  ASSERT_OK_AND_ASSIGN(DeviceLogin here, LoginWithPassword(stub(), "rita", "old password"));
  ASSERT_OK_AND_ASSIGN(DeviceLogin other, LoginWithPassword(stub(), "rita", "old password"));
  const std::string token = here.response.tokens().access_token();

  Wrapping w = Wrap("new password", here.identity);
  v1::ChangePasswordRequest req;
  req.set_old_auth_key(std::string(32, 'x'));  // wrong
  req.set_new_salt(w.salt);
  *req.mutable_new_kdf() = TestKdf();
  req.set_new_auth_key(w.auth_key);
  req.set_new_wrapped_identity(w.wrapped);
  v1::ChangePasswordResponse resp;
  grpc::Status s = stub().ChangePassword(AuthedContext(token).get(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(s.error_message(), HasSubstr("old_auth_key"));

  req.set_old_auth_key(a.auth_key);
  req.set_new_salt("short");
  s = stub().ChangePassword(AuthedContext(token).get(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("new_salt"));

  req.set_new_salt(w.salt);
  ASSERT_TRUE(stub().ChangePassword(AuthedContext(token).get(), req, &resp).ok());

  EXPECT_TRUE(GetAccount(token).ok());
  EXPECT_EQ(GetAccount(other.response.tokens().access_token()).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  v1::RefreshRequest refresh;
  refresh.set_refresh_token(other.response.tokens().refresh_token());
  v1::RefreshResponse rr;
  EXPECT_EQ(stub().Refresh(PlainContext().get(), refresh, &rr).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);

  EXPECT_THAT(LoginWithPassword(stub(), "rita", "old password"),
              StatusIs(absl::StatusCode::kUnauthenticated));
  ASSERT_OK_AND_ASSIGN(DeviceLogin after, LoginWithPassword(stub(), "rita", "new password"));
  EXPECT_EQ(after.identity.Recipient(), a.identity.Recipient());
}

TEST_F(AccountsLifecycleTest, RecoveryKeyLoginSetsANewPasswordAndRevokesEverySession) {
  ASSERT_OK_AND_ASSIGN(NewAccount a, MakeAccount("sam", "forgotten"));
  ASSERT_OK(RegisterAccount(stub(), a).status());
  ASSERT_OK_AND_ASSIGN(DeviceLogin old_device, LoginWithPassword(stub(), "sam", "forgotten"));

  // The user only has the recovery key ("AGE-SECRET-KEY-1...").
  client::SecretBytes recovery_key = a.identity.Encode();
  ASSERT_OK_AND_ASSIGN(client::X25519Identity identity, client::ParseIdentity(recovery_key.view()));

  v1::GetRecoveryChallengeRequest creq;
  creq.set_handle("Sam");
  v1::GetRecoveryChallengeResponse challenge;
  ASSERT_TRUE(stub().GetRecoveryChallenge(PlainContext().get(), creq, &challenge).ok());
  EXPECT_EQ(challenge.challenge().size(), 32u);
  ASSERT_OK(client::ParseRecipient(challenge.ephemeral_public()).status());

  Wrapping w = Wrap("remembered", identity);
  v1::RecoverRequest req;
  req.set_handle("sam");
  req.set_challenge(challenge.challenge());
  req.set_new_salt(w.salt);
  *req.mutable_new_kdf() = TestKdf();
  req.set_new_auth_key(w.auth_key);
  req.set_new_wrapped_identity(w.wrapped);
  ASSERT_OK_AND_ASSIGN(
      std::string proof,
      ClientRecoveryProof(identity, challenge.ephemeral_public(), challenge.challenge()));
  req.set_proof(proof);
  v1::RecoverResponse resp;
  ASSERT_TRUE(stub().Recover(PlainContext().get(), req, &resp).ok());
  EXPECT_TRUE(GetAccount(resp.tokens().access_token()).ok());
  EXPECT_EQ(GetAccount(old_device.response.tokens().access_token()).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);

  // The challenge is single use.
  grpc::Status again = stub().Recover(PlainContext().get(), req, &resp);
  EXPECT_EQ(again.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(again.error_message(), kWrongRecoveryMessage);

  ASSERT_OK_AND_ASSIGN(DeviceLogin d, LoginWithPassword(stub(), "sam", "remembered"));
  EXPECT_EQ(d.identity.Recipient(), a.identity.Recipient());
  EXPECT_THAT(LoginWithPassword(stub(), "sam", "forgotten"),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(AccountsLifecycleTest, RecoveryRejectsWrongProofsExpiredChallengesAndUnknownHandles) {
  ASSERT_OK_AND_ASSIGN(NewAccount a, MakeAccount("tina", "pw"));
  ASSERT_OK(RegisterAccount(stub(), a).status());
  client::X25519Identity thief = client::X25519Identity::Generate();
  Wrapping w = Wrap("pwned", thief);

  auto attempt = [&](const std::string& handle, const client::X25519Identity& who,
                     absl::Duration wait) {
    v1::GetRecoveryChallengeRequest creq;
    creq.set_handle(handle);
    v1::GetRecoveryChallengeResponse challenge;
    EXPECT_TRUE(stub().GetRecoveryChallenge(PlainContext().get(), creq, &challenge).ok());
    svc_->clock().Advance(wait);
    v1::RecoverRequest req;
    req.set_handle(handle);
    req.set_challenge(challenge.challenge());
    req.set_proof(*ClientRecoveryProof(who, challenge.ephemeral_public(), challenge.challenge()));
    req.set_new_salt(w.salt);
    *req.mutable_new_kdf() = TestKdf();
    req.set_new_auth_key(w.auth_key);
    req.set_new_wrapped_identity(w.wrapped);
    v1::RecoverResponse resp;
    return stub().Recover(PlainContext().get(), req, &resp);
  };
  grpc::Status wrong = attempt("tina", thief, absl::ZeroDuration());
  EXPECT_EQ(wrong.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(wrong.error_message(), kWrongRecoveryMessage);
  grpc::Status expired = attempt("tina", a.identity, absl::Minutes(6));
  EXPECT_EQ(expired.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(expired.error_message(), kWrongRecoveryMessage);
  grpc::Status unknown = attempt("nobody", a.identity, absl::ZeroDuration());
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(unknown.error_message(), kWrongRecoveryMessage);
  // Still the old password.
  EXPECT_OK(LoginWithPassword(stub(), "tina", "pw").status());
  // A proof from the right key works.
  EXPECT_TRUE(attempt("tina", a.identity, absl::ZeroDuration()).ok());
}

TEST_F(AccountsLifecycleTest, DeleteAccountNeedsTheAuthKeyRevokesSessionsAndWritesTheOutbox) {
  ASSERT_OK_AND_ASSIGN(NewAccount a, MakeAccount("uma", "pw"));
  ASSERT_OK_AND_ASSIGN(std::string account_id, RegisterAccount(stub(), a));
  ASSERT_OK_AND_ASSIGN(DeviceLogin d, LoginWithPassword(stub(), "uma", "pw"));
  const std::string token = d.response.tokens().access_token();

  v1::DeleteAccountRequest del;
  del.set_auth_key(std::string(32, 'z'));
  v1::DeleteAccountResponse dr;
  EXPECT_EQ(stub().DeleteAccount(AuthedContext(token).get(), del, &dr).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  del.set_auth_key("short");
  EXPECT_EQ(stub().DeleteAccount(AuthedContext(token).get(), del, &dr).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  v1::ListDeletedAccountsResponse list;
  ASSERT_TRUE(stub().ListDeletedAccounts(PlainContext().get(), {}, &list).ok());
  EXPECT_EQ(list.accounts_size(), 0);

  del.set_auth_key(a.auth_key);
  svc_->clock().Advance(absl::Seconds(3));
  ASSERT_TRUE(stub().DeleteAccount(AuthedContext(token).get(), del, &dr).ok());

  EXPECT_EQ(GetAccount(token).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  // A deleted account logs in like an unknown handle.
  v1::LoginRequest login;
  login.set_handle("uma");
  login.set_auth_key(a.auth_key);
  v1::LoginResponse lr;
  grpc::Status s = stub().Login(PlainContext().get(), login, &lr);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(s.error_message(), kWrongLoginMessage);
  v1::GetPublicKeyRequest pk;
  pk.set_handle("uma");
  v1::GetPublicKeyResponse pkr;
  ASSERT_OK_AND_ASSIGN(NewAccount other, MakeAccount("vic", "pw"));
  ASSERT_OK(RegisterAccount(stub(), other).status());
  ASSERT_OK_AND_ASSIGN(DeviceLogin vic, LoginWithPassword(stub(), "vic", "pw"));
  EXPECT_EQ(stub()
                .GetPublicKey(AuthedContext(vic.response.tokens().access_token()).get(), pk, &pkr)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
  // The handle stays reserved (nobody can impersonate the old account).
  ASSERT_OK_AND_ASSIGN(NewAccount b, MakeAccount("uma", "pw2"));
  EXPECT_THAT(RegisterAccount(stub(), b), StatusIs(absl::StatusCode::kAlreadyExists));

  // Outbox.
  ASSERT_TRUE(stub().ListDeletedAccounts(PlainContext().get(), {}, &list).ok());
  ASSERT_EQ(list.accounts_size(), 1);
  EXPECT_EQ(list.accounts(0).account_id(), account_id);
  EXPECT_EQ(list.accounts(0).deleted_at().seconds(), absl::ToUnixSeconds(svc_->clock().Now()));
  v1::ListDeletedAccountsRequest after;
  after.set_after_sequence(list.accounts(0).sequence());
  v1::ListDeletedAccountsResponse none;
  ASSERT_TRUE(stub().ListDeletedAccounts(PlainContext().get(), after, &none).ok());
  EXPECT_EQ(none.accounts_size(), 0);
  v1::AckDeletedAccountsRequest ack;
  ack.set_up_to_sequence(list.accounts(0).sequence());
  ack.set_consumer("coordinator");
  v1::AckDeletedAccountsResponse ackr;
  EXPECT_TRUE(stub().AckDeletedAccounts(PlainContext().get(), ack, &ackr).ok());
  ack.set_consumer("Bad Consumer!");
  EXPECT_EQ(stub().AckDeletedAccounts(PlainContext().get(), ack, &ackr).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  // Wiped in the database: nothing but id, handle and times remains.
  ASSERT_OK_AND_ASSIGN(int leftovers, svc_->pool().Run([&](PgTxn& txn) {
    return txn
        .exec_params(
            "SELECT count(*) FROM accounts WHERE account_id = $1::uuid AND "
            "(verifier IS NOT NULL OR wrapped_identity IS NOT NULL OR salt IS NOT NULL "
            "OR public_key IS NOT NULL)",
            account_id)[0][0]
        .as<int>();
  }));
  EXPECT_EQ(leftovers, 0);
  EXPECT_EQ(ReadMetric(svc_->registry(), "freehold_accounts_deletions_total", {}), 1);
}

}  // namespace
}  // namespace freehold::accounts::testing
