// End to end: password change, recovery with the recovery key and the Argon2id
// upgrade at login, with the real `freehold` CLI against a real cluster (accounts,
// coordinator, storage daemons, PostgreSQL) on loopback.
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "client/core/account_keys.h"
#include "client/core/keys.h"
#include "common/grpc_server.h"
#include "freehold/v1/accounts.grpc.pb.h"
#include "tests/e2e/e2e_fixture.h"

namespace freehold::e2e {
namespace {

using ::testing::HasSubstr;

class AccountsEndToEndTest : public ClusterTest<6, 3> {
 protected:
  // A second device of `handle` (its own config dir), logged in with `password`.
  std::unique_ptr<CliUser> Device(const std::string& handle, const std::string& password,
                                  bool login = true) {
    auto d = std::make_unique<CliUser>(cluster().accounts_address(),
                                       cluster().coordinator_address(), password,
                                       cluster().ca_file());
    if (login) {
      CliResult r = d->Run({"login", "--handle", handle});
      EXPECT_EQ(r.exit_code, 0) << r.Describe();
    }
    return d;
  }

  std::unique_ptr<v1::Accounts::Stub> AccountsStub(const std::string& address) {
    absl::StatusOr<std::shared_ptr<grpc::Channel>> ch =
        MakeChannel(address, cluster().client_tls());
    EXPECT_TRUE(ch.ok()) << ch.status();
    return v1::Accounts::NewStub(*ch);
  }

  v1::PreLoginResponse PreLogin(const std::string& address, const std::string& handle) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::PreLoginRequest req;
    req.set_handle(handle);
    v1::PreLoginResponse resp;
    grpc::Status s = AccountsStub(address)->PreLogin(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }
};

TEST_F(AccountsEndToEndTest, PasswdRewrapsTheIdentityAndEndsEveryOtherSession) {
  auto alice = SignUp("alice");
  const std::string handle = HandleOf(*alice);
  const std::string data = WriteRandomFile(alice->File("a.bin"), 70000, 3);
  ASSERT_FALSE(Put(*alice, alice->File("a.bin"), "a.bin").empty());
  auto laptop = Device(handle, TestPassword(handle));

  // A weak new password is refused before anything is sent, saying why.
  CliResult weak = alice->Run({"passwd"}, {{"FREEHOLD_NEW_PASSWORD", handle + "2024"}});
  EXPECT_EQ(weak.exit_code, 2) << weak.Describe();
  EXPECT_THAT(weak.err, HasSubstr("too weak"));
  EXPECT_THAT(weak.err, HasSubstr("handle"));
  // A wrong current password changes nothing.
  const std::string fresh = "new " + handle + " walnut-Orbit-57 lantern";
  CliResult wrong = alice->Run({"passwd"}, {{"FREEHOLD_PASSWORD", "not the password at all 9!"},
                                            {"FREEHOLD_NEW_PASSWORD", fresh}});
  EXPECT_EQ(wrong.exit_code, 3) << wrong.Describe();
  EXPECT_THAT(wrong.err, HasSubstr("current password"));

  CliResult changed = alice->Run({"passwd"}, {{"FREEHOLD_NEW_PASSWORD", fresh}});
  ASSERT_EQ(changed.exit_code, 0) << changed.Describe();
  EXPECT_THAT(changed.out, HasSubstr("Every other session"));

  // This device continues, and its identity now opens with the new password only.
  alice->set_password(fresh);
  CliResult got = alice->Run({"get", "a.bin", "-o", alice->File("a.back")});
  ASSERT_EQ(got.exit_code, 0) << got.Describe();
  EXPECT_EQ(ReadFile(alice->File("a.back")), data);
  CliResult old_pw = alice->Run({"get", "a.bin", "-o", alice->File("a.old")},
                                {{"FREEHOLD_PASSWORD", TestPassword(handle)}});
  EXPECT_EQ(old_pw.exit_code, 3) << old_pw.Describe();

  // The other device's session ended.
  CliResult ended = laptop->Run({"ls"});
  EXPECT_EQ(ended.exit_code, 3) << ended.Describe();
  CliResult old_login = laptop->Run({"login", "--handle", handle});
  EXPECT_EQ(old_login.exit_code, 3) << old_login.Describe();
  laptop->set_password(fresh);
  CliResult new_login = laptop->Run({"login", "--handle", handle});
  ASSERT_EQ(new_login.exit_code, 0) << new_login.Describe();
  CliResult got2 = laptop->Run({"get", "a.bin", "-o", laptop->File("a.back")});
  ASSERT_EQ(got2.exit_code, 0) << got2.Describe();
  EXPECT_EQ(ReadFile(laptop->File("a.back")), data);
}

TEST_F(AccountsEndToEndTest, RecoverWithTheRecoveryKeySetsANewPasswordAndEndsOtherSessions) {
  auto alice = SignUp("alice");
  const std::string handle = HandleOf(*alice);
  const std::string data = WriteRandomFile(alice->File("r.bin"), 5000, 4);
  ASSERT_FALSE(Put(*alice, alice->File("r.bin"), "r.bin").empty());
  CliResult shown = alice->Run({"recovery-key", "--yes"});
  ASSERT_EQ(shown.exit_code, 0) << shown.Describe();
  const std::string key(absl::StripAsciiWhitespace(shown.out));
  ASSERT_THAT(key, HasSubstr("AGE-SECRET-KEY-1"));
  auto laptop = Device(handle, TestPassword(handle));

  // Somebody else's recovery key does not open the account.
  auto bob = SignUp("bob");
  CliResult bob_key = bob->Run({"recovery-key", "--yes"});
  ASSERT_EQ(bob_key.exit_code, 0) << bob_key.Describe();
  const std::string fresh = "recovered " + handle + " cactus-Meadow-31 piano";
  auto phone = Device(handle, fresh, /*login=*/false);
  CliResult wrong = phone->Run(
      {"recover", "--handle", handle},
      {{"FREEHOLD_RECOVERY_KEY", std::string(absl::StripAsciiWhitespace(bob_key.out))},
       {"FREEHOLD_NEW_PASSWORD", fresh}});
  EXPECT_EQ(wrong.exit_code, 3) << wrong.Describe();
  EXPECT_THAT(wrong.err, HasSubstr("does not belong"));
  CliResult garbage = phone->Run({"recover", "--handle", handle},
                                 {{"FREEHOLD_RECOVERY_KEY", "AGE-SECRET-KEY-1NOTAKEY"},
                                  {"FREEHOLD_NEW_PASSWORD", fresh}});
  EXPECT_EQ(garbage.exit_code, 2) << garbage.Describe();

  CliResult recovered = phone->Run(
      {"recover", "--handle", handle},
      {{"FREEHOLD_RECOVERY_KEY", key}, {"FREEHOLD_NEW_PASSWORD", fresh}});
  ASSERT_EQ(recovered.exit_code, 0) << recovered.Describe();
  CliResult got = phone->Run({"get", "r.bin", "-o", phone->File("r.back")});
  ASSERT_EQ(got.exit_code, 0) << got.Describe();
  EXPECT_EQ(ReadFile(phone->File("r.back")), data);

  // Every other session ended; the old password no longer logs in, the new one does.
  for (CliUser* other : {alice.get(), laptop.get()}) {
    CliResult ended = other->Run({"ls"});
    EXPECT_EQ(ended.exit_code, 3) << ended.Describe();
  }
  CliResult old_login = laptop->Run({"login", "--handle", handle});
  EXPECT_EQ(old_login.exit_code, 3) << old_login.Describe();
  laptop->set_password(fresh);
  CliResult new_login = laptop->Run({"login", "--handle", handle});
  EXPECT_EQ(new_login.exit_code, 0) << new_login.Describe();
}

TEST_F(AccountsEndToEndTest, WeakerArgon2idIsUpgradedAtLoginWithoutEndingSessions) {
  // An account registered (raw gRPC, as an older client would) with ops 1 while the
  // cluster recommends ops 2.
  const std::string handle = "legacy" + std::to_string(::getpid());
  const std::string password = TestPassword(handle);
  const client::PwhashParams weak{1, 8192};
  const auto salt = client::GeneratePasswordSalt();
  absl::StatusOr<client::DerivedKeys> keys = client::DeriveKeys(password, salt, weak);
  ASSERT_TRUE(keys.ok()) << keys.status();
  client::X25519Identity identity = client::GenerateIdentity();
  absl::StatusOr<std::vector<uint8_t>> wrapped = client::WrapIdentity(keys->kek, identity);
  ASSERT_TRUE(wrapped.ok());
  v1::RegisterRequest reg;
  reg.set_handle(handle);
  reg.set_salt(std::string(salt.begin(), salt.end()));
  reg.mutable_kdf()->set_ops_limit(1);
  reg.mutable_kdf()->set_mem_limit_bytes(8192);
  reg.mutable_kdf()->set_algorithm("argon2id13");
  reg.set_auth_key(std::string(keys->auth_key.view()));
  reg.set_wrapped_identity(std::string(wrapped->begin(), wrapped->end()));
  reg.set_public_key(identity.Recipient());
  {
    grpc::ClientContext ctx;
    v1::RegisterResponse resp;
    grpc::Status s = AccountsStub(cluster().accounts_address())->Register(&ctx, reg, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  ASSERT_EQ(PreLogin(cluster().accounts_address(), handle).kdf().ops_limit(), 1u);

  // A first device logs in (and upgrades); a second device's older session stays.
  auto first = Device(handle, password, /*login=*/false);
  auto second = Device(handle, password, /*login=*/false);
  CliResult first_login = first->Run({"--json", "login", "--handle", handle});
  ASSERT_EQ(first_login.exit_code, 0) << first_login.Describe();
  // Logging in twice more: the first upgraded, the next ones do not.
  nlohmann::json j = nlohmann::json::parse(first_login.out, nullptr, false);
  EXPECT_EQ(j.value("kdf_upgraded", false), true) << first_login.Describe();
  const v1::PreLoginResponse after = PreLogin(cluster().accounts_address(), handle);
  EXPECT_EQ(after.kdf().ops_limit(), 2u);
  EXPECT_EQ(after.recommended_kdf().ops_limit(), 2u);
  EXPECT_NE(after.salt(), std::string(salt.begin(), salt.end()));

  CliResult second_login = second->Run({"--json", "login", "--handle", handle});
  ASSERT_EQ(second_login.exit_code, 0) << second_login.Describe();
  j = nlohmann::json::parse(second_login.out, nullptr, false);
  EXPECT_EQ(j.value("kdf_upgraded", true), false) << second_login.Describe();
  // The first device's session survived the second's login and its own upgrade, and
  // both unlock the identity with the same password.
  WriteRandomFile(first->File("u.bin"), 1000, 5);
  ASSERT_FALSE(Put(*first, first->File("u.bin"), "u.bin").empty());
  CliResult got = second->Run({"get", "u.bin", "-o", second->File("u.back")});
  EXPECT_EQ(got.exit_code, 0) << got.Describe();
  CliResult still = first->Run({"get", "u.bin", "-o", first->File("u.back")});
  EXPECT_EQ(still.exit_code, 0) << still.Describe();
}

// Failed logins on one replica delay logins on another: the counters are in PostgreSQL.
TEST_F(AccountsEndToEndTest, LoginThrottlingIsSharedByAccountsReplicas) {
  const std::vector<std::string> flags = {"--allow-weak-kdf", "--kdf-default-ops", "2",
                                          "--kdf-default-mem", "8192",
                                          "--login-free-failures-per-account", "2",
                                          "--login-backoff-base", "30s"};
  absl::StatusOr<std::string> a = cluster().StartAccountsReplica(flags);
  ASSERT_TRUE(a.ok()) << a.status();
  absl::StatusOr<std::string> b = cluster().StartAccountsReplica(flags);
  ASSERT_TRUE(b.ok()) << b.status();
  auto alice = SignUp("alice");
  const std::string handle = HandleOf(*alice);
  auto guesser = Device(handle, "wrong guess " + handle + " x7", /*login=*/false);
  for (int i = 0; i < 3; ++i) {
    CliResult r = guesser->Run({"--accounts", *a, "login", "--handle", handle});
    EXPECT_EQ(r.exit_code, 3) << r.Describe();
    EXPECT_THAT(r.err, HasSubstr("wrong handle or password")) << r.Describe();
  }
  // Replica B refuses even the right password from this network for now, saying when
  // to come back (no lockout: the delay grows, then expires).
  auto owner = Device(handle, TestPassword(handle), /*login=*/false);
  CliResult refused = owner->Run({"--accounts", *b, "login", "--handle", handle});
  EXPECT_EQ(refused.exit_code, 3) << refused.Describe();
  EXPECT_THAT(refused.err, HasSubstr("Try again in")) << refused.Describe();

  grpc::ClientContext ctx;
  v1::LoginRequest req;
  req.set_handle(handle);
  req.set_auth_key(std::string(32, 'x'));
  v1::LoginResponse resp;
  grpc::Status s = AccountsStub(*b)->Login(&ctx, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("retry in"));
  EXPECT_EQ(ctx.GetServerTrailingMetadata().count("retry-after-ms"), 1u);
}

// The production default (no --kdf-default-* flags): libsodium's MODERATE limits, used
// by a CLI that does not allow weak parameters.
TEST_F(AccountsEndToEndTest, NewAccountsUseArgon2idModerateByDefault) {
  absl::StatusOr<std::string> production =
      cluster().StartAccountsReplica({"--registrations-per-address-per-hour", "0"});
  ASSERT_TRUE(production.ok()) << production.status();
  const std::string handle = "moderate" + std::to_string(::getpid());
  v1::PreLoginResponse pre = PreLogin(*production, handle);
  EXPECT_EQ(pre.recommended_kdf().ops_limit(), 3u);
  EXPECT_EQ(pre.recommended_kdf().mem_limit_bytes(), 256ull << 20);
  EXPECT_EQ(pre.kdf().mem_limit_bytes(), 256ull << 20);

  CliUser user(*production, cluster().coordinator_address(), TestPassword(handle),
               cluster().ca_file());
  CliResult r = user.Run({"signup", "--handle", handle}, {{"FREEHOLD_ALLOW_WEAK_KDF", "0"}});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  pre = PreLogin(*production, handle);
  EXPECT_EQ(pre.kdf().ops_limit(), 3u);
  EXPECT_EQ(pre.kdf().mem_limit_bytes(), 256ull << 20);
}

}  // namespace
}  // namespace freehold::e2e
