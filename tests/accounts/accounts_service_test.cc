// Sign-up, pre-login, login and fair-use limits of the accounts service,
// in-process on a loopback port through the generated stub, against a real
// PostgreSQL (one fresh database per test).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "common/encoding.h"
#include "common/metrics.h"
#include "services/accounts/core/login_service.h"
#include "services/accounts/core/maintenance_loop.h"
#include "services/accounts/core/validation.h"
#include "tests/accounts/accounts_service_fixture.h"
#include "tests/accounts/accounts_test_support.h"
#include "tests/support/postgres_harness.h"
#include "tests/support/status_matchers.h"

namespace freehold::accounts::testing {
namespace {

using ::testing::HasSubstr;

TEST_F(AccountsServiceTest, SecondDeviceLogsInWithHandleAndPasswordAndUnwrapsTheIdentity) {
  NewAccount a = Registered("Alice", "correct horse");
  ASSERT_OK_AND_ASSIGN(DeviceLogin d, LoginWithPassword(stub(), "alice", "correct horse"));
  EXPECT_EQ(d.identity.Recipient(), a.identity.Recipient());
  EXPECT_EQ(d.response.public_key(), a.identity.Recipient());
  EXPECT_OK(ValidateUuid(d.response.account_id(), "account_id"));
  v1::GetAccountResponse acc;
  ASSERT_TRUE(GetAccount(d.response.tokens().access_token(), &acc).ok());
  EXPECT_EQ(acc.handle(), "alice");
  EXPECT_EQ(acc.account_id(), d.response.account_id());
  EXPECT_EQ(acc.contact(), "");
  EXPECT_THAT(LoginWithPassword(stub(), "alice", "wrong horse"),
              freehold::testing::StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(AccountsServiceTest, StoresContactOnlyWhenGiven) {
  ASSERT_OK_AND_ASSIGN(NewAccount a, MakeAccount("carol", "pw"));
  a.request.set_contact("carol@example.org");
  ASSERT_OK(RegisterAccount(stub(), a).status());
  ASSERT_OK_AND_ASSIGN(DeviceLogin d, LoginWithPassword(stub(), "carol", "pw"));
  v1::GetAccountResponse acc;
  ASSERT_TRUE(GetAccount(d.response.tokens().access_token(), &acc).ok());
  EXPECT_EQ(acc.contact(), "carol@example.org");
  Registered("no-contact");
  ASSERT_OK_AND_ASSIGN(auto counts, svc_->pool().Run([](PgTxn& txn) {
    pqxx::row r =
        txn.exec("SELECT count(*) FILTER (WHERE contact IS NULL), count(*) FROM accounts")[0];
    return std::make_pair(r[0].as<int>(), r[1].as<int>());
  }));
  EXPECT_EQ(counts, std::make_pair(1, 2));
}

TEST_F(AccountsServiceTest, PreLoginForUnknownHandleIsDeterministicAndShapedLikeARealOne) {
  Registered("known");
  v1::PreLoginRequest req;
  v1::PreLoginResponse known, unknown1, unknown2, unknown_upper;
  req.set_handle("known");
  ASSERT_TRUE(stub().PreLogin(PlainContext().get(), req, &known).ok());
  req.set_handle("nobody");
  ASSERT_TRUE(stub().PreLogin(PlainContext().get(), req, &unknown1).ok());
  ASSERT_TRUE(stub().PreLogin(PlainContext().get(), req, &unknown2).ok());
  req.set_handle("NoBody");
  ASSERT_TRUE(stub().PreLogin(PlainContext().get(), req, &unknown_upper).ok());
  EXPECT_EQ(unknown1.salt().size(), 16u);
  EXPECT_EQ(known.salt().size(), 16u);
  EXPECT_EQ(unknown1.salt(), unknown2.salt());
  EXPECT_EQ(unknown1.salt(), unknown_upper.salt());
  EXPECT_EQ(unknown1.kdf().algorithm(), "argon2id13");
  EXPECT_EQ(unknown1.kdf().ops_limit(), 1u);  // the configured default
  EXPECT_EQ(unknown1.ByteSizeLong(), known.ByteSizeLong());
  EXPECT_NE(known.salt(), unknown1.salt());
}

TEST_F(AccountsServiceTest, RegisterRejectsBadInputNamingTheField) {
  ASSERT_OK_AND_ASSIGN(NewAccount a, MakeAccount("dave", "pw"));
  struct Case {
    std::string field;
    std::function<void(v1::RegisterRequest&)> mutate;
  };
  const std::vector<Case> cases = {
      {"handle", [](auto& r) { r.set_handle("ab"); }},
      {"handle", [](auto& r) { r.set_handle(std::string(33, 'a')); }},
      {"handle", [](auto& r) { r.set_handle("da ve"); }},
      {"handle", [](auto& r) { r.set_handle(std::string(10000, 'a')); }},
      {"salt", [](auto& r) { r.set_salt(std::string(15, 's')); }},
      {"kdf.algorithm", [](auto& r) { r.mutable_kdf()->set_algorithm("scrypt"); }},
      {"kdf.ops_limit", [](auto& r) { r.mutable_kdf()->set_ops_limit(0); }},
      {"kdf.mem_limit_bytes", [](auto& r) { r.mutable_kdf()->set_mem_limit_bytes(1); }},
      {"auth_key", [](auto& r) { r.set_auth_key(std::string(31, 'k')); }},
      {"wrapped_identity", [](auto& r) { r.set_wrapped_identity(""); }},
      {"wrapped_identity", [](auto& r) { r.set_wrapped_identity(std::string(513, 'w')); }},
      {"public_key", [](auto& r) { r.set_public_key("age1notakey"); }},
      {"public_key", [](auto& r) { r.set_public_key(""); }},
      {"contact", [](auto& r) { r.set_contact(std::string(300, 'c')); }},
  };
  for (const Case& c : cases) {
    v1::RegisterRequest req = a.request;
    c.mutate(req);
    v1::RegisterResponse resp;
    grpc::Status s = stub().Register(PlainContext().get(), req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.field;
    EXPECT_THAT(s.error_message(), HasSubstr(c.field)) << s.error_message();
  }
  EXPECT_OK(RegisterAccount(stub(), a).status());
}

TEST_F(AccountsServiceTest, OversizedRequestsAreRefusedBeforeParsing) {
  ASSERT_OK_AND_ASSIGN(NewAccount a, MakeAccount("erin", "pw"));
  a.request.set_wrapped_identity(std::string(100 << 10, 'w'));  // > 64 KiB message limit
  v1::RegisterResponse resp;
  grpc::Status s = stub().Register(PlainContext().get(), a.request, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
}

TEST_F(AccountsServiceTest, ProductionBoundsRejectWeakKdfParams) {
  svc_.reset();
  StackConfig config;
  config.options.kdf_bounds = KdfBounds::Production();
  config.options.default_kdf = KdfParams{2, 64ull << 20, kKdfAlgorithm};
  StartService(config);
  ASSERT_OK_AND_ASSIGN(NewAccount a, MakeAccount("frank", "pw"));  // ops 1, 8 KiB
  v1::RegisterResponse resp;
  grpc::Status s = stub().Register(PlainContext().get(), a.request, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("kdf.ops_limit"));
}

TEST_F(AccountsServiceTest, HandlesAreUniqueAfterCaseFolding) {
  Registered("Grace");
  ASSERT_OK_AND_ASSIGN(NewAccount b, MakeAccount("GRACE", "pw"));
  EXPECT_THAT(RegisterAccount(stub(), b),
              freehold::testing::StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("handle")));
}

TEST_F(AccountsServiceTest, ConcurrentRegistrationsOfOneHandleHaveExactlyOneWinner) {
  constexpr int kThreads = 16;
  std::vector<NewAccount> accounts;
  for (int i = 0; i < kThreads; ++i) {
    ASSERT_OK_AND_ASSIGN(NewAccount a, MakeAccount(i % 2 ? "Heidi" : "heidi", "pw"));
    accounts.push_back(std::move(a));
  }
  std::atomic<int> ok{0}, exists{0}, other{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      while (!go.load()) std::this_thread::yield();
      v1::RegisterResponse resp;
      grpc::Status s = stub().Register(PlainContext().get(), accounts[i].request, &resp);
      if (s.ok()) {
        ok++;
      } else if (s.error_code() == grpc::StatusCode::ALREADY_EXISTS) {
        exists++;
      } else {
        other++;
      }
    });
  }
  go = true;
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(exists.load(), kThreads - 1);
  EXPECT_EQ(other.load(), 0);
}

TEST_F(AccountsServiceTest, WrongKeyAndUnknownHandleGetTheSameAnswerInSimilarTime) {
  Registered("ivan");
  const std::string wrong_key(32, 'x');
  grpc::Status wrong = Login("ivan", wrong_key);
  grpc::Status unknown = Login("nobody-here", wrong_key);
  EXPECT_EQ(wrong.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(wrong.error_message(), kWrongLoginMessage);
  EXPECT_EQ(unknown.error_message(), wrong.error_message());

  // Interleaved timing samples; compare medians (loose bound: the machine is shared).
  std::vector<double> t_wrong, t_unknown;
  for (int i = 0; i < 40; ++i) {
    for (int which = 0; which < 2; ++which) {
      const absl::Time start = absl::Now();
      grpc::Status s = Login(which == 0 ? "ivan" : "nobody-here", wrong_key);
      const double ms = absl::ToDoubleMilliseconds(absl::Now() - start);
      ASSERT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
      (which == 0 ? t_wrong : t_unknown).push_back(ms);
    }
  }
  std::sort(t_wrong.begin(), t_wrong.end());
  std::sort(t_unknown.begin(), t_unknown.end());
  const double m_wrong = t_wrong[t_wrong.size() / 2], m_unknown = t_unknown[t_unknown.size() / 2];
  EXPECT_LT(m_wrong, m_unknown * 2.5 + 0.2) << m_wrong << " vs " << m_unknown;
  EXPECT_LT(m_unknown, m_wrong * 2.5 + 0.2) << m_wrong << " vs " << m_unknown;
}

TEST_F(AccountsServiceTest, LoginBacksOffAfterFailuresAndSaysWhenToRetry) {
  svc_.reset();
  StackConfig config;
  config.fair_use.login_free_failures_per_account = 2;
  config.fair_use.login_backoff_base = absl::Seconds(4);
  StartService(config);
  NewAccount a = Registered("judy");
  const std::string wrong(32, 'w');
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Login("judy", wrong).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }
  // Now even the right key must wait.
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::Status s = Login("judy", a.auth_key, nullptr, &ctx);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(s.error_message(), HasSubstr("retry in 4000 ms"));
  auto it = ctx.GetServerTrailingMetadata().find("retry-after-ms");
  ASSERT_NE(it, ctx.GetServerTrailingMetadata().end());
  EXPECT_EQ(std::string(it->second.data(), it->second.size()), "4000");
  svc_->clock().Advance(absl::Seconds(4));
  EXPECT_TRUE(Login("judy", a.auth_key).ok());
  EXPECT_EQ(
      ReadMetric(svc_->registry(), "freehold_accounts_logins_total", {{"result", "rate_limited"}}),
      1);
  EXPECT_EQ(ReadMetric(svc_->registry(), "freehold_accounts_logins_total",
                       {{"result", "wrong_credentials"}}),
            3);
  EXPECT_EQ(ReadMetric(svc_->registry(), "freehold_accounts_logins_total", {{"result", "ok"}}), 1);
}

TEST_F(AccountsServiceTest, RegistrationsPerAddressAreCapped) {
  svc_.reset();
  StackConfig config;
  config.fair_use.registrations_per_address_per_hour = 2;
  StartService(config);
  Registered("kim1");
  Registered("kim2");
  ASSERT_OK_AND_ASSIGN(NewAccount third, MakeAccount("kim3", "pw"));
  EXPECT_THAT(
      RegisterAccount(stub(), third),
      freehold::testing::StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("retry in")));
  svc_->clock().Advance(absl::Minutes(31));
  EXPECT_OK(RegisterAccount(stub(), third).status());
  EXPECT_EQ(
      ReadMetric(svc_->registry(), "freehold_accounts_registrations_total", {{"result", "ok"}}), 3);
}

}  // namespace
}  // namespace freehold::accounts::testing
