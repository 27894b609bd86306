// UpgradeKdf (docs/PROTOCOL.md 3.8a) against the in-process service and a real
// PostgreSQL: same password, stronger Argon2id parameters, no session ends; every
// refusal with its precise status.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/accounts/accounts_service_fixture.h"
#include "tests/support/status_matchers.h"

namespace freehold::accounts::testing {
namespace {

using ::testing::HasSubstr;

class UpgradeKdfTest : public AccountsServiceTest {
 protected:
  // An UpgradeKdf request re-wrapping `identity` under `password` with `kdf`.
  v1::UpgradeKdfRequest Request(const std::string& auth_key, const std::string& password,
                                const client::X25519Identity& identity, v1::KdfParams kdf) {
    const auto salt = client::GeneratePasswordSalt();
    v1::UpgradeKdfRequest req;
    req.set_auth_key(auth_key);
    req.set_new_salt(std::string(salt.begin(), salt.end()));
    absl::StatusOr<DeviceKeys> keys = Derive(password, req.new_salt(), kdf);
    EXPECT_TRUE(keys.ok()) << keys.status();
    absl::StatusOr<std::vector<uint8_t>> wrapped = client::WrapIdentity(keys->kek, identity);
    EXPECT_TRUE(wrapped.ok());
    *req.mutable_new_kdf() = kdf;
    req.set_new_auth_key(keys->auth_key);
    req.set_new_wrapped_identity(std::string(wrapped->begin(), wrapped->end()));
    return req;
  }
  grpc::Status Upgrade(const std::string& token, const v1::UpgradeKdfRequest& req) {
    v1::UpgradeKdfResponse resp;
    return stub().UpgradeKdf(AuthedContext(token).get(), req, &resp);
  }
};

TEST_F(UpgradeKdfTest, StrongerParametersReplaceTheWrappingAndNoSessionEnds) {
  NewAccount a = Registered("uma", "uma password");  // TestKdf(): ops 1, 8 KiB
  ASSERT_OK_AND_ASSIGN(DeviceLogin here, LoginWithPassword(stub(), "uma", "uma password"));
  ASSERT_OK_AND_ASSIGN(DeviceLogin other, LoginWithPassword(stub(), "uma", "uma password"));
  const std::string token = here.response.tokens().access_token();
  v1::KdfParams stronger = TestKdf();
  stronger.set_ops_limit(2);

  // Wrong current key: UNAUTHENTICATED naming it; nothing changes.
  v1::UpgradeKdfRequest req = Request(std::string(32, 'x'), "uma password", a.identity, stronger);
  grpc::Status s = Upgrade(token, req);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(s.error_message(), HasSubstr("auth_key is wrong"));
  // Not stronger (equal, or weaker in one cost): FAILED_PRECONDITION naming new_kdf.
  req = Request(a.auth_key, "uma password", a.identity, TestKdf());
  s = Upgrade(token, req);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("new_kdf"));
  // Malformed: INVALID_ARGUMENT naming the field.
  req = Request(a.auth_key, "uma password", a.identity, stronger);
  req.set_new_salt("short");
  s = Upgrade(token, req);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("new_salt"));
  req.mutable_new_kdf()->set_algorithm("scrypt");
  req.set_new_salt(std::string(16, 's'));
  s = Upgrade(token, req);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("new_kdf.algorithm"));
  // Without a token: UNAUTHENTICATED.
  v1::UpgradeKdfResponse resp;
  EXPECT_EQ(stub().UpgradeKdf(PlainContext().get(), req, &resp).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);

  ASSERT_TRUE(Upgrade(token, Request(a.auth_key, "uma password", a.identity, stronger)).ok());
  v1::PreLoginRequest pre;
  pre.set_handle("uma");
  v1::PreLoginResponse pr;
  ASSERT_TRUE(stub().PreLogin(PlainContext().get(), pre, &pr).ok());
  EXPECT_EQ(pr.kdf().ops_limit(), 2u);
  // Both sessions live on; the same password logs in and opens the same identity.
  EXPECT_TRUE(GetAccount(token).ok());
  EXPECT_TRUE(GetAccount(other.response.tokens().access_token()).ok());
  ASSERT_OK_AND_ASSIGN(DeviceLogin after, LoginWithPassword(stub(), "uma", "uma password"));
  EXPECT_EQ(after.identity.Recipient(), a.identity.Recipient());
}

}  // namespace
}  // namespace freehold::accounts::testing
