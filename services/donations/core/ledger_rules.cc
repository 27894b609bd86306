// Ledger rules (see ledger_rules.h).
#include "services/donations/core/ledger_rules.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "services/donations/core/currency.h"
#include "services/donations/core/donor_token.h"
#include "services/donations/core/exchange_rate.h"

namespace freehold::donations {
namespace {

// Campaign ids are UUIDs; anything else in provider metadata is ignored.
std::string NormalizeCampaign(const std::string& id) {
  return IsUuid(id) ? absl::AsciiStrToLower(id) : "";
}

ParkedReversal ToReversal(const ProviderEvent& event) {
  ParkedReversal r;
  r.provider = event.provider;
  r.event_id = event.event_id;
  r.payment_ref = event.payment_ref;
  r.kind = event.kind;
  r.amount_minor = event.amount_minor;
  r.currency = event.currency;
  r.occurred_at = event.occurred_at;
  return r;
}

}  // namespace

absl::string_view IngestOutcomeName(IngestOutcome outcome) {
  switch (outcome) {
    case IngestOutcome::kRecorded:
      return "recorded";
    case IngestOutcome::kDuplicate:
      return "duplicate";
    case IngestOutcome::kParked:
      return "parked";
    case IngestOutcome::kStoredForReview:
      return "stored_for_review";
  }
  return "recorded";
}

absl::StatusOr<std::optional<LedgerEntry>> ComputeReversal(PaymentState& state,
                                                           const ParkedReversal& reversal,
                                                           int base_digits) {
  const LedgerEntry& payment = state.payment;
  if (reversal.currency != payment.currency) {
    return absl::FailedPreconditionError(absl::StrCat(
        EventKindName(reversal.kind), " ", reversal.event_id, " is in ", reversal.currency,
        " but payment ", payment.payment_ref, " is in ", payment.currency));
  }
  const bool is_refund = reversal.kind == EventKind::kRefund;
  const int64_t amount =
      is_refund ? reversal.amount_minor - state.refunded_minor : reversal.amount_minor;
  if (amount <= 0) return std::nullopt;
  const int64_t before = state.refunded_minor + state.charged_back_minor;
  const int64_t remaining = payment.amount_minor - before;
  if (amount > remaining) {
    return absl::FailedPreconditionError(
        absl::StrCat(is_refund ? "refund" : "chargeback", " of ", amount, " ", payment.currency,
                     " minor units exceeds the ", remaining, " that remain of payment ",
                     payment.payment_ref, " (", payment.amount_minor, " paid)"));
  }
  const int digits = MinorDigits(payment.currency).value_or(2);
  FH_ASSIGN_OR_RETURN(DecimalRate rate, ParseRate(payment.rate_to_base, "rate_to_base"));
  FH_ASSIGN_OR_RETURN(int64_t base_before, ConvertToBase(before, digits, rate, base_digits));
  FH_ASSIGN_OR_RETURN(int64_t base_after,
                      ConvertToBase(before + amount, digits, rate, base_digits));
  LedgerEntry entry;
  entry.at = reversal.occurred_at;
  entry.kind = is_refund ? EntryKind::kRefund : EntryKind::kChargeback;
  entry.amount_minor = -amount;
  entry.currency = payment.currency;
  entry.rate_to_base = payment.rate_to_base;
  entry.base_amount_minor = -(base_after - base_before);
  entry.campaign_id = payment.campaign_id;
  entry.pledge_id = payment.pledge_id;
  entry.donor_id = payment.donor_id;
  entry.reverses_entry_id = payment.entry_id;
  entry.provider = reversal.provider;
  entry.provider_event_id = reversal.event_id;
  entry.payment_ref = payment.payment_ref;
  if (is_refund) {
    state.refunded_minor += amount;
  } else {
    state.charged_back_minor += amount;
  }
  return entry;
}

LedgerRules::LedgerRules(std::string base_currency)
    : base_currency_(std::move(base_currency)),
      base_digits_(MinorDigits(base_currency_).value_or(2)) {}

absl::StatusOr<AppliedEvent> LedgerRules::Apply(LedgerTxn& txn, const ProviderEvent& event,
                                                absl::string_view raw_body) const {
  AppliedEvent out;
  FH_ASSIGN_OR_RETURN(bool claimed, txn.ClaimEvent(event));
  if (!claimed) {
    out.outcome = IngestOutcome::kDuplicate;
    return out;
  }
  if (event.informational) return out;
  switch (event.kind) {
    case EventKind::kUnknown:
      FH_RETURN_IF_ERROR(txn.StoreForReview(event, raw_body));
      out.outcome = IngestOutcome::kStoredForReview;
      return out;
    case EventKind::kPayment:
    case EventKind::kRecurringPayment:
      FH_RETURN_IF_ERROR(ApplyPayment(txn, event, out));
      return out;
    case EventKind::kRefund:
    case EventKind::kDispute:
      FH_RETURN_IF_ERROR(ApplyReversalEvent(txn, event, out));
      return out;
    case EventKind::kPledgeCreated:
    case EventKind::kPledgeCancelled: {
      PledgeInfo pledge = event.pledge;
      pledge.campaign_id = NormalizeCampaign(pledge.campaign_id);
      if (!event.donor_ref.empty()) {
        FH_ASSIGN_OR_RETURN(std::optional<std::string> donor, txn.FindIntentDonor(event.donor_ref));
        if (donor.has_value()) pledge.donor_id = *donor;
      }
      FH_RETURN_IF_ERROR(txn.UpsertPledge(event.provider, pledge));
      return out;
    }
  }
  return out;
}

namespace {
constexpr char kNoRatePayload[] = "freehold.donations/no-exchange-rate";
}  // namespace

absl::Status NoExchangeRateError(absl::string_view currency, absl::Time at) {
  absl::Status s = absl::FailedPreconditionError(
      absl::StrCat("no exchange rate for ", currency, " effective at ",
                   absl::FormatTime(absl::RFC3339_sec, at, absl::UTCTimeZone()),
                   "; load rates with --ecb-rates, --exchange-rates or SetExchangeRates"));
  s.SetPayload(kNoRatePayload, absl::Cord(currency));
  return s;
}

bool IsNoExchangeRate(const absl::Status& status) {
  return status.GetPayload(kNoRatePayload).has_value();
}

absl::Status LedgerRules::ApplyPayment(LedgerTxn& txn, const ProviderEvent& event,
                                       AppliedEvent& out) const {
  if (event.amount_minor == 0) return absl::OkStatus();  // e.g. a trial invoice
  FH_RETURN_IF_ERROR(txn.LockPayment(event.provider, event.payment_ref));
  FH_ASSIGN_OR_RETURN(std::optional<PaymentState> existing,
                      txn.FindPayment(event.provider, event.payment_ref));
  if (existing.has_value()) return absl::OkStatus();  // reported by another event type

  DecimalRate rate = DecimalRate::One();
  if (event.currency != base_currency_) {
    FH_ASSIGN_OR_RETURN(std::optional<DecimalRate> found,
                        txn.RateAt(event.currency, event.occurred_at));
    if (!found.has_value()) {
      return NoExchangeRateError(event.currency, event.occurred_at);
    }
    rate = *found;
  }
  const int digits = MinorDigits(event.currency).value_or(2);
  FH_ASSIGN_OR_RETURN(int64_t base, ConvertToBase(event.amount_minor, digits, rate, base_digits_));

  LedgerEntry entry;
  entry.entry_id = NewUuid();
  entry.at = event.occurred_at;
  entry.kind = event.kind == EventKind::kRecurringPayment && !event.pledge_id.empty()
                   ? EntryKind::kRecurring
                   : EntryKind::kOneOff;
  entry.amount_minor = event.amount_minor;
  entry.currency = event.currency;
  entry.rate_to_base = rate.ToString();
  entry.base_amount_minor = base;
  entry.campaign_id = NormalizeCampaign(event.campaign_id);
  entry.pledge_id = entry.kind == EntryKind::kRecurring ? event.pledge_id : "";
  entry.provider = event.provider;
  entry.provider_event_id = event.event_id;
  entry.payment_ref = event.payment_ref;
  std::optional<std::string> intent_donor;
  if (!event.donor_ref.empty()) {
    FH_ASSIGN_OR_RETURN(intent_donor, txn.FindIntentDonor(event.donor_ref));
  }
  if (intent_donor.has_value()) {
    // A donation intent's donor: the portal holds their token already.
    entry.donor_id = *intent_donor;
  } else if (!event.anonymous && event.donor.identified()) {
    FH_ASSIGN_OR_RETURN(entry.donor_id, txn.ResolveDonor(event.provider, event.donor));
    out.donor_token = NewDonorToken();
    FH_RETURN_IF_ERROR(txn.AddDonorToken(entry.donor_id, HashDonorToken(out.donor_token)));
  }
  return AppendPayment(txn, entry, out);
}

absl::StatusOr<AppliedEvent> LedgerRules::ApplyJournaledPayment(LedgerTxn& txn,
                                                                const LedgerEntry& payment) const {
  AppliedEvent out;
  FH_RETURN_IF_ERROR(txn.LockPayment(payment.provider, payment.payment_ref));
  FH_ASSIGN_OR_RETURN(std::optional<PaymentState> existing,
                      txn.FindPayment(payment.provider, payment.payment_ref));
  if (existing.has_value()) return out;  // recorded by another event meanwhile
  FH_RETURN_IF_ERROR(AppendPayment(txn, payment, out));
  return out;
}

absl::Status LedgerRules::AppendPayment(LedgerTxn& txn, const LedgerEntry& entry,
                                        AppliedEvent& out) const {
  // Reversals that arrived first come back with the append.
  FH_ASSIGN_OR_RETURN(std::vector<ParkedReversal> parked, txn.AppendPaymentTakingParked(entry));
  out.entries.push_back(entry);
  PaymentState state{entry, 0, 0};
  for (const ParkedReversal& reversal : parked) {
    absl::StatusOr<std::optional<LedgerEntry>> rev = ComputeReversal(state, reversal, base_digits_);
    if (!rev.ok()) {
      out.refused_parked.emplace_back(reversal, rev.status());
      continue;
    }
    if (!rev->has_value()) continue;
    (*rev)->entry_id = NewUuid();
    FH_RETURN_IF_ERROR(txn.AppendEntry(**rev));
    out.entries.push_back(**rev);
  }
  return absl::OkStatus();
}

std::optional<PreparedFastEvent> LedgerRules::PrepareFast(const ProviderEvent& event) const {
  const bool payment =
      event.kind == EventKind::kPayment || event.kind == EventKind::kRecurringPayment;
  const bool claim_only = event.informational || (payment && event.amount_minor == 0);
  if (!payment && !claim_only) return std::nullopt;
  // A donation intent's payment: its donor is looked up by the C++ rules.
  if (!claim_only && !event.donor_ref.empty()) return std::nullopt;
  if (!claim_only && (event.amount_minor < 0 || event.amount_minor > kMaxAmountMinor)) {
    return std::nullopt;
  }
  for (const std::string* text :
       {&event.provider, &event.event_id, &event.type, &event.payment_ref, &event.currency,
        &event.pledge_id, &event.donor.customer_ref, &event.donor.name, &event.donor.email}) {
    if (text->find('\0') != std::string::npos) return std::nullopt;
  }
  PreparedFastEvent out;
  FastIntakeEvent& f = out.event;
  f.provider = event.provider;
  f.event_id = event.event_id;
  f.type = event.type;
  f.kind = std::string(EventKindName(event.kind));
  f.occurred_at = event.occurred_at;
  f.payment_ref = event.payment_ref;
  f.claim_only = claim_only;
  if (claim_only) return out;

  // As ApplyPayment.
  LedgerEntry& entry = f.entry;
  entry.entry_id = NewUuid();
  entry.at = event.occurred_at;
  entry.kind = event.kind == EventKind::kRecurringPayment && !event.pledge_id.empty()
                   ? EntryKind::kRecurring
                   : EntryKind::kOneOff;
  entry.amount_minor = event.amount_minor;
  entry.currency = event.currency;
  entry.campaign_id = NormalizeCampaign(event.campaign_id);
  entry.pledge_id = entry.kind == EntryKind::kRecurring ? event.pledge_id : "";
  entry.provider = event.provider;
  entry.provider_event_id = event.event_id;
  entry.payment_ref = event.payment_ref;
  f.currency_digits = MinorDigits(event.currency).value_or(2);
  f.base_digits = base_digits_;
  f.base_currency = event.currency == base_currency_;
  if (!event.anonymous && event.donor.identified()) {
    f.donor = event.donor;
    f.new_donor_id = NewUuid();
    out.donor_token = NewDonorToken();
    f.token_hash = HashDonorToken(out.donor_token);
  }
  return out;
}

AppliedEvent LedgerRules::FinishFast(const PreparedFastEvent& prepared,
                                     const FastIntakeOutcome& outcome) {
  AppliedEvent out;
  switch (outcome.result) {
    case FastIntakeResult::kDuplicate:
      out.outcome = IngestOutcome::kDuplicate;
      break;
    case FastIntakeResult::kClaimed:
    case FastIntakeResult::kNeedsTransaction:
      out.outcome = IngestOutcome::kRecorded;
      break;
    case FastIntakeResult::kRecorded:
      out.outcome = IngestOutcome::kRecorded;
      out.entries.push_back(outcome.entry);
      if (!outcome.entry.donor_id.empty()) out.donor_token = prepared.donor_token;
      break;
  }
  return out;
}

absl::Status LedgerRules::ApplyReversalEvent(LedgerTxn& txn, const ProviderEvent& event,
                                             AppliedEvent& out) const {
  if (event.kind == EventKind::kDispute && !event.dispute_lost) return absl::OkStatus();
  FH_RETURN_IF_ERROR(txn.LockPayment(event.provider, event.payment_ref));
  FH_ASSIGN_OR_RETURN(std::optional<PaymentState> state,
                      txn.FindPayment(event.provider, event.payment_ref));
  const ParkedReversal reversal = ToReversal(event);
  if (!state.has_value()) {
    FH_RETURN_IF_ERROR(txn.Park(reversal));
    out.outcome = IngestOutcome::kParked;
    return absl::OkStatus();
  }
  FH_ASSIGN_OR_RETURN(std::optional<LedgerEntry> entry,
                      ComputeReversal(*state, reversal, base_digits_));
  if (!entry.has_value()) return absl::OkStatus();
  entry->entry_id = NewUuid();
  FH_RETURN_IF_ERROR(txn.AppendEntry(*entry));
  out.entries.push_back(*entry);
  return absl::OkStatus();
}

}  // namespace freehold::donations
