// The seam between the donations core and a payment processor: each processor
// (Stripe today) checks its own webhook signatures and turns its event JSON into a
// ProviderEvent. Add a processor by implementing this interface and registering it
// with WebhookIntake in main.cc.
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "services/donations/core/types.h"

namespace freehold::donations {

// Implementations are immutable after construction and thread-safe.
class PaymentProvider {
 public:
  virtual ~PaymentProvider() = default;

  // Lower-case name used in URLs and the ledger ("stripe").
  virtual absl::string_view name() const = 0;

  // Checks the delivery's signature over the raw body:
  //   UNAUTHENTICATED      missing/malformed signature header or no matching secret
  //   FAILED_PRECONDITION  authentic but outside the tolerance window (replay)
  virtual absl::Status VerifySignature(const Headers& headers, absl::string_view raw_body,
                                       absl::Time now) const = 0;

  // Parses an (already verified) body. INVALID_ARGUMENT naming the field for bad JSON,
  // missing fields, negative or absurd amounts or an unknown currency. Event types the
  // core does not understand parse as EventKind::kUnknown (with id and type set).
  virtual absl::StatusOr<ProviderEvent> Parse(absl::string_view raw_body) const = 0;
};

}  // namespace freehold::donations
