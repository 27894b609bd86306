// Storage seams of the donations core. The PostgreSQL adapter (donations_pg)
// implements them; the core's ledger rules run against LedgerTxn so they stay plain
// C++ and testable with an in-memory fake.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "services/donations/core/exchange_rate.h"
#include "services/donations/core/types.h"

namespace freehold::donations {

// A payment entry and how much of it has been reversed so far (positive numbers).
struct PaymentState {
  LedgerEntry payment;
  int64_t refunded_minor = 0;
  int64_t charged_back_minor = 0;
};

// One database transaction of the intake path. Not thread-safe; lives only inside
// DonationStore::RunInTransaction. Errors are the adapter's mapped statuses
// (UNAVAILABLE when the database is unreachable, ...).
class LedgerTxn {
 public:
  virtual ~LedgerTxn() = default;

  // Records (event.provider, event.event_id) as seen; false if it already was (a
  // duplicate delivery). A concurrent transaction claiming the same id makes this wait
  // until that transaction ends. When it returns true for an event with a payment_ref,
  // it may already hold that payment's lock (LockPayment is then free).
  virtual absl::StatusOr<bool> ClaimEvent(const ProviderEvent& event) = 0;

  // Serializes, across processes, every transaction touching this payment until the
  // current transaction ends (payments and their reversals take it before reading).
  virtual absl::Status LockPayment(absl::string_view provider, absl::string_view payment_ref) = 0;

  // The payment entry (one_off or recurring) with this reference, if recorded.
  virtual absl::StatusOr<std::optional<PaymentState>> FindPayment(
      absl::string_view provider, absl::string_view payment_ref) = 0;

  // Rate table rule (exchange_rate.h) for a non-base currency; nullopt if none applies.
  virtual absl::StatusOr<std::optional<DecimalRate>> RateAt(absl::string_view currency,
                                                            absl::Time at) = 0;

  virtual absl::Status AppendEntry(const LedgerEntry& entry) = 0;

  virtual absl::Status Park(const ParkedReversal& reversal) = 0;
  // Appends a payment entry and removes and returns the reversals parked for its
  // payment_ref, sorted by event id (one step, so adapters can do it in one round trip).
  virtual absl::StatusOr<std::vector<ParkedReversal>> AppendPaymentTakingParked(
      const LedgerEntry& payment) = 0;

  // Keeps an unknown event kind for a human to look at.
  virtual absl::Status StoreForReview(const ProviderEvent& event, absl::string_view raw_body) = 0;

  // Finds the donor with this provider customer (or e-mail, if no customer) or creates
  // one, storing the personal data apart from the ledger. Returns the donor id.
  virtual absl::StatusOr<std::string> ResolveDonor(absl::string_view provider,
                                                   const DonorInfo& donor) = 0;
  // Stores the hash of a freshly issued donor token.
  virtual absl::Status AddDonorToken(absl::string_view donor_id, absl::string_view token_hash) = 0;

  // Creates or updates a pledge; a cancellation is never undone by a late "created".
  // The donor of the donation intent with this reference (DonationIntents), or nullopt.
  virtual absl::StatusOr<std::optional<std::string>> FindIntentDonor(
      absl::string_view donor_ref) = 0;
  virtual absl::Status UpsertPledge(absl::string_view provider, const PledgeInfo& pledge) = 0;
};

// A rejected delivery kept for inspection (malformed body or a refused ledger rule).
struct DeadLetter {
  std::string provider;
  std::string event_id;  // if it could be read
  std::string reason;
  std::string raw_body;
  absl::Time received_at;
};

// A payment that could not be recorded because no exchange rate applied to its currency
// at its time (IsNoExchangeRate): kept whole, nothing else of it written (its event is
// not claimed), until WebhookIntake::ReplayParkedPayments records it once a rate exists.
struct ParkedPayment {
  std::string provider;
  std::string event_id;
  std::string currency;
  absl::Time occurred_at;
  std::string reason;
  std::string raw_body;  // the verified delivery, parsed again on replay
};

// An event for the one-statement intake path (DonationStore::ApplyFast), prepared by
// LedgerRules::PrepareFast: a payment, or an event that only needs its idempotency
// record. Everything that needs no database is decided in C++ already; the store
// decides the rest (seen before? payment already recorded? exchange rate, donor id).
struct FastIntakeEvent {
  std::string provider;
  std::string event_id;
  std::string type;  // provider's type name
  std::string kind;  // EventKindName()
  absl::Time occurred_at;
  std::string payment_ref;
  // Record the event as seen and nothing else (informational events, zero amounts).
  bool claim_only = false;
  // Payments: the entry to append, complete except rate_to_base, base_amount_minor and
  // donor_id, which the store fills in.
  LedgerEntry entry;
  int currency_digits = 2;
  int base_digits = 2;
  bool base_currency = false;  // rate 1, no rate lookup
  // Identified donors (empty otherwise): found by customer id (or e-mail if none) or
  // created with `new_donor_id`; `token_hash` is stored for that donor.
  DonorInfo donor;
  std::string new_donor_id;
  std::string token_hash;
};

enum class FastIntakeResult {
  kDuplicate,         // seen before: nothing written
  kClaimed,           // recorded as seen, no entry (claim only, or payment already recorded)
  kRecorded,          // recorded as seen and `entry` appended
  kNeedsTransaction,  // nothing written: apply it with RunInTransaction and the C++ rules
};

struct FastIntakeOutcome {
  FastIntakeResult result = FastIntakeResult::kNeedsTransaction;
  LedgerEntry entry;   // kRecorded: the appended entry, rate, base amount and donor filled
  std::string reason;  // kNeedsTransaction: why (for debug logs)
};

// Copies journaled payments into the ledger. A store may record a payment of the
// one-statement path as a journal row (its idempotency record carrying the complete
// ledger entry) and copy it into the ledger later; every reader of the ledger in that
// store catches up first, so readers see every committed payment. Thread-safe.
class LedgerProjection {
 public:
  virtual ~LedgerProjection() = default;
  // Copies every journaled payment committed before the call into the ledger (those
  // with reversals parked for them through the ledger rules). OK when there was
  // nothing to do. Errors: the store's (UNAVAILABLE, ...); nothing is lost then, the
  // next call copies it.
  virtual absl::Status CatchUp() = 0;
};

// The intake's storage. Thread-safe.
class DonationStore {
 public:
  virtual ~DonationStore() = default;

  // Applies the events in ONE transaction and, where the adapter can, one database
  // round trip (group commit). Each event is applied atomically and independently:
  // one that cannot be applied this way (parked reversals wait for the payment, no
  // exchange rate, any database error of its own) comes back kNeedsTransaction with
  // nothing of it written, and the others are unaffected. Outcomes are in input order.
  // Events given twice: the second is kDuplicate. An error status means nothing was
  // written (or, for UNAVAILABLE, that the commit's outcome is unknown: safe to retry,
  // the idempotency record answers the retry). Default: every event kNeedsTransaction.
  virtual absl::StatusOr<std::vector<FastIntakeOutcome>> ApplyFast(
      const std::vector<const FastIntakeEvent*>& events) {
    std::vector<FastIntakeOutcome> out(events.size());
    for (FastIntakeOutcome& o : out) o.reason = "not supported by this store";
    return out;
  }
  // How many ApplyFast calls may usefully run at once; 0 if ApplyFast is not supported.
  virtual int FastConcurrency() const { return 0; }

  // Runs `body` in one transaction and commits if it returns OK. `body` may be invoked
  // more than once (retried after a serialization failure), so it must have no side
  // effects outside the transaction.
  virtual absl::Status RunInTransaction(absl::FunctionRef<absl::Status(LedgerTxn&)> body) = 0;

  virtual absl::Status StoreDeadLetter(const DeadLetter& letter) = 0;

  // Parked payments (ParkedPayment). Parking an event id parked already keeps the first.
  // Defaults: UNIMPLEMENTED (a store without parking turns such payments into dead
  // letters, as before).
  virtual absl::Status ParkPayment(const ParkedPayment& payment) {
    return absl::UnimplementedError("this store cannot park payments");
  }
  // The oldest `limit` parked payments.
  virtual absl::StatusOr<std::vector<ParkedPayment>> ParkedPayments(int limit) {
    return std::vector<ParkedPayment>();
  }
  virtual absl::Status RemoveParkedPayment(absl::string_view provider,
                                           absl::string_view event_id) {
    return absl::UnimplementedError("this store cannot park payments");
  }
};

}  // namespace freehold::donations
