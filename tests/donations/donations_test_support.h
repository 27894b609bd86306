// Test helpers for the donations service: Stripe-shaped event builders, signing with
// Stripe's own npm package, and a fixture wiring the core over a fresh PostgreSQL.
#pragma once

#include <prometheus/registry.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/logging.h"
#include "common/pg.h"
#include "common/signed_token.h"
#include "services/donations/core/intake.h"
#include "services/donations/core/intake_batcher.h"
#include "services/donations/core/ledger_rules.h"
#include "services/donations/core/metrics.h"
#include "services/donations/core/read_side.h"
#include "services/donations/core/stripe_provider.h"
#include "services/donations/pg/pg_store.h"
#include "tests/support/postgres_harness.h"
#include "tests/support/process.h"

namespace freehold::donations::testing {

inline constexpr char kSecret[] = "whsec_test_current_0123456789abcdef";
inline constexpr char kOldSecret[] = "whsec_test_previous_fedcba9876543210";
// 2024-03-15T12:00:00Z: the fixture's clock start.
inline constexpr int64_t kNow = 1710504000;

// Stripe event JSON (only the fields Stripe documents and the service reads, plus a
// few it ignores, the way Stripe sends them).
struct PaymentSpec {
  std::string event_id;
  std::string payment_intent;
  int64_t amount = 0;
  std::string currency = "eur";
  int64_t created = kNow;
  std::map<std::string, std::string> metadata;
  std::string customer;       // "" = null
  std::string receipt_email;  // "" = null
};
std::string PaymentIntentSucceeded(const PaymentSpec& spec);

struct InvoiceSpec {
  std::string event_id;
  std::string invoice_id;
  std::string payment_intent;
  std::string subscription;
  int64_t amount_paid = 0;
  std::string currency = "eur";
  int64_t created = kNow;
  std::string customer;
  std::string customer_email;
  std::string customer_name;
};
std::string InvoicePaid(const InvoiceSpec& spec);

// The same payment of a subscription as a Stripe endpoint on API version 2025-03-31
// ("basil") or later reports it: the invoice has no payment_intent/charge/subscription
// (its payments are InvoicePayment objects in `payments`, the subscription is under
// `parent.subscription_details`), the PaymentIntent and the Charge no `invoice`.
std::string InvoicePaidBasil(const InvoiceSpec& spec);
std::string PaymentIntentSucceededBasil(const PaymentSpec& spec);
std::string ChargeSucceededBasil(const PaymentSpec& spec);

std::string ChargeRefunded(const std::string& event_id, const std::string& payment_intent,
                           int64_t amount, int64_t amount_refunded, const std::string& currency,
                           int64_t created = kNow);
std::string DisputeClosed(const std::string& event_id, const std::string& payment_intent,
                          int64_t amount, const std::string& currency, const std::string& status,
                          int64_t created = kNow);
std::string SubscriptionEvent(const std::string& type, const std::string& event_id,
                              const std::string& subscription, int64_t unit_amount,
                              const std::string& currency, const std::string& interval,
                              int64_t quantity = 1, int64_t created = kNow,
                              std::optional<int64_t> canceled_at = std::nullopt);
std::string GenericEvent(const std::string& event_id, const std::string& type);

// Signs with Stripe's npm package (tests/npm/node_modules/stripe) through
// tests/donations/stripe_sign.js. nullopt (with *why set) if node or the module is
// missing; callers GTEST_SKIP with that message.
std::optional<std::string> SignWithStripeNpm(const std::string& payload, const std::string& secret,
                                             int64_t timestamp, std::string* why);

// An access token shaped like the ones freehold-accounts issues (audience "freehold",
// subject = account UUID, 15 min), signed by `signer`.
struct AccessTokenSpec {
  std::vector<std::string> scopes = {"accounts", "storage"};
  std::string subject = "6f1c0f4e-2b7a-4d59-9a53-1f0e8c3b2d71";
  std::string audience = "freehold";
  absl::Duration lifetime = absl::Minutes(15);
};
std::string AccessToken(const TokenSigner& signer, absl::Time now, const AccessTokenSpec& spec);
// The accounts verification key file text for `keys` ("ed25519 <key_id> <base64>").
std::string AccountsKeysText(const std::vector<PublicKey>& keys);

// The addresses in freehold-donations' READY line.
struct Ready {
  std::string grpc, metrics, http;
};
// Polls the child's stdout (`stdout_path`) for the READY line (deadline-bounded).
absl::StatusOr<Ready> WaitForReady(freehold::testing::Process& p, const std::string& stdout_path,
                                   absl::Duration timeout);

// Runs a shell command, returns its stdout (and exit code in *exit_code).
std::string RunCommand(const std::string& command, int* exit_code);

// A payment_intent.succeeded for the fast intake (DonationStore::ApplyFast), no
// identified donor, at kNow; EUR is the base currency.
FastIntakeEvent FastPayment(const std::string& id, const std::string& ref, int64_t amount_minor,
                            const std::string& currency = "EUR");

// The donations core over a fresh database.
class DonationsPgTest : public freehold::testing::PostgresTest {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Delivers `body` signed with `secret` at `timestamp` (default: the clock's now).
  absl::StatusOr<IngestResponse> Deliver(const std::string& body,
                                         const std::string& secret = kSecret,
                                         std::optional<int64_t> timestamp = std::nullopt);
  // Runs a scalar SQL query (test-only).
  int64_t QueryInt(const std::string& sql);
  std::string QueryText(const std::string& sql);
  double Metric(const std::string& name, const std::map<std::string, std::string>& labels);

  // Builds intake_ (over store_) with or without group commit; SetUp uses the
  // production wiring (group commit on, default options, the store's concurrency).
  void MakeIntake(bool group_commit, std::optional<IntakeBatchOptions> options = std::nullopt);

  FakeClock clock_{absl::FromUnixSeconds(kNow)};
  std::unique_ptr<PgPool> pool_;
  std::unique_ptr<PgPool> one_statement_;
  // Copies journaled payments into the ledger (QueryInt/QueryText catch up first).
  std::unique_ptr<PgLedgerProjection> projection_;
  std::unique_ptr<PgDonationStore> store_;
  std::unique_ptr<IntakeBatcher> batcher_;
  std::unique_ptr<PgQueryStore> queries_;
  prometheus::Registry registry_;
  std::unique_ptr<DonationMetrics> metrics_;
  std::unique_ptr<LedgerRules> rules_;
  std::unique_ptr<StripeProvider> stripe_;
  std::unique_ptr<WebhookIntake> intake_;
  std::unique_ptr<TokenSigner> signer_;
  std::unique_ptr<CampaignBook> campaigns_;
  std::unique_ptr<FundingReport> report_;
  std::unique_ptr<DonorPortal> portal_;
  std::optional<int64_t> monthly_cost_;
  bool ready_ = false;
};

}  // namespace freehold::donations::testing
