// Abandoned accounts against the real freehold-accounts binary with a lifecycle of
// seconds (--inactivity-silence 3s, grace 1s, trash retention 1s, maintenance every
// 200 ms): a silent account is collected into the deletion outbox the coordinator
// consumes, one that keeps logging in is not, and GetLifecycleReport counts it.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "tests/accounts/accounts_process_fixture.h"
#include "tests/accounts/accounts_test_support.h"

namespace freehold::accounts::testing {
namespace {

TEST_F(AccountsProcessTest, SilentAccountIsCollectedByTheRunningService) {
  Start({"--inactivity-silence", "3s", "--inactivity-grace", "1s",
         "--inactivity-trash-retention", "1s", "--maintenance-interval", "200ms"});
  if (HasFatalFailure()) return;
  ASSERT_OK_AND_ASSIGN(NewAccount gone, MakeAccount("gone", "pw gone"));
  ASSERT_OK_AND_ASSIGN(std::string gone_id, RegisterAccount(*stub_, gone));
  ASSERT_OK_AND_ASSIGN(NewAccount kept, MakeAccount("kept", "pw kept"));
  ASSERT_OK(RegisterAccount(*stub_, kept).status());

  // kept logs in every 200 ms (its lease is written at most every 0.3 s); gone is silent.
  bool collected = false;
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (!collected && absl::Now() < deadline) {
    ASSERT_OK(LoginWithPassword(*stub_, "kept", "pw kept").status());
    v1::ListDeletedAccountsResponse deleted;
    ASSERT_TRUE(stub_->ListDeletedAccounts(PlainContext().get(), {}, &deleted).ok());
    for (const auto& a : deleted.accounts()) {
      EXPECT_EQ(a.account_id(), gone_id);  // never kept
      collected |= a.account_id() == gone_id;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ASSERT_TRUE(collected) << proc_->ReadStderr();
  EXPECT_FALSE(LoginWithPassword(*stub_, "gone", "pw gone").ok());
  ASSERT_OK(LoginWithPassword(*stub_, "kept", "pw kept").status());

  v1::GetLifecycleReportResponse report;
  ASSERT_TRUE(stub_->GetLifecycleReport(PlainContext().get(), {}, &report).ok());
  EXPECT_TRUE(report.enabled());
  EXPECT_EQ(report.silence_seconds(), 3);
  EXPECT_EQ(report.warned_total(), 1);
  EXPECT_EQ(report.trashed_total(), 1);
  EXPECT_EQ(report.collected_total(), 1);
  EXPECT_EQ(report.warned_now() + report.trashed_now(), 0);
}

}  // namespace
}  // namespace freehold::accounts::testing
