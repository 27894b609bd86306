// The shared login throttle (services/accounts/pg/pg_login_throttle.h) against a real
// PostgreSQL: growing delays per handle-from-network and per network, two throttle
// objects (two replicas) on one database, and other networks never locked out.
#include <gtest/gtest.h>

#include "services/accounts/core/account_crypto.h"
#include "services/accounts/core/fair_use_limiter.h"
#include "services/accounts/pg/pg_account_repository.h"
#include "services/accounts/pg/pg_login_throttle.h"
#include "tests/support/postgres_harness.h"

namespace freehold::accounts {
namespace {

class LoginThrottleTest : public freehold::testing::PostgresTest {
 protected:
  void SetUp() override {
    PostgresTest::SetUp();
    if (HasFatalFailure()) return;
    pool_ = std::make_unique<PgPool>(AccountsPoolOptions(db_url(), 2));
    ASSERT_TRUE(MigrateAccountsSchema(*pool_).ok());
    absl::StatusOr<Pepper> p = Pepper::FromSecret(std::string(40, 'k'));
    ASSERT_TRUE(p.ok());
    pepper_ = std::make_unique<Pepper>(*p);
    config_.free_failures_per_handle = 2;
    config_.free_failures_per_network = 5;
    config_.base = absl::Seconds(1);
    config_.max = absl::Seconds(8);
    config_.memory = absl::Hours(1);
    a_ = std::make_unique<PgLoginThrottle>(*pool_, *pepper_, config_);
    b_ = std::make_unique<PgLoginThrottle>(*pool_, *pepper_, config_);
  }
  void TearDown() override {
    a_.reset();
    b_.reset();
    pool_.reset();
    PostgresTest::TearDown();
  }

  std::unique_ptr<PgPool> pool_;
  std::unique_ptr<Pepper> pepper_;
  LoginThrottleConfig config_;
  std::unique_ptr<PgLoginThrottle> a_, b_;
  const absl::Time t0_ = absl::FromUnixSeconds(1800000000);
};

TEST_F(LoginThrottleTest, DelaysGrowAcrossReplicasAndOtherNetworksAreNotLockedOut) {
  const std::string net1 = "198.51.100.7", net2 = "203.0.113.9";
  // Two free failures on replica A, then the third blocks for 1 s, the fourth for 2 s.
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(a_->RecordFailure("alice", net1, t0_).ok());
  absl::StatusOr<bool> ok = b_->Check("alice", net1, t0_);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_TRUE(*ok);  // failures on record
  ASSERT_TRUE(a_->RecordFailure("alice", net1, t0_).ok());
  absl::StatusOr<bool> blocked = b_->Check("alice", net1, t0_);  // the OTHER replica
  ASSERT_EQ(blocked.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(blocked.status().message().find("retry in 1000 ms"), std::string::npos)
      << blocked.status();
  EXPECT_EQ(RetryAfter(blocked.status()), absl::Seconds(1));
  EXPECT_TRUE(b_->Check("alice", net1, t0_ + absl::Seconds(1)).ok());
  ASSERT_TRUE(b_->RecordFailure("alice", net1, t0_ + absl::Seconds(1)).ok());
  EXPECT_EQ(RetryAfter(a_->Check("alice", net1, t0_ + absl::Seconds(1)).status()),
            absl::Seconds(2));

  // The same handle from another network, and another handle from net1, are free.
  absl::StatusOr<bool> other_net = a_->Check("alice", net2, t0_ + absl::Seconds(1));
  ASSERT_TRUE(other_net.ok()) << other_net.status();
  EXPECT_FALSE(*other_net);
  EXPECT_TRUE(a_->Check("bob", net1, t0_ + absl::Seconds(1)).ok());

  // Growing, capped at max (8 s), never a lockout; a success clears the handle's count.
  absl::Time t = t0_ + absl::Seconds(10);
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(a_->RecordFailure("alice", net1, t).ok());
  EXPECT_EQ(RetryAfter(a_->Check("alice", net1, t).status()), absl::Seconds(8));
  ASSERT_TRUE(a_->RecordSuccess("alice", net1).ok());
  // The network's own count (10 failures > 5 free) still blocks spraying from net1.
  absl::StatusOr<bool> spray = a_->Check("carol", net1, t);
  EXPECT_EQ(spray.status().code(), absl::StatusCode::kResourceExhausted);
  // Forgotten after the memory without failures.
  EXPECT_TRUE(a_->Check("carol", net1, t + absl::Hours(2)).ok());
}

TEST_F(LoginThrottleTest, ThrottleNetworkGroupsIpv6By64AndUnmapsIpv4) {
  EXPECT_EQ(ThrottleNetwork("192.0.2.1"), "192.0.2.1");
  EXPECT_EQ(ThrottleNetwork("::ffff:192.0.2.1"), "192.0.2.1");
  EXPECT_EQ(ThrottleNetwork("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
  EXPECT_EQ(ThrottleNetwork("2001:db8:1:2:bbbb::9"), "2001:db8:1:2::/64");
  EXPECT_NE(ThrottleNetwork("2001:db8:1:3::1"), ThrottleNetwork("2001:db8:1:2::1"));
  // A /64 is one network for the throttle: another address in it is blocked too.
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(a_->RecordFailure("dave", "2001:db8:1:2::1", t0_).ok());
  }
  EXPECT_EQ(a_->Check("dave", "2001:db8:1:2::ffff", t0_).status().code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(a_->Check("dave", "2001:db8:1:3::1", t0_).ok());
}

}  // namespace
}  // namespace freehold::accounts
