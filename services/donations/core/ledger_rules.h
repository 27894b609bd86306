// The ledger rules: how a verified provider event changes the append-only ledger.
//
// - Idempotency: each (provider, event id) is applied once; later deliveries are
//   DUPLICATE (success).
// - A payment is recorded once per payment reference (several event types may report
//   the same payment), converted to the base currency with the rate that applies at
//   the event time.
// - Refunds and lost disputes are reversing entries (negative amounts) linked to the
//   payment. A reversal that arrives before its payment is parked and applied when the
//   payment arrives. Refund events carry the cumulative refunded amount, so a refund
//   entry is "cumulative - already refunded" (zero means nothing new). A reversal larger
//   than what remains of the payment is refused (FAILED_PRECONDITION).
// - Reversals use the payment's recorded rate, and their base amount is the change of
//   round(rate * total reversed), so any order of the same events gives the same
//   entries' totals in both currencies, and a full reversal nets to exactly zero.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "services/donations/core/store.h"
#include "services/donations/core/types.h"

namespace freehold::donations {

enum class IngestOutcome { kRecorded, kDuplicate, kParked, kStoredForReview };

// "recorded", "duplicate", "parked", "stored_for_review".
absl::string_view IngestOutcomeName(IngestOutcome outcome);

// The FAILED_PRECONDITION a payment gets when no exchange rate applies to its currency
// at its time (the intake parks such a payment whole: WebhookIntake), and its test.
absl::Status NoExchangeRateError(absl::string_view currency, absl::Time at);
bool IsNoExchangeRate(const absl::Status& status);

struct AppliedEvent {
  IngestOutcome outcome = IngestOutcome::kRecorded;
  std::vector<LedgerEntry> entries;  // appended by this event
  std::string donor_token;           // issued to the donor; empty if anonymous
  // Parked reversals that were taken when their payment arrived but refused by the
  // rules (the caller keeps them as dead letters).
  std::vector<std::pair<ParkedReversal, absl::Status>> refused_parked;
};

// An event prepared for the one-statement intake path (PrepareFast).
struct PreparedFastEvent {
  FastIntakeEvent event;
  std::string donor_token;  // handed to the donor if the payment is recorded; may be empty
};

class LedgerRules {
 public:
  // `base_currency` must be in the currency table.
  explicit LedgerRules(std::string base_currency);

  const std::string& base_currency() const { return base_currency_; }

  // Applies `event` within `txn`. Errors: FAILED_PRECONDITION for a refused rule
  // (reversal larger than what remains, currency mismatch, no exchange rate for the
  // event time), INVALID_ARGUMENT for inconsistent amounts, or the store's error.
  // On error the caller must roll the transaction back.
  absl::StatusOr<AppliedEvent> Apply(LedgerTxn& txn, const ProviderEvent& event,
                                     absl::string_view raw_body) const;

  // The one-statement form of Apply (DonationStore::ApplyFast) for the common events:
  // payments (one-off and recurring) and events that only need their idempotency
  // record (informational ones, zero amounts). Does everything Apply does in C++
  // (entry, kind, campaign, donor token); the store does the rest with the same rules
  // (pg/migrations/0002_one_statement_intake.sql). nullopt: the event needs Apply
  // (refunds, disputes, pledges, unknown kinds, amounts out of range, NUL characters).
  std::optional<PreparedFastEvent> PrepareFast(const ProviderEvent& event) const;
  // Appends `payment`, a payment entry complete with rate and base amount that was
  // journaled by the one-statement path (LedgerProjection) while reversals were parked
  // for it, and applies those reversals, exactly as Apply does for a payment arriving
  // after its reversals. Nothing if the payment is in the ledger already. Same errors
  // as Apply; refused reversals come back in refused_parked.
  absl::StatusOr<AppliedEvent> ApplyJournaledPayment(LedgerTxn& txn,
                                                     const LedgerEntry& payment) const;
  // What Apply would have returned, for an outcome other than kNeedsTransaction.
  static AppliedEvent FinishFast(const PreparedFastEvent& prepared,
                                 const FastIntakeOutcome& outcome);

 private:
  absl::Status ApplyPayment(LedgerTxn& txn, const ProviderEvent& event, AppliedEvent& out) const;
  // Appends a new payment entry and applies the reversals parked for it.
  absl::Status AppendPayment(LedgerTxn& txn, const LedgerEntry& entry, AppliedEvent& out) const;
  absl::Status ApplyReversalEvent(LedgerTxn& txn, const ProviderEvent& event,
                                  AppliedEvent& out) const;

  std::string base_currency_;
  int base_digits_;
};

// The reversal entry for `reversal` against `state` (updated on success), or nullopt if
// it changes nothing (a refund whose cumulative total was already applied, a zero
// dispute). `base_digits` are the base currency's minor digits. FAILED_PRECONDITION if
// refused. The entry's id is left empty.
absl::StatusOr<std::optional<LedgerEntry>> ComputeReversal(PaymentState& state,
                                                           const ParkedReversal& reversal,
                                                           int base_digits);

}  // namespace freehold::donations
