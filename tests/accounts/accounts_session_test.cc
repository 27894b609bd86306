// Refresh tokens, access-token checks, sessions and the published keys of
// the accounts service, in-process on a loopback port through the generated
// stub, against a real PostgreSQL (one fresh database per test).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "common/encoding.h"
#include "common/metrics.h"
#include "common/peer_identity.h"
#include "services/accounts/core/login_service.h"
#include "services/accounts/core/maintenance_loop.h"
#include "services/accounts/core/validation.h"
#include "tests/accounts/accounts_service_fixture.h"
#include "tests/accounts/accounts_test_support.h"
#include "tests/support/postgres_harness.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_pki.h"

namespace freehold::accounts::testing {
namespace {

using ::testing::HasSubstr;

TEST_F(AccountsServiceTest, RefreshRotatesAndReplayRevokesTheWholeFamily) {
  NewAccount a = Registered("leo");
  v1::LoginResponse login;
  ASSERT_TRUE(Login("leo", a.auth_key, &login).ok());
  v1::RefreshRequest req;
  req.set_refresh_token(login.tokens().refresh_token());
  v1::RefreshResponse r1;
  svc_->clock().Advance(absl::Seconds(1));
  ASSERT_TRUE(stub().Refresh(PlainContext().get(), req, &r1).ok());
  EXPECT_NE(r1.tokens().refresh_token(), login.tokens().refresh_token());
  EXPECT_NE(r1.tokens().access_token(), login.tokens().access_token());
  EXPECT_TRUE(GetAccount(r1.tokens().access_token()).ok());

  // The attacker replays the old token after the retry grace: refused, and the family
  // dies.
  svc_->clock().Advance(kRefreshRetryGrace + absl::Seconds(1));
  v1::RefreshResponse r2;
  grpc::Status replay = stub().Refresh(PlainContext().get(), req, &r2);
  EXPECT_EQ(replay.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(replay.error_message(), HasSubstr("already used"));
  v1::RefreshRequest legit;
  legit.set_refresh_token(r1.tokens().refresh_token());
  EXPECT_EQ(stub().Refresh(PlainContext().get(), legit, &r2).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(GetAccount(r1.tokens().access_token()).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(ReadMetric(svc_->registry(), "freehold_accounts_refreshes_total",
                       {{"result", "reuse_detected"}}),
            1);

  // Garbage and unknown tokens.
  v1::RefreshRequest bad;
  EXPECT_EQ(stub().Refresh(PlainContext().get(), bad, &r2).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  bad.set_refresh_token(std::string(43, 'A'));
  EXPECT_EQ(stub().Refresh(PlainContext().get(), bad, &r2).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(AccountsServiceTest, ForgedOrAlteredRefreshTokensAreRefusedAndHarmless) {
  NewAccount a = Registered("lucy");
  NewAccount b = Registered("lucas");
  v1::LoginResponse login, other;
  ASSERT_TRUE(Login("lucy", a.auth_key, &login).ok());
  ASSERT_TRUE(Login("lucas", b.auth_key, &other).ok());
  ASSERT_OK_AND_ASSIGN(std::string raw, Base64UrlDecode(login.tokens().refresh_token()));
  ASSERT_OK_AND_ASSIGN(std::string other_raw, Base64UrlDecode(other.tokens().refresh_token()));
  ASSERT_EQ(raw.size(), 48u);
  auto refresh = [&](const std::string& token) {
    v1::RefreshRequest req;
    req.set_refresh_token(token);
    v1::RefreshResponse resp;
    return stub().Refresh(PlainContext().get(), req, &resp);
  };
  // The right session id with a guessed secret: unknown, and the session is untouched.
  std::string forged = raw;
  forged[47] ^= 1;
  grpc::Status s = refresh(Base64UrlEncode(forged));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(s.error_message(), HasSubstr("not valid"));
  // lucy's secret under lucas's session id (and a session id that does not exist).
  std::string swapped = other_raw.substr(0, 16) + raw.substr(16);
  EXPECT_EQ(refresh(Base64UrlEncode(swapped)).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  std::string altered_id = raw;
  altered_id[3] ^= 0x40;
  EXPECT_EQ(refresh(Base64UrlEncode(altered_id)).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  // The old 32-byte format.
  EXPECT_EQ(refresh(Base64UrlEncode(raw.substr(16))).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(ReadMetric(svc_->registry(), "freehold_accounts_refreshes_total",
                       {{"result", "reuse_detected"}}),
            0);
  // Nothing was revoked: both real tokens still rotate and both sessions stay usable.
  EXPECT_TRUE(GetAccount(login.tokens().access_token()).ok());
  EXPECT_TRUE(refresh(login.tokens().refresh_token()).ok());
  EXPECT_TRUE(refresh(other.tokens().refresh_token()).ok());
  EXPECT_TRUE(GetAccount(other.tokens().access_token()).ok());
}

TEST_F(AccountsServiceTest, ARefreshRetriedAfterALostAnswerKeepsTheSession) {
  NewAccount a = Registered("lena");
  v1::LoginResponse login;
  ASSERT_TRUE(Login("lena", a.auth_key, &login).ok());
  v1::RefreshRequest req;
  req.set_refresh_token(login.tokens().refresh_token());
  svc_->clock().Advance(absl::Seconds(1));
  v1::RefreshResponse lost, retried, again;
  ASSERT_TRUE(stub().Refresh(PlainContext().get(), req, &lost).ok());  // answer lost
  svc_->clock().Advance(absl::Seconds(20));
  ASSERT_TRUE(stub().Refresh(PlainContext().get(), req, &retried).ok());  // the retry
  EXPECT_NE(retried.tokens().refresh_token(), lost.tokens().refresh_token());
  EXPECT_TRUE(GetAccount(retried.tokens().access_token()).ok());
  EXPECT_EQ(ReadMetric(svc_->registry(), "freehold_accounts_refreshes_total",
                       {{"result", "reuse_detected"}}),
            0);
  // The retried token goes on rotating after the window.
  svc_->clock().Advance(kRefreshRetryGrace);
  v1::RefreshRequest next;
  next.set_refresh_token(retried.tokens().refresh_token());
  ASSERT_TRUE(stub().Refresh(PlainContext().get(), next, &again).ok());
  // Whoever holds the superseded token (the lost answer) and presents it later is
  // treated as reuse: the whole family ends.
  v1::RefreshRequest superseded;
  superseded.set_refresh_token(lost.tokens().refresh_token());
  v1::RefreshResponse r;
  grpc::Status reuse = stub().Refresh(PlainContext().get(), superseded, &r);
  EXPECT_EQ(reuse.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(reuse.error_message(), HasSubstr("already used"));
  EXPECT_EQ(GetAccount(again.tokens().access_token()).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(AccountsServiceTest, AnOlderTokenIsReuseEvenWithinTheRetryGrace) {
  NewAccount a = Registered("lily");
  v1::LoginResponse login;
  ASSERT_TRUE(Login("lily", a.auth_key, &login).ok());
  v1::RefreshRequest first;
  first.set_refresh_token(login.tokens().refresh_token());
  v1::RefreshResponse r1, r2, r3;
  svc_->clock().Advance(absl::Seconds(1));
  ASSERT_TRUE(stub().Refresh(PlainContext().get(), first, &r1).ok());
  v1::RefreshRequest second;
  second.set_refresh_token(r1.tokens().refresh_token());
  svc_->clock().Advance(absl::Seconds(1));
  ASSERT_TRUE(stub().Refresh(PlainContext().get(), second, &r2).ok());
  // `first` is two rotations old: its successor was presented, so it was copied.
  grpc::Status s = stub().Refresh(PlainContext().get(), first, &r3);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(s.error_message(), HasSubstr("already used"));
  EXPECT_EQ(GetAccount(r2.tokens().access_token()).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(AccountsServiceTest, ConcurrentRefreshesWithOneTokenLeaveOneLiveToken) {
  NewAccount a = Registered("lars");
  v1::LoginResponse login;
  ASSERT_TRUE(Login("lars", a.auth_key, &login).ok());
  v1::RefreshRequest req;
  req.set_refresh_token(login.tokens().refresh_token());
  constexpr int kThreads = 8;
  std::atomic<int> ok{0}, unauthenticated{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      while (!go.load()) std::this_thread::yield();
      v1::RefreshResponse resp;
      grpc::Status s = stub().Refresh(PlainContext().get(), req, &resp);
      if (s.ok()) ok++;
      if (s.error_code() == grpc::StatusCode::UNAUTHENTICATED) unauthenticated++;
    });
  }
  go = true;
  for (auto& t : threads) t.join();
  // Within the retry grace the later ones count as retries of the first (each supersedes
  // the token issued before it); none is refused otherwise than UNAUTHENTICATED.
  EXPECT_GE(ok.load(), 1);
  EXPECT_EQ(ok.load() + unauthenticated.load(), kThreads);
  // After the grace the original token is reuse and ends the session.
  svc_->clock().Advance(kRefreshRetryGrace + absl::Seconds(1));
  v1::RefreshResponse late;
  grpc::Status s = stub().Refresh(PlainContext().get(), req, &late);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(s.error_message(), HasSubstr("already used"));
}

TEST_F(AccountsServiceTest, RefreshTokensExpire) {
  NewAccount a = Registered("lena");
  v1::LoginResponse login;
  ASSERT_TRUE(Login("lena", a.auth_key, &login).ok());
  svc_->clock().Advance(absl::Hours(24 * 31));
  v1::RefreshRequest req;
  req.set_refresh_token(login.tokens().refresh_token());
  v1::RefreshResponse r;
  grpc::Status s = stub().Refresh(PlainContext().get(), req, &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(s.error_message(), HasSubstr("expired"));
}

TEST_F(AccountsServiceTest, AuthenticatedCallsRejectExpiredForgedAndMisdirectedTokens) {
  NewAccount a = Registered("mallory");
  v1::LoginResponse login;
  ASSERT_TRUE(Login("mallory", a.auth_key, &login).ok());
  const std::string good = login.tokens().access_token();
  ASSERT_TRUE(GetAccount(good).ok());
  const absl::Time now = svc_->clock().Now();

  TokenClaims claims;
  claims.audience = "freehold";
  claims.subject = login.account_id();
  claims.extra = login.session_id();
  claims.issued_at = now;
  claims.expires_at = now + absl::Minutes(5);
  // Another key (even claiming the real key id).
  ASSERT_OK_AND_ASSIGN(SigningKey other, GenerateSigningKey(svc_->keyring().signer().key_id()));
  const std::string other_key = SignClaims(TokenSigner(other), claims);
  // Altered payload under the real signature.
  TokenClaims evil = claims;
  evil.expires_at = now + absl::Hours(240);
  const std::string evil_signed = SignClaims(svc_->keyring().signer(), evil);
  const std::string altered =
      evil_signed.substr(0, evil_signed.find('.')) + good.substr(good.find('.'));
  // Wrong audience, signed by the real key.
  TokenClaims misdirected = claims;
  misdirected.audience = "storaged";
  const std::string wrong_audience = SignClaims(svc_->keyring().signer(), misdirected);

  for (const std::string& token : {other_key, altered, wrong_audience, std::string("x.y.z")}) {
    grpc::Status s = GetAccount(token);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << token;
  }
  // Missing or malformed authorization metadata.
  v1::GetAccountResponse resp;
  EXPECT_EQ(stub().GetAccount(PlainContext().get(), {}, &resp).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  auto basic = PlainContext();
  basic->AddMetadata("authorization", "Basic " + good);
  EXPECT_EQ(stub().GetAccount(basic.get(), {}, &resp).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  // Expired.
  svc_->clock().Advance(absl::Minutes(16));
  grpc::Status expired = GetAccount(good);
  EXPECT_EQ(expired.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(expired.error_message(), HasSubstr("expired"));
}

TEST_F(AccountsServiceTest, ListsAndRevokesSessions) {
  NewAccount a = Registered("nina", "pw");
  ASSERT_OK_AND_ASSIGN(DeviceLogin phone, LoginWithPassword(stub(), "nina", "pw", "phone"));
  svc_->clock().Advance(absl::Seconds(1));
  ASSERT_OK_AND_ASSIGN(DeviceLogin laptop, LoginWithPassword(stub(), "nina", "pw", "laptop"));
  v1::ListSessionsResponse list;
  ASSERT_TRUE(
      stub()
          .ListSessions(AuthedContext(laptop.response.tokens().access_token()).get(), {}, &list)
          .ok());
  ASSERT_EQ(list.sessions_size(), 2);
  EXPECT_EQ(list.sessions(0).device_name(), "laptop");  // newest first
  EXPECT_TRUE(list.sessions(0).current());
  EXPECT_FALSE(list.sessions(1).current());

  v1::RevokeSessionRequest revoke;
  revoke.set_session_id(phone.response.session_id());
  v1::RevokeSessionResponse rr;
  ASSERT_TRUE(
      stub()
          .RevokeSession(AuthedContext(laptop.response.tokens().access_token()).get(), revoke, &rr)
          .ok());
  EXPECT_EQ(GetAccount(phone.response.tokens().access_token()).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(
      stub()
          .RevokeSession(AuthedContext(laptop.response.tokens().access_token()).get(), revoke, &rr)
          .error_code(),
      grpc::StatusCode::NOT_FOUND);
  revoke.set_session_id("not-a-uuid");
  grpc::Status bad = stub().RevokeSession(
      AuthedContext(laptop.response.tokens().access_token()).get(), revoke, &rr);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(bad.error_message(), HasSubstr("session_id"));

  // Logout ends the current session.
  v1::LogoutResponse lo;
  ASSERT_TRUE(
      stub().Logout(AuthedContext(laptop.response.tokens().access_token()).get(), {}, &lo).ok());
  EXPECT_EQ(GetAccount(laptop.response.tokens().access_token()).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  v1::RefreshRequest refresh;
  refresh.set_refresh_token(laptop.response.tokens().refresh_token());
  v1::RefreshResponse ref;
  EXPECT_EQ(stub().Refresh(PlainContext().get(), refresh, &ref).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

// Every session that ends is listed by ListRevokedSessions (the coordinator's deny list):
// RevokeSession, Logout and account deletion, in sequence order, each with the bound
// after which none of its access tokens is valid (revoked_at + the access-token lifetime).
TEST_F(AccountsServiceTest, ListRevokedSessionsListsEveryEndedSessionInOrder) {
  NewAccount a = Registered("rita", "pw");
  ASSERT_OK_AND_ASSIGN(DeviceLogin phone, LoginWithPassword(stub(), "rita", "pw", "phone"));
  ASSERT_OK_AND_ASSIGN(DeviceLogin laptop, LoginWithPassword(stub(), "rita", "pw", "laptop"));
  ASSERT_OK_AND_ASSIGN(DeviceLogin tablet, LoginWithPassword(stub(), "rita", "pw", "tablet"));
  auto list = [&](int64_t after) {
    v1::ListRevokedSessionsRequest req;
    req.set_after_sequence(after);
    v1::ListRevokedSessionsResponse resp;
    grpc::Status s = stub().ListRevokedSessions(PlainContext().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  };
  EXPECT_EQ(list(0).sessions_size(), 0);

  v1::RevokeSessionRequest revoke;
  revoke.set_session_id(phone.response.session_id());
  v1::RevokeSessionResponse rr;
  ASSERT_TRUE(
      stub()
          .RevokeSession(AuthedContext(laptop.response.tokens().access_token()).get(), revoke, &rr)
          .ok());
  const absl::Time first_end = svc_->clock().Now();
  svc_->clock().Advance(absl::Seconds(5));
  v1::LogoutResponse lo;
  ASSERT_TRUE(
      stub().Logout(AuthedContext(laptop.response.tokens().access_token()).get(), {}, &lo).ok());

  v1::ListRevokedSessionsResponse two = list(0);
  ASSERT_EQ(two.sessions_size(), 2);
  EXPECT_EQ(two.sessions(0).session_id(), phone.response.session_id());
  EXPECT_EQ(two.sessions(1).session_id(), laptop.response.session_id());
  EXPECT_LT(two.sessions(0).sequence(), two.sessions(1).sequence());
  EXPECT_EQ(two.sessions(0).tokens_expire_by().seconds(),
            absl::ToUnixSeconds(first_end + absl::Minutes(15)));
  EXPECT_EQ(list(two.sessions(1).sequence()).sessions_size(), 0);

  // Account deletion ends the remaining session.
  v1::DeleteAccountRequest del;
  del.set_auth_key(a.auth_key);
  v1::DeleteAccountResponse dr;
  ASSERT_TRUE(
      stub().DeleteAccount(AuthedContext(tablet.response.tokens().access_token()).get(), del, &dr)
          .ok());
  v1::ListRevokedSessionsResponse last = list(two.sessions(1).sequence());
  ASSERT_EQ(last.sessions_size(), 1);
  EXPECT_EQ(last.sessions(0).session_id(), tablet.response.session_id());

  v1::ListRevokedSessionsRequest bad;
  bad.set_after_sequence(-1);
  v1::ListRevokedSessionsResponse ignored;
  grpc::Status s = stub().ListRevokedSessions(PlainContext().get(), bad, &ignored);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("after_sequence"));
}

// A replica that does not lead (LeaderGate) refreshes its gauge but leaves purging to
// the leader.
TEST_F(AccountsServiceTest, MaintenancePurgesOnlyOnTheLeader) {
  Registered("pia", "pw");
  ASSERT_OK(LoginWithPassword(stub(), "pia", "pw").status());
  svc_->clock().Advance(absl::Hours(24 * 31));
  ASSERT_OK(RunMaintenanceOnce(svc_->repo(), svc_->metrics(), svc_->clock(), absl::Hours(1),
                               /*purge=*/false));
  EXPECT_EQ(ReadMetric(svc_->registry(), "freehold_accounts_sessions_active", {}), 0);
  ASSERT_OK_AND_ASSIGN(int64_t purged,
                       svc_->repo().PurgeExpired(svc_->clock().Now(), absl::Hours(1)));
  EXPECT_GT(purged, 0);  // the follower's pass left them for the leader
}

TEST_F(AccountsServiceTest, SessionsGaugeCountsActiveSessions) {
  NewAccount a = Registered("olga", "pw");
  ASSERT_OK(LoginWithPassword(stub(), "olga", "pw").status());
  ASSERT_OK(LoginWithPassword(stub(), "olga", "pw").status());
  ASSERT_OK(RunMaintenanceOnce(svc_->repo(), svc_->metrics(), svc_->clock(), absl::Hours(1)));
  EXPECT_EQ(ReadMetric(svc_->registry(), "freehold_accounts_sessions_active", {}), 2);
  svc_->clock().Advance(absl::Hours(24 * 31));
  ASSERT_OK(RunMaintenanceOnce(svc_->repo(), svc_->metrics(), svc_->clock(), absl::Hours(1)));
  EXPECT_EQ(ReadMetric(svc_->registry(), "freehold_accounts_sessions_active", {}), 0);
  // The RPC interceptor counts too.
  EXPECT_GE(ReadMetric(svc_->registry(), "freehold_rpc_total",
                       {{"service", "freehold.v1.Accounts"}, {"method", "Login"}, {"code", "OK"}})
                .value_or(0),
            2);
}

TEST_F(AccountsServiceTest, GetVerificationKeysPublishesTheSigningKey) {
  NewAccount a = Registered("pete");
  v1::LoginResponse login;
  ASSERT_TRUE(Login("pete", a.auth_key, &login).ok());
  v1::GetVerificationKeysResponse keys;
  ASSERT_TRUE(stub().GetVerificationKeys(PlainContext().get(), {}, &keys).ok());
  EXPECT_EQ(keys.audience(), "freehold");
  ASSERT_EQ(keys.keys_size(), 1);
  EXPECT_TRUE(keys.keys(0).signing());
  PublicKey pk;
  pk.key_id = keys.keys(0).key_id();
  ASSERT_EQ(keys.keys(0).public_key().size(), 32u);
  std::copy(keys.keys(0).public_key().begin(), keys.keys(0).public_key().end(), pk.key.begin());
  ASSERT_OK_AND_ASSIGN(TokenClaims claims,
                       VerifyClaims(TokenVerifier({pk}), login.tokens().access_token(),
                                    keys.audience(), svc_->clock().Now()));
  EXPECT_EQ(claims.subject, login.account_id());
}

TEST_F(AccountsServiceTest, GetPublicKeyFindsAccountsByHandle) {
  NewAccount a = Registered("quinn");
  NewAccount me = Registered("rowan");
  v1::LoginResponse login;
  ASSERT_TRUE(Login("rowan", me.auth_key, &login).ok());
  const std::string token = login.tokens().access_token();
  v1::GetPublicKeyRequest req;
  req.set_handle("QUINN");
  v1::GetPublicKeyResponse resp;
  ASSERT_TRUE(stub().GetPublicKey(AuthedContext(token).get(), req, &resp).ok());
  EXPECT_EQ(resp.public_key(), a.identity.Recipient());
  req.set_handle("nobody");
  EXPECT_EQ(stub().GetPublicKey(AuthedContext(token).get(), req, &resp).error_code(),
            grpc::StatusCode::NOT_FOUND);
  req.set_handle("no");
  EXPECT_EQ(stub().GetPublicKey(AuthedContext(token).get(), req, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(AccountsServiceTest, GetPublicKeyNeedsAnAccessToken) {
  Registered("quinn");
  v1::GetPublicKeyRequest req;
  req.set_handle("quinn");
  v1::GetPublicKeyResponse resp;
  // Without a token nobody can probe which handles exist.
  EXPECT_EQ(stub().GetPublicKey(PlainContext().get(), req, &resp).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  req.set_handle("nobody");
  EXPECT_EQ(stub().GetPublicKey(PlainContext().get(), req, &resp).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(stub().GetPublicKey(AuthedContext("not-a-token").get(), req, &resp).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(AccountsServiceTest, GetPublicKeyIsRateLimitedPerAccount) {
  svc_.reset();
  StackConfig config;
  config.fair_use.public_key_lookups_per_account_per_minute = 3;
  StartService(config);
  NewAccount me = Registered("quinn");
  v1::LoginResponse login;
  ASSERT_TRUE(Login("quinn", me.auth_key, &login).ok());
  const std::string token = login.tokens().access_token();
  v1::GetPublicKeyRequest req;
  v1::GetPublicKeyResponse resp;
  for (const char* handle : {"nobody1", "nobody2", "quinn"}) {
    req.set_handle(handle);
    grpc::Status s = stub().GetPublicKey(AuthedContext(token).get(), req, &resp);
    EXPECT_NE(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << handle;
  }
  req.set_handle("quinn");
  auto ctx = AuthedContext(token);
  grpc::Status s = stub().GetPublicKey(ctx.get(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(s.error_message(), HasSubstr("retry in"));
  auto it = ctx->GetServerTrailingMetadata().find("retry-after-ms");
  ASSERT_NE(it, ctx->GetServerTrailingMetadata().end());
  int64_t ms = 0;
  ASSERT_TRUE(absl::SimpleAtoi(std::string(it->second.data(), it->second.size()), &ms));
  EXPECT_GT(ms, 0);
  EXPECT_LE(ms, 60000);
  // The bucket refills: one lookup per 20 s at 3 per minute.
  svc_->clock().Advance(absl::Seconds(21));
  EXPECT_TRUE(stub().GetPublicKey(AuthedContext(token).get(), req, &resp).ok());
}

TEST_F(AccountsServiceTest, OversizedIdentifiersAreRefusedQuicklyWithAShortMessage) {
  // 10 MB is over the service's 64 KiB request size (RESOURCE_EXHAUSTED from gRPC);
  // 60 KB fits in a request and is refused by the field's own bound.
  for (const size_t size : {size_t{10} << 20, size_t{60} << 10}) {
    const std::string huge(size, 'h');
    const grpc::StatusCode want = size > (64 << 10) ? grpc::StatusCode::RESOURCE_EXHAUSTED
                                                    : grpc::StatusCode::INVALID_ARGUMENT;
    auto expect_short_refusal = [&](const grpc::Status& s, absl::Time start) {
      EXPECT_EQ(s.error_code(), want) << size << ": " << s.error_message().substr(0, 200);
      EXPECT_LE(s.error_message().size(), 256u);
      EXPECT_LT(absl::Now() - start, absl::Seconds(2));
    };
    absl::Time start = absl::Now();
    expect_short_refusal(Login(huge, std::string(32, 'k')), start);
    static int n = 0;
    const std::string handle = "quinn" + std::to_string(n++);
    NewAccount me = Registered(handle);
    v1::LoginResponse login;
    ASSERT_TRUE(Login(handle, me.auth_key, &login).ok());
    v1::RevokeSessionRequest revoke;
    revoke.set_session_id(huge);
    v1::RevokeSessionResponse revoked;
    start = absl::Now();
    expect_short_refusal(
        stub().RevokeSession(AuthedContext(login.tokens().access_token()).get(), revoke, &revoked),
        start);
    v1::GetPublicKeyRequest pk;
    pk.set_handle(huge);
    v1::GetPublicKeyResponse pkr;
    start = absl::Now();
    expect_short_refusal(
        stub().GetPublicKey(AuthedContext(login.tokens().access_token()).get(), pk, &pkr), start);
  }
}

TEST_F(AccountsServiceTest, InternalRpcsAcceptOnlyTheCoordinatorCertificateWithTls) {
  if (!freehold::testing::TestPki::Available()) GTEST_SKIP() << "no openssl command";
  freehold::testing::TestPki pki;
  svc_.reset();
  StackConfig config;
  config.tls = pki.Issue("accounts", kRoleAccounts, "a1");
  StartService(config);
  v1::ListDeletedAccountsRequest req;
  v1::ListDeletedAccountsResponse resp;
  // A CLI-like caller: TLS, but no client certificate.
  grpc::Status cli = stub().ListDeletedAccounts(PlainContext().get(), req, &resp);
  EXPECT_EQ(cli.error_code(), grpc::StatusCode::UNAUTHENTICATED) << cli.error_message();
  v1::AckDeletedAccountsRequest ack;
  v1::AckDeletedAccountsResponse ack_resp;
  EXPECT_EQ(stub().AckDeletedAccounts(PlainContext().get(), ack, &ack_resp).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);

  auto stub_as = [&](const char* name, std::string_view role, const std::string& id) {
    ClientTlsOptions tls = pki.Issue(name, role, id).Client();
    absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = MakeChannel(svc_->address(), tls);
    EXPECT_TRUE(channel.ok()) << channel.status();
    return v1::Accounts::NewStub(*channel);
  };
  // Another service's certificate is not enough.
  grpc::Status storaged = stub_as("node", kRoleStoraged, "n1")
                              ->ListDeletedAccounts(PlainContext().get(), req, &resp);
  EXPECT_EQ(storaged.error_code(), grpc::StatusCode::PERMISSION_DENIED)
      << storaged.error_message();
  // The coordinator's certificate is.
  auto coordinator = stub_as("coordinator", kRoleCoordinator, "c1");
  grpc::Status ok = coordinator->ListDeletedAccounts(PlainContext().get(), req, &resp);
  EXPECT_TRUE(ok.ok()) << ok.error_message();
  req.set_after_sequence(-1);
  EXPECT_EQ(coordinator->ListDeletedAccounts(PlainContext().get(), req, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(AccountsServiceTest, InternalRpcsAreAllowedFromLoopbackWithoutTls) {
  // Development mode: the plaintext server the fixture starts on 127.0.0.1.
  v1::ListDeletedAccountsRequest req;
  v1::ListDeletedAccountsResponse resp;
  EXPECT_TRUE(stub().ListDeletedAccounts(PlainContext().get(), req, &resp).ok());
}

}  // namespace
}  // namespace freehold::accounts::testing
