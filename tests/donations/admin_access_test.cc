// AdminAuthorizer: operator tokens from freehold-accounts, verified offline.
#include "services/donations/core/admin_access.h"

#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "tests/donations/donations_test_support.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace freehold::donations::testing {
namespace {

using ::testing::HasSubstr;

class AdminAccessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(SigningKey key, GenerateSigningKey("acct-1"));
    signer_ = std::make_unique<TokenSigner>(key);
    ASSERT_OK_AND_ASSIGN(SigningKey other, GenerateSigningKey("acct-1"));
    impostor_ = std::make_unique<TokenSigner>(other);
  }
  std::string Bearer(const TokenSigner& signer, const AccessTokenSpec& spec) {
    return "Bearer " + AccessToken(signer, clock_.Now(), spec);
  }
  AccessTokenSpec Admin() {
    AccessTokenSpec spec;
    spec.scopes = {"accounts", "storage", "donations:admin"};
    return spec;
  }

  FakeClock clock_{absl::FromUnixSeconds(kNow)};
  std::unique_ptr<TokenSigner> signer_;
  std::unique_ptr<TokenSigner> impostor_;
};

TEST_F(AdminAccessTest, AcceptsAccountsTokenWithTheAdminScope) {
  AdminAuthorizer admin({signer_->public_key()}, clock_);
  AccessTokenSpec spec = Admin();
  ASSERT_OK_AND_ASSIGN(AdminCaller caller, admin.Authorize(Bearer(*signer_, spec)));
  EXPECT_EQ(caller.account_id, spec.subject);
  EXPECT_FALSE(caller.token_id.empty());
  // The scheme is case-insensitive, surrounding blanks are ignored.
  EXPECT_OK(admin.Authorize("  bearer " + AccessToken(*signer_, clock_.Now(), spec) + " "));
}

TEST_F(AdminAccessTest, TokenWithoutTheScopeIsPermissionDenied) {
  AdminAuthorizer admin({signer_->public_key()}, clock_);
  absl::StatusOr<AdminCaller> r = admin.Authorize(Bearer(*signer_, AccessTokenSpec{}));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(r.status().message(), HasSubstr("donations:admin"));
  AccessTokenSpec near_miss = Admin();
  near_miss.scopes = {"admin", "donations", "donations:admin2"};
  EXPECT_EQ(admin.Authorize(Bearer(*signer_, near_miss)).status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(AdminAccessTest, MissingMalformedForgedExpiredOrMisaddressedTokensAreUnauthenticated) {
  AdminAuthorizer admin({signer_->public_key()}, clock_);
  const std::string good = AccessToken(*signer_, clock_.Now(), Admin());
  for (const std::string& header :
       {std::string(), std::string("   "), "Basic " + good, good, std::string("Bearer "),
        std::string("Bearer not.a.token"), Bearer(*impostor_, Admin()),
        "Bearer " + good.substr(0, good.size() - 2) + (good.back() == 'A' ? "BB" : "AA")}) {
    absl::StatusOr<AdminCaller> r = admin.Authorize(header);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kUnauthenticated) << header;
    if (header.size() > 20) {
      EXPECT_FALSE(absl::StrContains(r.status().message(), header.substr(7)));
    }
  }
  AccessTokenSpec other_audience = Admin();
  other_audience.audience = "coordinator";
  EXPECT_EQ(admin.Authorize(Bearer(*signer_, other_audience)).status().code(),
            absl::StatusCode::kUnauthenticated);
  AccessTokenSpec not_an_account = Admin();
  not_an_account.subject = "node-7";
  EXPECT_EQ(admin.Authorize(Bearer(*signer_, not_an_account)).status().code(),
            absl::StatusCode::kUnauthenticated);

  const std::string expiring = "Bearer " + AccessToken(*signer_, clock_.Now(), Admin());
  EXPECT_OK(admin.Authorize(expiring));
  clock_.Advance(absl::Minutes(16));
  absl::StatusOr<AdminCaller> expired = admin.Authorize(expiring);
  EXPECT_EQ(expired.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(expired.status().message(), HasSubstr("expired"));
}

TEST_F(AdminAccessTest, WithoutKeysOperatorCallsAreOffAndSayWhichFlag) {
  AdminAuthorizer off(clock_);
  EXPECT_FALSE(off.enabled());
  EXPECT_OK(off.Reload());
  absl::StatusOr<AdminCaller> r = off.Authorize(Bearer(*signer_, Admin()));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(r.status().message(), HasSubstr("--accounts-keys"));
  EXPECT_EQ(off.Authorize("").status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(AdminAccessTest, KeyFileIsReloadedWhenAccountsRotates) {
  freehold::testing::TempDir dir("donations-admin-");
  const std::string path = dir.WriteFile(
      "accounts.pub", "# accounts keys\n" + AccountsKeysText({signer_->public_key()}));
  AdminAuthorizer admin(path, clock_);
  ASSERT_OK(admin.Reload());
  EXPECT_OK(admin.Authorize(Bearer(*signer_, Admin())));

  ASSERT_OK_AND_ASSIGN(SigningKey next_key, GenerateSigningKey("acct-2"));
  TokenSigner next(next_key);
  EXPECT_EQ(admin.Authorize(Bearer(next, Admin())).status().code(),
            absl::StatusCode::kUnauthenticated);
  dir.WriteFile("accounts.pub", AccountsKeysText({next.public_key(), signer_->public_key()}));
  ASSERT_OK(admin.Reload());
  EXPECT_OK(admin.Authorize(Bearer(next, Admin())));
  EXPECT_OK(admin.Authorize(Bearer(*signer_, Admin())));

  // A broken file keeps the keys in use.
  dir.WriteFile("accounts.pub", "ed25519 acct-3 not-base64\n");
  absl::Status broken = admin.Reload();
  EXPECT_EQ(broken.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(broken.message(), HasSubstr("line 1"));
  EXPECT_OK(admin.Authorize(Bearer(next, Admin())));

  AdminAuthorizer missing(dir.File("nope.pub"), clock_);
  EXPECT_EQ(missing.Reload().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(missing.Authorize(Bearer(next, Admin())).status().code(),
            absl::StatusCode::kUnavailable);
}

TEST_F(AdminAccessTest, ParsesTheBriefKeyFileFormatAndNamesBadLines) {
  const std::string text = AccountsKeysText({signer_->public_key()});
  ASSERT_OK_AND_ASSIGN(std::vector<PublicKey> keys, ParseAccountsKeys(text, "keys.pub"));
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].key_id, "acct-1");
  EXPECT_EQ(keys[0].key, signer_->public_key().key);

  struct Bad {
    std::string text;
    std::string want;
  };
  for (const Bad& bad : std::vector<Bad>{
           {"", "no keys"},
           {"# only a comment\n\n", "no keys"},
           {"\n" + text + "ed25519 acct-2\n", "line 3"},
           {"rsa acct-2 AAAA\n", "unknown key type"},
           {"ed25519 bad/id AAAA\n", "bad key id"},
           {"ed25519 acct-2 QUFBQQ==\n", "32 bytes"},
       }) {
    absl::StatusOr<std::vector<PublicKey>> r = ParseAccountsKeys(bad.text, "keys.pub");
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << bad.text;
    EXPECT_THAT(r.status().message(), HasSubstr(bad.want)) << bad.text;
    EXPECT_THAT(r.status().message(), HasSubstr("keys.pub"));
  }
}

}  // namespace
}  // namespace freehold::donations::testing
