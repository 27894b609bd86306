// Webhook intake: verify, parse, apply exactly once, answer fast.
//
// Ingest() is what both the gRPC IngestEvent and HTTP POST /webhooks/<provider> call.
// Statuses:
//   OK                   recorded / duplicate / parked / stored for review
//   NOT_FOUND            no such provider
//   UNAUTHENTICATED      bad or missing signature (nothing recorded)
//   FAILED_PRECONDITION  signature timestamp outside the tolerance window (nothing
//                        recorded), or a ledger rule refused the event (kept as a dead
//                        letter); the message says which
//   INVALID_ARGUMENT     malformed body (kept as a dead letter), message names the field
//   UNAVAILABLE etc.     the database failed; nothing recorded, safe to retry
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/clock.h"
#include "common/logging.h"
#include "services/donations/core/intake_batcher.h"
#include "services/donations/core/ledger_rules.h"
#include "services/donations/core/metrics.h"
#include "services/donations/core/provider.h"
#include "services/donations/core/store.h"

namespace freehold::donations {

struct IngestResponse {
  IngestOutcome outcome = IngestOutcome::kRecorded;
  std::string event_id;
  std::string donor_token;  // empty unless a (non-anonymous) donor was identified
};

// Largest accepted webhook body.
inline constexpr size_t kMaxWebhookBodyBytes = 1 << 20;

// Thread-safe. Everything passed in must outlive the intake.
class WebhookIntake {
 public:
  // With a `batcher`, payments and claim-only events go through group commit
  // (IntakeBatcher, one statement per batch); the rest, and anything the one-statement
  // path hands back, through LedgerRules::Apply in a transaction. Same answers either way.
  WebhookIntake(std::vector<const PaymentProvider*> providers, DonationStore& store,
                const LedgerRules& rules, Clock& clock, DonationMetrics& metrics, Logger log,
                IntakeBatcher* batcher = nullptr);

  absl::StatusOr<IngestResponse> Ingest(absl::string_view provider, const Headers& headers,
                                        absl::string_view raw_body) const;

  bool HasProvider(absl::string_view provider) const;

  // Called after an event is recorded (by Ingest or ReplayParkedPayments), e.g. to
  // invalidate the cached transparency page. Must not block. Set once before serving.
  void SetRecordedListener(std::function<void()> listener) { recorded_ = std::move(listener); }

  // Applies the payments parked for want of an exchange rate (a delivery of such a
  // payment is answered "parked" and kept whole in the store) now that rates may have
  // arrived: each one recorded (or found recorded already) is removed; one still
  // without a rate stays; one the rules now refuse becomes a dead letter. Safe to run
  // concurrently and on several replicas (the event claim makes each apply once).
  // Returns how many were recorded; an error of the store stops the pass (retried later).
  absl::StatusOr<int> ReplayParkedPayments() const;

 private:
  // Applies a verified event: group commit if possible, else a transaction.
  absl::StatusOr<AppliedEvent> ApplyEvent(const ProviderEvent& event,
                                          absl::string_view raw_body) const;
  // Answers "parked" after keeping `event` (no exchange rate) in the store.
  absl::StatusOr<IngestResponse> ParkPayment(const ProviderEvent& event,
                                             absl::string_view raw_body,
                                             const absl::Status& why) const;
  void KeepDeadLetter(absl::string_view provider, absl::string_view event_id,
                      const absl::Status& reason, absl::string_view raw_body) const;

  std::map<std::string, const PaymentProvider*, std::less<>> providers_;
  DonationStore& store_;
  const LedgerRules& rules_;
  Clock& clock_;
  DonationMetrics& metrics_;
  Logger log_;
  IntakeBatcher* const batcher_;
  std::function<void()> recorded_;
};

}  // namespace freehold::donations
