// The read side over a real PostgreSQL: multi-currency totals, erasure, campaigns,
// pledges, receipts, export, the transparency page.
#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/donations/core/transparency_page.h"
#include "tests/donations/donations_test_support.h"
#include "tests/support/status_matchers.h"

namespace freehold::donations::testing {
namespace {

using freehold::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

class ReadSidePgTest : public DonationsPgTest {
 protected:
  void LoadRates() {
    ASSERT_OK_AND_ASSIGN(auto rows, ParseRatesCsv("USD,0.92,2024-01-01\n"
                                                  "USD,0.90,2024-03-10\n"
                                                  "JPY,0.00617,2024-01-01\n"
                                                  "KWD,2.98,2024-01-01\n",
                                                  "EUR"));
    ASSERT_OK(report_->SetExchangeRates(rows));
  }
};

TEST_F(ReadSidePgTest, MultiCurrencyTotalsUseTheRateAtEachEventTime) {
  LoadRates();
  // 2024-03-01: USD at 0.92; 2024-03-15 (now): USD at 0.90.
  const int64_t march1 = 1709251200;
  ASSERT_OK(Deliver(PaymentIntentSucceeded({.event_id = "evt_1",
                                            .payment_intent = "pi_1",
                                            .amount = 10000,
                                            .currency = "usd",
                                            .created = march1}),
                    kSecret, kNow));
  ASSERT_OK(Deliver(PaymentIntentSucceeded(
      {.event_id = "evt_2", .payment_intent = "pi_2", .amount = 10000, .currency = "usd"})));
  ASSERT_OK(Deliver(PaymentIntentSucceeded(
      {.event_id = "evt_3", .payment_intent = "pi_3", .amount = 1000, .currency = "jpy"})));
  ASSERT_OK(Deliver(PaymentIntentSucceeded(
      {.event_id = "evt_4", .payment_intent = "pi_4", .amount = 5120, .currency = "kwd"})));
  ASSERT_OK(Deliver(PaymentIntentSucceeded(
      {.event_id = "evt_5", .payment_intent = "pi_5", .amount = 1999, .currency = "eur"})));
  ASSERT_OK(Deliver(ChargeRefunded("evt_6", "pi_5", 1999, 999, "eur")));
  // 9200 + 9000 + 617 + 1526 + 1999 - 999 = 21343
  ASSERT_OK_AND_ASSIGN(FundingSummary s, report_->Summary(0));
  EXPECT_EQ(s.base_currency, "EUR");
  EXPECT_EQ(s.balance_base_minor, 21343);
  EXPECT_EQ(s.this_month_net_base_minor, 21343);
  ASSERT_EQ(s.months.size(), 4u);  // one row per currency in 2024-03
  for (const MonthTotal& m : s.months) {
    EXPECT_EQ(m.month, "2024-03");
    if (m.currency == "USD") {
      EXPECT_EQ(m.gross_minor, 20000);
      EXPECT_EQ(m.net_base_minor, 18200);
    } else if (m.currency == "EUR") {
      EXPECT_EQ(m.gross_minor, 1999);
      EXPECT_EQ(m.reversed_minor, 999);
      EXPECT_EQ(m.net_minor, 1000);
    } else if (m.currency == "JPY") {
      EXPECT_EQ(m.net_base_minor, 617);
    } else {
      EXPECT_EQ(m.currency, "KWD");
      EXPECT_EQ(m.net_base_minor, 1526);
    }
  }
  EXPECT_EQ(s.donor_count, 5u);  // five anonymous payments, counted not listed
  DonationMetrics& m = *metrics_;
  ASSERT_OK(report_->RefreshGauges(m));
  EXPECT_EQ(Metric("freehold_donations_ledger_balance_base", {}), 21343);
  EXPECT_EQ(
      Metric("freehold_donations_received_base_total", {{"kind", "one_off"}, {"currency", "USD"}}),
      18200);
}

TEST_F(ReadSidePgTest, ErasingADonorKeepsTheLedgerAndTotals) {
  ASSERT_OK_AND_ASSIGN(IngestResponse r,
                       Deliver(PaymentIntentSucceeded({.event_id = "evt_e",
                                                       .payment_intent = "pi_e",
                                                       .amount = 4200,
                                                       .metadata = {{"donor_name", "Grace Hopper"}},
                                                       .customer = "cus_grace",
                                                       .receipt_email = "grace@example.org"})));
  ASSERT_OK(Deliver(PaymentIntentSucceeded(
      {.event_id = "evt_e2", .payment_intent = "pi_e2", .amount = 800, .customer = "cus_grace"})));
  ASSERT_OK_AND_ASSIGN(FundingSummary before, report_->Summary(0));
  EXPECT_EQ(before.donor_count, 1u);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.donor_personal WHERE name = 'Grace Hopper'"),
            1);
  const std::string ledger_before = QueryText(
      "SELECT string_agg(entry_id::text || amount_minor::text || coalesce(donor_id::text, ''), ',' "
      "ORDER BY seq) FROM donations.ledger");

  ASSERT_OK(portal_->Erase(r.donor_token));
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.donor_personal"), 0);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.ledger l JOIN donations.donors d "
                     "USING (donor_id)"),
            2);
  ASSERT_OK_AND_ASSIGN(FundingSummary after, report_->Summary(0));
  EXPECT_EQ(after.balance_base_minor, before.balance_base_minor);
  EXPECT_EQ(after.this_month_net_base_minor, before.this_month_net_base_minor);
  EXPECT_EQ(after.donor_count, before.donor_count);
  EXPECT_EQ(
      QueryText(
          "SELECT string_agg(entry_id::text || amount_minor::text || coalesce(donor_id::text, ''), "
          "',' ORDER BY seq) FROM donations.ledger"),
      ledger_before);
  // The donor can still list donations; receipts no longer carry the name.
  ASSERT_OK_AND_ASSIGN(auto mine, portal_->ListMyDonations(r.donor_token, {}));
  EXPECT_EQ(mine.size(), 2u);
  ASSERT_OK_AND_ASSIGN(Receipt receipt, portal_->GetReceipt(r.donor_token, mine[0].entry_id));
  EXPECT_THAT(receipt.text, Not(HasSubstr("Grace")));
  // Erasing twice is fine.
  EXPECT_OK(portal_->Erase(r.donor_token));
}

TEST_F(ReadSidePgTest, AnonymousDonationsStoreNoPersonalData) {
  ASSERT_OK_AND_ASSIGN(IngestResponse r,
                       Deliver(PaymentIntentSucceeded(
                           {.event_id = "evt_anon",
                            .payment_intent = "pi_anon",
                            .amount = 500,
                            .metadata = {{"anonymous", "true"}, {"donor_name", "Secret Person"}},
                            .customer = "cus_anon",
                            .receipt_email = "anon@example.org"})));
  EXPECT_TRUE(r.donor_token.empty());
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.donor_personal"), 0);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.donors"), 0);
  EXPECT_EQ(QueryText("SELECT coalesce(donor_id::text, 'none') FROM donations.ledger"), "none");
  EXPECT_EQ(QueryInt("SELECT count(*) FROM donations.ledger WHERE "
                     "provider_event_id || payment_ref LIKE '%anon@%'"),
            0);
}

TEST_F(ReadSidePgTest, ReceiptsAreSignedAndOnlyForTheirDonor) {
  LoadRates();
  ASSERT_OK_AND_ASSIGN(IngestResponse a,
                       Deliver(PaymentIntentSucceeded({.event_id = "evt_ra",
                                                       .payment_intent = "pi_ra",
                                                       .amount = 5120,
                                                       .currency = "kwd",
                                                       .metadata = {{"donor_name", "Ada"}},
                                                       .customer = "cus_ra"})));
  ASSERT_OK_AND_ASSIGN(
      IngestResponse b,
      Deliver(PaymentIntentSucceeded(
          {.event_id = "evt_rb", .payment_intent = "pi_rb", .amount = 100, .customer = "cus_rb"})));
  ASSERT_OK_AND_ASSIGN(auto mine, portal_->ListMyDonations(a.donor_token, {}));
  ASSERT_EQ(mine.size(), 1u);
  EXPECT_EQ(mine[0].amount_minor, 5120);
  ASSERT_OK_AND_ASSIGN(Receipt receipt, portal_->GetReceipt(a.donor_token, mine[0].entry_id));
  EXPECT_THAT(receipt.text, HasSubstr("Amount: 5.120 KWD"));
  EXPECT_THAT(receipt.text, HasSubstr("Amount in EUR: 15.26 EUR"));
  EXPECT_THAT(receipt.text, HasSubstr("Donor: Ada"));
  TokenVerifier verifier({signer_->public_key()});
  ASSERT_OK_AND_ASSIGN(std::string signed_text,
                       verifier.Verify(receipt.signature, kReceiptContext));
  EXPECT_EQ(signed_text, receipt.text);
  EXPECT_FALSE(verifier.Verify(receipt.signature, "access").ok());

  EXPECT_THAT(portal_->GetReceipt(b.donor_token, mine[0].entry_id),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(portal_->ListMyDonations("fhd_" + std::string(43, 'A'), {}),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(portal_->ListMyDonations("", {}), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(portal_->Erase("garbage"), StatusIs(absl::StatusCode::kUnauthenticated));
  // A second payment by the same customer gets a new token for the same donor.
  ASSERT_OK_AND_ASSIGN(IngestResponse a2,
                       Deliver(PaymentIntentSucceeded({.event_id = "evt_ra2",
                                                       .payment_intent = "pi_ra2",
                                                       .amount = 100,
                                                       .customer = "cus_ra"})));
  EXPECT_NE(a2.donor_token, a.donor_token);
  ASSERT_OK_AND_ASSIGN(auto mine2, portal_->ListMyDonations(a2.donor_token, {}));
  EXPECT_EQ(mine2.size(), 2u);
}

TEST_F(ReadSidePgTest, CampaignProgressFollowsTheLedger) {
  ASSERT_OK_AND_ASSIGN(Campaign c,
                       campaigns_->Create({.title = "New disks",
                                           .description = "Two more storage nodes",
                                           .goal_base_minor = 100000,
                                           .start = absl::FromUnixSeconds(kNow - 86400),
                                           .end = absl::FromUnixSeconds(kNow + 86400 * 30)}));
  clock_.Advance(absl::Seconds(1));  // creation order decides listing order
  ASSERT_OK(campaigns_->Create({.title = "Over",
                                .goal_base_minor = 5,
                                .start = absl::FromUnixSeconds(kNow - 10 * 86400),
                                .end = absl::FromUnixSeconds(kNow - 86400)}));
  ASSERT_OK(Deliver(PaymentIntentSucceeded({.event_id = "evt_c1",
                                            .payment_intent = "pi_c1",
                                            .amount = 30000,
                                            .metadata = {{"campaign_id", c.campaign_id}}})));
  ASSERT_OK(Deliver(PaymentIntentSucceeded({.event_id = "evt_c2",
                                            .payment_intent = "pi_c2",
                                            .amount = 20000,
                                            .metadata = {{"campaign_id", c.campaign_id}}})));
  ASSERT_OK(Deliver(ChargeRefunded("evt_c3", "pi_c2", 20000, 5000, "eur")));
  ASSERT_OK(Deliver(PaymentIntentSucceeded({.event_id = "evt_c4",
                                            .payment_intent = "pi_c4",
                                            .amount = 999,
                                            .metadata = {{"campaign_id", "junk"}}})));
  ASSERT_OK_AND_ASSIGN(Campaign got, campaigns_->Get(c.campaign_id));
  EXPECT_EQ(got.raised_base_minor, 45000);
  EXPECT_EQ(got.donations, 2u);
  EXPECT_DOUBLE_EQ(CampaignBook::Progress(got), 0.45);
  ASSERT_OK_AND_ASSIGN(auto live, campaigns_->List(true, {}));
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(live[0].title, "New disks");
  ASSERT_OK_AND_ASSIGN(auto all, campaigns_->List(false, {}));
  EXPECT_EQ(all.size(), 2u);
  ASSERT_OK_AND_ASSIGN(auto page, campaigns_->List(false, {.offset = 1, .limit = 1}));
  ASSERT_EQ(page.size(), 1u);
  EXPECT_EQ(page[0].title, "Over");

  EXPECT_THAT(campaigns_->Create({.title = "", .goal_base_minor = 1}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("title")));
  EXPECT_THAT(campaigns_->Create({.title = "x", .goal_base_minor = 0}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("goal_base_minor")));
  EXPECT_THAT(campaigns_->Get("2b1e3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(campaigns_->Get("nope"), StatusIs(absl::StatusCode::kInvalidArgument));

  // The transparency page shows it, with no personal data and no script.
  monthly_cost_ = 80000;
  ASSERT_OK_AND_ASSIGN(TransparencyData data, report_->Transparency());
  const std::string html = RenderTransparencyPage(data);
  EXPECT_THAT(html, HasSubstr("New disks"));
  EXPECT_THAT(html, HasSubstr("Raised 450.00 EUR of 1000.00 EUR (45%)"));
  EXPECT_THAT(html, HasSubstr("Donations this month: <strong id=\"donations\">459.99 EUR"));
  EXPECT_THAT(html, HasSubstr("800.00 EUR"));
  EXPECT_THAT(html, HasSubstr("cover 57%"));
  EXPECT_THAT(html, Not(HasSubstr("<script")));
  EXPECT_THAT(html, Not(HasSubstr("Over<")));
}

// Issue 22: the abuse counts (coordinator) and account-lifecycle counts (accounts)
// appear on the page once their sources answered, and never before.
TEST_F(ReadSidePgTest, ThePageShowsAbuseAndLifecycleCountsOnceKnown) {
  ASSERT_OK_AND_ASSIGN(TransparencyData none, report_->Transparency());
  const std::string before = RenderTransparencyPage(none);
  EXPECT_THAT(before, Not(HasSubstr("id=\"abuse\"")));
  EXPECT_THAT(before, Not(HasSubstr("id=\"lifecycle\"")));
  report_->SetAccountabilityFigures([] {
    return AccountabilityFigures{AbuseFigures{12, 3, 1}, LifecycleFigures{true, 5, 2, 1, 4}};
  });
  ASSERT_OK_AND_ASSIGN(TransparencyData data, report_->Transparency());
  const std::string html = RenderTransparencyPage(data);
  EXPECT_THAT(html, HasSubstr("<strong id=\"abuse-reports\">12</strong>"));
  EXPECT_THAT(html, HasSubstr("<strong id=\"links-disabled\">3</strong>"));
  EXPECT_THAT(html, HasSubstr("<strong id=\"authority-requests\">1</strong>"));
  EXPECT_THAT(html, HasSubstr("nothing is scanned"));
  EXPECT_THAT(html, HasSubstr("<strong id=\"accounts-warned\">5</strong>"));
  EXPECT_THAT(html, HasSubstr("<strong id=\"accounts-trashed\">2</strong>"));
  EXPECT_THAT(html, HasSubstr("<strong id=\"accounts-collected\">1</strong>"));
  EXPECT_THAT(html, HasSubstr("<strong id=\"accounts-renewed\">4</strong>"));
  // Only one source known: only its section.
  report_->SetAccountabilityFigures(
      [] { return AccountabilityFigures{std::nullopt, LifecycleFigures{false, 0, 0, 0, 0}}; });
  ASSERT_OK_AND_ASSIGN(data, report_->Transparency());
  const std::string partial = RenderTransparencyPage(data);
  EXPECT_THAT(partial, Not(HasSubstr("id=\"abuse\"")));
  EXPECT_THAT(partial, HasSubstr("the lifecycle is off"));
}

// Issue 23 (donated disks): the coordinator's in-kind figures get their own line,
// separate from the money donations; absent while the coordinator's figures are unknown.
TEST_F(ReadSidePgTest, ThePageShowsDonatedDisksApartFromMoney) {
  TransparencyData data;
  data.base_currency = "EUR";
  data.month = "2026-12";
  data.this_month_net_base_minor = 2500;
  data.monthly_cost_base_minor = 10000;
  EXPECT_THAT(RenderTransparencyPage(data), Not(HasSubstr("id=\"donated-disks\"")));
  StorageFigures s;
  s.currency = "EUR";
  s.monthly_cost_base_minor = 10000;
  s.inkind_nodes = 3;
  s.inkind_raw_capacity_bytes = 12'500'000'000'000;  // 12.5 TB
  s.inkind_value_base_minor = 13642;
  data.storage = s;
  const std::string html = RenderTransparencyPage(data);
  EXPECT_THAT(html, HasSubstr("Donated disks: <strong id=\"donated-nodes\">3</strong> nodes, "
                              "<strong id=\"donated-capacity\">12.50 TB</strong>, worth "
                              "<strong id=\"donated-value\">136.42 EUR</strong>/month."));
  // The money line is untouched by the in-kind value.
  EXPECT_THAT(html, HasSubstr("<strong id=\"donations\">25.00 EUR</strong>"));
  s.inkind_nodes = 1;
  s.inkind_raw_capacity_bytes = 500'000'000'000;
  data.storage = s;
  EXPECT_THAT(RenderTransparencyPage(data),
              HasSubstr("<strong id=\"donated-nodes\">1</strong> node, "
                        "<strong id=\"donated-capacity\">500.00 GB</strong>"));
}

TEST_F(ReadSidePgTest, PledgesAndMonthlyRecurring) {
  LoadRates();
  ASSERT_OK(Deliver(
      SubscriptionEvent("customer.subscription.created", "evt_s1", "sub_1", 1000, "eur", "month")));
  ASSERT_OK(Deliver(
      SubscriptionEvent("customer.subscription.created", "evt_s2", "sub_2", 12000, "usd", "year")));
  // Cancellation that arrives before its creation stays cancelled.
  ASSERT_OK(Deliver(SubscriptionEvent("customer.subscription.deleted", "evt_s3d", "sub_3", 700,
                                      "eur", "month", 1, kNow - 100, kNow - 10)));
  ASSERT_OK(Deliver(SubscriptionEvent("customer.subscription.created", "evt_s3c", "sub_3", 700,
                                      "eur", "month", 1, kNow - 100)));
  ASSERT_OK_AND_ASSIGN(auto active, report_->ListPledges(true, {}));
  EXPECT_EQ(active.size(), 2u);
  ASSERT_OK_AND_ASSIGN(auto all, report_->ListPledges(false, {}));
  EXPECT_EQ(all.size(), 3u);
  // 10.00 EUR + 120.00 USD * 0.90 / 12 = 10.00 + 9.00
  ASSERT_OK_AND_ASSIGN(int64_t monthly, report_->MonthlyRecurringBase());
  EXPECT_EQ(monthly, 1900);
  ASSERT_OK(Deliver(InvoicePaid({.event_id = "evt_i1",
                                 .invoice_id = "in_1",
                                 .payment_intent = "pi_i1",
                                 .subscription = "sub_1",
                                 .amount_paid = 1000,
                                 .customer = "cus_sub_1",
                                 .customer_email = "sub1@example.org"})));
  ASSERT_OK_AND_ASSIGN(FundingSummary s, report_->Summary(3));
  EXPECT_EQ(s.monthly_recurring_base_minor, 1900);
  EXPECT_EQ(s.balance_base_minor, 1000);
  EXPECT_EQ(Metric("freehold_donations_received_total", {{"kind", "recurring"}}), 1);
}

TEST_F(ReadSidePgTest, ExportStreamsCsvBetweenTwoDates) {
  for (int i = 0; i < 7; ++i) {
    ASSERT_OK(Deliver(PaymentIntentSucceeded({.event_id = absl::StrCat("evt_x", i),
                                              .payment_intent = absl::StrCat("pi_x", i),
                                              .amount = 100 + i,
                                              .created = kNow - 1000 + i})));
  }
  std::vector<std::string> chunks;
  ASSERT_OK(report_->ExportCsv(absl::FromUnixSeconds(kNow - 999), absl::FromUnixSeconds(kNow - 994),
                               2, [&](const std::string& c) {
                                 chunks.push_back(c);
                                 return true;
                               }));
  std::string csv;
  for (const auto& c : chunks) csv += c;
  EXPECT_GE(chunks.size(), 3u);
  std::vector<std::string> lines = absl::StrSplit(csv, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 6u);  // header + i = 1..5
  EXPECT_TRUE(absl::StartsWith(lines[0], "entry_id,at,kind,amount_minor,currency"));
  EXPECT_THAT(lines[1], HasSubstr(",one_off,101,EUR,1,101,EUR,"));
  EXPECT_THAT(lines[5], HasSubstr(",one_off,105,EUR,"));
  EXPECT_THAT(report_->ExportCsv(absl::FromUnixSeconds(kNow), absl::FromUnixSeconds(kNow), 10,
                                 [](const std::string&) { return true; }),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("range")));
}

}  // namespace
}  // namespace freehold::donations::testing
