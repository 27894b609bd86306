// Domain types of the donations service: provider events (what a payment processor
// told us) and ledger entries (what we recorded). No gRPC, no database.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace freehold::donations {

// HTTP-style headers as received (names compared case-insensitively).
using Headers = std::vector<std::pair<std::string, std::string>>;

// Value of the first header named `name` (case-insensitive), or nullopt.
std::optional<absl::string_view> FindHeader(const Headers& headers, absl::string_view name);

enum class EntryKind { kOneOff, kRecurring, kRefund, kChargeback };

// "one_off", "recurring", "refund", "chargeback" (the database and CSV spelling).
absl::string_view EntryKindName(EntryKind kind);
absl::StatusOr<EntryKind> ParseEntryKind(absl::string_view name);
inline bool IsReversal(EntryKind kind) {
  return kind == EntryKind::kRefund || kind == EntryKind::kChargeback;
}

// One row of the append-only ledger. Reversals have a negative amount and link to the
// payment they reverse; they inherit its campaign, pledge, donor and payment_ref.
struct LedgerEntry {
  std::string entry_id;  // UUID text
  absl::Time at;         // when the provider says it happened
  EntryKind kind = EntryKind::kOneOff;
  int64_t amount_minor = 0;  // original currency, negative for reversals
  std::string currency;      // ISO 4217
  std::string rate_to_base;  // decimal string recorded at entry time
  int64_t base_amount_minor = 0;
  std::string campaign_id;        // may be empty
  std::string pledge_id;          // may be empty; non-empty iff recurring (or its reversal)
  std::string donor_id;           // pseudonymous donor reference; empty if anonymous
  std::string reverses_entry_id;  // reversals only
  std::string provider;
  std::string provider_event_id;
  std::string payment_ref;  // provider's payment id (links reversals to payments)
};

// What a provider event means to us.
enum class EventKind {
  kPayment,           // one-off payment succeeded
  kRecurringPayment,  // a pledge's periodic payment succeeded
  kRefund,            // (partial) refund of a payment
  kDispute,           // dispute closed (lost = chargeback)
  kPledgeCreated,
  kPledgeCancelled,
  kUnknown,  // stored for review and acknowledged
};

// "payment", "recurring_payment", "refund", "dispute", "pledge_created",
// "pledge_cancelled", "unknown": the `kind` label of the metrics.
absl::string_view EventKindName(EventKind kind);

// Personal data of a donor, as the provider gave it. Empty for anonymous donations.
struct DonorInfo {
  std::string customer_ref;  // provider's customer id
  std::string name;
  std::string email;
  bool identified() const { return !customer_ref.empty() || !email.empty(); }
};

struct PledgeInfo {
  std::string pledge_id;     // provider subscription id
  int64_t amount_minor = 0;  // per interval
  std::string currency;
  std::string interval;  // "day", "week", "month" or "year"
  int interval_count = 1;
  absl::Time created_at;
  std::optional<absl::Time> cancelled_at;
  std::string campaign_id;
  // The donor the pledge belongs to (set by the ledger rules from the event's donor
  // reference); empty if unknown.
  std::string donor_id;
};

// A verified, parsed provider event. Fields not relevant to `kind` stay empty.
struct ProviderEvent {
  std::string provider;
  std::string event_id;  // idempotency key, unique per provider
  std::string type;      // provider's own type name ("payment_intent.succeeded")
  EventKind kind = EventKind::kUnknown;
  absl::Time occurred_at;

  // Payments, refunds, disputes.
  std::string payment_ref;
  std::string currency;
  // Payment: amount received. Refund: cumulative amount refunded on the payment so far
  // (providers report the running total, which makes refunds order-independent).
  // Dispute: disputed amount.
  int64_t amount_minor = 0;
  bool dispute_lost = false;
  // Acknowledged and remembered as seen, but no ledger effect (e.g. a PaymentIntent
  // that belongs to an invoice, which invoice.paid records).
  bool informational = false;
  std::string campaign_id;
  std::string pledge_id;
  bool anonymous = false;
  DonorInfo donor;  // empty when anonymous
  // A donation intent's donor reference (metadata "donor_ref", DonationIntents): the
  // payment or pledge belongs to that intent's donor. Empty if absent or malformed.
  std::string donor_ref;

  PledgeInfo pledge;  // kPledgeCreated / kPledgeCancelled
};

// A refund or dispute that arrived before its payment.
struct ParkedReversal {
  std::string provider;
  std::string event_id;
  std::string payment_ref;
  EventKind kind = EventKind::kRefund;  // kRefund or kDispute (lost)
  int64_t amount_minor = 0;
  std::string currency;
  absl::Time occurred_at;
};

// Random UUID (version 4) text.
std::string NewUuid();
// True if `text` is a canonical lower/upper-case UUID.
bool IsUuid(absl::string_view text);

}  // namespace freehold::donations
