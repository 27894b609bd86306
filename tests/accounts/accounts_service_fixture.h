// The fixture of the in-process accounts service tests: the service on a
// loopback port through the generated stub, against a real PostgreSQL (one
// fresh database per test).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "tests/accounts/accounts_test_support.h"
#include "tests/support/postgres_harness.h"

namespace freehold::accounts::testing {

class AccountsServiceTest : public freehold::testing::PostgresTest {
 protected:
  void StartService(StackConfig config = {}) {
    auto s = InProcessAccounts::Start(db_url(), std::move(config));
    ASSERT_TRUE(s.ok()) << s.status();
    svc_ = std::move(*s);
  }
  void SetUp() override {
    PostgresTest::SetUp();
    if (HasFatalFailure()) return;
    StartService();
  }
  void TearDown() override {
    svc_.reset();
    PostgresTest::TearDown();
  }
  v1::Accounts::Stub& stub() { return svc_->stub(); }

  // Registers handle/password and logs in from a first device.
  NewAccount Registered(const std::string& handle, const std::string& password = "pw") {
    absl::StatusOr<NewAccount> a = MakeAccount(handle, password);
    EXPECT_TRUE(a.ok()) << a.status();
    absl::StatusOr<std::string> id = RegisterAccount(stub(), *a);
    EXPECT_TRUE(id.ok()) << id.status();
    return *std::move(a);
  }

  grpc::Status Login(const std::string& handle, const std::string& auth_key,
                     v1::LoginResponse* resp = nullptr, grpc::ClientContext* ctx = nullptr) {
    v1::LoginRequest req;
    req.set_handle(handle);
    req.set_auth_key(auth_key);
    req.set_device_name("test");
    v1::LoginResponse local;
    auto own = PlainContext();
    return stub().Login(ctx ? ctx : own.get(), req, resp ? resp : &local);
  }

  grpc::Status GetAccount(const std::string& token, v1::GetAccountResponse* resp = nullptr) {
    v1::GetAccountResponse local;
    return stub().GetAccount(AuthedContext(token).get(), {}, resp ? resp : &local);
  }

  std::unique_ptr<InProcessAccounts> svc_;
};

}  // namespace freehold::accounts::testing
