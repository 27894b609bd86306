// Stripe webhooks exactly as Stripe sends them: header "Stripe-Signature:
// t=...,v1=..." and the event JSON (https://docs.stripe.com/api/events/object).
// Understood event types:
//   payment_intent.succeeded        one-off payment (skipped when it belongs to an
//                                   invoice: invoice.paid records those)
//   invoice.paid                    recurring payment of a subscription (pledge)
//   charge.refunded                 refund; the charge's amount_refunded is cumulative
//   charge.dispute.closed           status "lost" = chargeback; other outcomes no effect
//   customer.subscription.created   pledge started
//   customer.subscription.deleted   pledge cancelled
// The payment reference linking reversals to payments is the PaymentIntent id when
// present, else the charge id; API versions 2025-03-31 ("basil") and later name an
// invoice's PaymentIntent only in its InvoicePayment objects (`payments.data[]`), which
// are read too. Metadata "donor_ref" links a payment or pledge to a donation intent. Donation metadata keys: campaign_id, anonymous
// ("true"/"1"), donor_name, donor_email.
#pragma once

#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "services/donations/core/provider.h"
#include "services/donations/core/webhook_signature.h"

namespace freehold::donations {

class StripeProvider : public PaymentProvider {
 public:
  // `secrets`: the active endpoint secrets ("whsec_..."), several during rotation.
  StripeProvider(std::shared_ptr<const WebhookSecrets> secrets, absl::Duration tolerance);

  // Replaces the active secrets while serving (a re-read --stripe-webhook-secrets-file);
  // a delivery being verified keeps the set it started with.
  void SetSecrets(std::shared_ptr<const WebhookSecrets> secrets);

  absl::string_view name() const override { return "stripe"; }
  absl::Status VerifySignature(const Headers& headers, absl::string_view raw_body,
                               absl::Time now) const override;
  absl::StatusOr<ProviderEvent> Parse(absl::string_view raw_body) const override;

 private:
  std::shared_ptr<const WebhookSecrets> secrets() const;

  mutable absl::Mutex mu_;
  std::shared_ptr<const WebhookSecrets> secrets_ ABSL_GUARDED_BY(mu_);
  absl::Duration tolerance_;
};

}  // namespace freehold::donations
