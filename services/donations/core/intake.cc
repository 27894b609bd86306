// Webhook intake (see intake.h).
#include "services/donations/core/intake.h"

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace freehold::donations {

WebhookIntake::WebhookIntake(std::vector<const PaymentProvider*> providers, DonationStore& store,
                             const LedgerRules& rules, Clock& clock, DonationMetrics& metrics,
                             Logger log, IntakeBatcher* batcher)
    : store_(store),
      rules_(rules),
      clock_(clock),
      metrics_(metrics),
      log_(std::move(log)),
      batcher_(batcher) {
  for (const PaymentProvider* p : providers) providers_.emplace(std::string(p->name()), p);
}

bool WebhookIntake::HasProvider(absl::string_view provider) const {
  return providers_.find(provider) != providers_.end();
}

void WebhookIntake::KeepDeadLetter(absl::string_view provider, absl::string_view event_id,
                                   const absl::Status& reason, absl::string_view raw_body) const {
  DeadLetter letter;
  letter.provider = std::string(provider);
  letter.event_id = std::string(event_id);
  letter.reason = std::string(reason.message());
  letter.raw_body = std::string(raw_body);
  letter.received_at = clock_.Now();
  absl::Status s = store_.StoreDeadLetter(letter);
  if (!s.ok()) {
    log_.Error("could not keep dead letter", {{"provider", std::string(provider)}, {"error", s}});
  }
}

absl::StatusOr<AppliedEvent> WebhookIntake::ApplyEvent(const ProviderEvent& event,
                                                       absl::string_view raw_body) const {
  if (batcher_ != nullptr) {
    if (std::optional<PreparedFastEvent> prepared = rules_.PrepareFast(event)) {
      absl::StatusOr<FastIntakeOutcome> outcome = batcher_->Apply(prepared->event);
      if (!outcome.ok() && (outcome.status().code() == absl::StatusCode::kUnavailable ||
                            outcome.status().code() == absl::StatusCode::kDeadlineExceeded)) {
        return outcome.status();  // the database is unwell: the transaction would fail too
      }
      if (outcome.ok() && outcome->result != FastIntakeResult::kNeedsTransaction) {
        metrics_.CountPath("one_statement");
        return LedgerRules::FinishFast(*prepared, *outcome);
      }
      if (!outcome.ok()) {
        log_.Warn("group commit failed; applying the event in its own transaction",
                  {{"event_id", event.event_id}, {"error", outcome.status()}});
      } else if (log_.Enabled(LogLevel::kDebug)) {
        log_.Debug("event needs the transaction path",
                   {{"event_id", event.event_id}, {"reason", outcome->reason}});
      }
    }
  }
  metrics_.CountPath("transaction");
  std::optional<AppliedEvent> applied;
  absl::Status s = store_.RunInTransaction([&](LedgerTxn& txn) -> absl::Status {
    absl::StatusOr<AppliedEvent> r = rules_.Apply(txn, event, raw_body);
    if (!r.ok()) return r.status();
    applied = std::move(*r);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return *std::move(applied);
}

absl::StatusOr<IngestResponse> WebhookIntake::Ingest(absl::string_view provider_name,
                                                     const Headers& headers,
                                                     absl::string_view raw_body) const {
  auto it = providers_.find(provider_name);
  if (it == providers_.end()) {
    metrics_.CountRejected("unknown_provider");
    return absl::NotFoundError(absl::StrCat("provider: unknown payment provider \"",
                                            provider_name.substr(0, 32), "\" (known: stripe)"));
  }
  const PaymentProvider& provider = *it->second;
  const std::string pname(provider.name());
  if (raw_body.size() > kMaxWebhookBodyBytes) {
    metrics_.CountRejected("too_large");
    metrics_.CountEvent(pname, "unverified", "rejected_malformed");
    return absl::InvalidArgumentError(
        absl::StrCat("raw_body: larger than ", kMaxWebhookBodyBytes, " bytes"));
  }

  absl::Status verified = provider.VerifySignature(headers, raw_body, clock_.Now());
  if (!verified.ok()) {
    const bool stale = verified.code() == absl::StatusCode::kFailedPrecondition;
    metrics_.CountRejected(stale ? "stale_timestamp" : "bad_signature");
    metrics_.CountEvent(pname, "unverified", stale ? "rejected_stale" : "rejected_signature");
    log_.Warn("webhook rejected", {{"provider", pname}, {"error", verified}});
    return verified;
  }

  absl::StatusOr<ProviderEvent> event = provider.Parse(raw_body);
  if (!event.ok()) {
    metrics_.CountRejected("malformed");
    metrics_.CountEvent(pname, "unknown", "rejected_malformed");
    log_.Warn("malformed webhook kept as dead letter",
              {{"provider", pname}, {"error", event.status()}});
    KeepDeadLetter(pname, "", event.status(), raw_body);
    return event.status();
  }
  const std::string kind(EventKindName(event->kind));

  absl::StatusOr<AppliedEvent> applied = ApplyEvent(*event, raw_body);
  if (!applied.ok() && IsNoExchangeRate(applied.status())) {
    absl::StatusOr<IngestResponse> parked = ParkPayment(*event, raw_body, applied.status());
    if (parked.ok() || parked.status().code() != absl::StatusCode::kUnimplemented) return parked;
  }
  if (!applied.ok()) {
    const absl::Status& s = applied.status();
    if (s.code() == absl::StatusCode::kFailedPrecondition ||
        s.code() == absl::StatusCode::kInvalidArgument) {
      metrics_.CountRejected("refused");
      metrics_.CountEvent(pname, kind, "rejected_refused");
      log_.Warn("webhook event refused by the ledger rules",
                {{"provider", pname}, {"event_id", event->event_id}, {"error", s}});
      KeepDeadLetter(pname, event->event_id, s, raw_body);
      return absl::FailedPreconditionError(s.message());
    }
    metrics_.CountEvent(pname, kind, "failed");
    log_.Error("could not record webhook event",
               {{"provider", pname}, {"event_id", event->event_id}, {"error", s}});
    return s;
  }

  metrics_.CountEvent(pname, kind, IngestOutcomeName(applied->outcome));
  if (applied->outcome == IngestOutcome::kDuplicate) metrics_.CountDuplicate();
  for (const LedgerEntry& entry : applied->entries) metrics_.CountEntry(entry);
  for (const auto& [reversal, why] : applied->refused_parked) {
    metrics_.CountRejected("refused");
    log_.Warn("parked reversal refused when its payment arrived",
              {{"provider", pname}, {"event_id", reversal.event_id}, {"error", why}});
    KeepDeadLetter(pname, reversal.event_id, why, "");
  }
  if (log_.Enabled(LogLevel::kDebug)) {
    log_.Debug("webhook event applied",
               {{"provider", pname},
                {"event_id", event->event_id},
                {"kind", kind},
                {"outcome", std::string(IngestOutcomeName(applied->outcome))}});
  }
  if (applied->outcome == IngestOutcome::kRecorded && recorded_) recorded_();
  IngestResponse response;
  response.outcome = applied->outcome;
  response.event_id = event->event_id;
  response.donor_token = std::move(applied->donor_token);
  return response;
}

absl::StatusOr<IngestResponse> WebhookIntake::ParkPayment(const ProviderEvent& event,
                                                         absl::string_view raw_body,
                                                         const absl::Status& why) const {
  ParkedPayment parked;
  parked.provider = event.provider;
  parked.event_id = event.event_id;
  parked.currency = event.currency;
  parked.occurred_at = event.occurred_at;
  parked.reason = std::string(why.message());
  parked.raw_body = std::string(raw_body);
  absl::Status s = store_.ParkPayment(parked);
  if (!s.ok()) {
    if (s.code() != absl::StatusCode::kUnimplemented) {
      log_.Error("could not park a payment without exchange rate",
                 {{"provider", event.provider}, {"event_id", event.event_id}, {"error", s}});
    }
    return s;
  }
  metrics_.CountEvent(event.provider, EventKindName(event.kind), "parked_no_rate");
  log_.Warn("payment parked until an exchange rate applies",
            {{"provider", event.provider},
             {"event_id", event.event_id},
             {"currency", event.currency}});
  IngestResponse response;
  response.outcome = IngestOutcome::kParked;
  response.event_id = event.event_id;
  return response;
}

absl::StatusOr<int> WebhookIntake::ReplayParkedPayments() const {
  constexpr int kBatch = 500;
  FH_ASSIGN_OR_RETURN(std::vector<ParkedPayment> parked, store_.ParkedPayments(kBatch));
  int recorded = 0;
  for (const ParkedPayment& p : parked) {
    auto it = providers_.find(p.provider);
    absl::StatusOr<ProviderEvent> event =
        it == providers_.end() ? absl::NotFoundError("provider: unknown") : it->second->Parse(p.raw_body);
    absl::Status outcome;
    if (event.ok()) {
      absl::StatusOr<AppliedEvent> applied = ApplyEvent(*event, p.raw_body);
      if (applied.ok()) {
        for (const LedgerEntry& entry : applied->entries) metrics_.CountEntry(entry);
        metrics_.CountEvent(p.provider, EventKindName(event->kind),
                            IngestOutcomeName(applied->outcome));
        recorded += applied->entries.empty() ? 0 : 1;
        log_.Info("parked payment applied", {{"provider", p.provider},
                                             {"event_id", p.event_id},
                                             {"outcome", std::string(IngestOutcomeName(
                                                             applied->outcome))}});
      } else if (IsNoExchangeRate(applied.status())) {
        continue;  // still no rate: stays parked
      } else if (applied.status().code() == absl::StatusCode::kFailedPrecondition ||
                 applied.status().code() == absl::StatusCode::kInvalidArgument) {
        outcome = applied.status();
      } else {
        return applied.status();  // the store is unwell: try again later
      }
    } else {
      outcome = event.status();
    }
    if (!outcome.ok()) {
      metrics_.CountRejected("refused");
      log_.Warn("parked payment refused on replay",
                {{"provider", p.provider}, {"event_id", p.event_id}, {"error", outcome}});
      KeepDeadLetter(p.provider, p.event_id, outcome, p.raw_body);
    }
    FH_RETURN_IF_ERROR(store_.RemoveParkedPayment(p.provider, p.event_id));
  }
  if (recorded > 0 && recorded_) recorded_();
  return recorded;
}

}  // namespace freehold::donations
