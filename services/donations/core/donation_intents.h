// Donation intents and the donor's pledges, for the donor portal's backend
// (freehold.v1.Donations CreateDonationIntent, ListMyPledges, CancelMyPledge).
//
// Starting a donation: the portal asks for an intent (amount, currency, campaign, one-off
// or monthly, optional contact) and gets a donor reference ("fhr_...", NewDonorRef) and
// a donor token ("fhd_...", only its hash is stored). The portal passes the reference to
// Stripe as metadata "donor_ref" (on the PaymentIntent for a one-off donation, on the
// subscription for a monthly one); the webhook (LedgerRules) records the payments and
// the pledge for the intent's donor, so the donor's history, receipts and pledges are
// reachable with the token from the first payment on. Amount, currency, campaign and
// frequency are what the donor chose; what is recorded is what Stripe reports.
//
// Pledges: the donor lists their pledges and asks to cancel one; the service records
// the request and answers what the portal must cancel at Stripe (this service never
// calls Stripe). Stripe's customer.subscription.deleted then marks the pledge cancelled.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "services/donations/core/read_store.h"

namespace freehold::donations {

struct DonationIntentRequest {
  int64_t amount_minor = 0;  // in the currency's minor unit, 1..kMaxAmountMinor
  std::string currency;      // ISO 4217, any case; must be in the currency table
  std::string campaign_id;   // optional UUID of a campaign that is live now
  bool monthly = false;      // false: one-off
  std::string donor_name;    // optional, at most 200 bytes, no control characters
  std::string donor_email;   // optional, at most 320 bytes, one '@'
};

struct StoredIntent {
  std::string donor_ref;
  std::string donor_id;
  int64_t amount_minor = 0;
  std::string currency;  // upper case
  std::string campaign_id;
  bool monthly = false;
  absl::Time created_at;
};

struct DonationIntent {
  StoredIntent intent;
  std::string donor_token;  // handed to the portal once; never stored in clear
};

// What the portal must cancel at the processor after CancelMyPledge.
struct PledgeCancellation {
  Pledge pledge;
  std::string provider;               // "stripe"
  std::string provider_subscription;  // the subscription id to cancel there
  bool already_cancelled = false;     // the processor reported it cancelled already
  absl::Time requested_at;
};

class IntentStore {
 public:
  virtual ~IntentStore() = default;
  // In one transaction: a new donor, their personal data if `name` or `email` is
  // non-empty (provider "portal"), the token hash, the intent.
  virtual absl::Status CreateIntent(const StoredIntent& intent, absl::string_view token_hash,
                                    absl::string_view name, absl::string_view email) = 0;
  // The donor a token hash belongs to, or nullopt.
  virtual absl::StatusOr<std::optional<std::string>> FindDonorByTokenHash(
      absl::string_view token_hash) = 0;
  // The donor's pledges: those whose subscription named the donor's intent, and those
  // the donor's recurring payments belong to; newest first.
  virtual absl::StatusOr<std::vector<Pledge>> ListDonorPledges(absl::string_view donor_id,
                                                               int offset, int limit) = 0;
  // Records the donor's cancellation request of `provider`'s pledge `pledge_id` (the
  // first request's time is kept). nullopt if the pledge is not the donor's. Returns
  // the pledge and the request time.
  virtual absl::StatusOr<std::optional<std::pair<Pledge, absl::Time>>> RequestPledgeCancel(
      absl::string_view donor_id, absl::string_view provider, absl::string_view pledge_id,
      absl::Time now) = 0;
};

class DonationIntents {
 public:
  DonationIntents(IntentStore& store, CampaignStore& campaigns, Clock& clock);

  // INVALID_ARGUMENT naming the field as the API does (amount.amount_minor,
  // amount.currency, campaign_id, contact.name, contact.email); NOT_FOUND for an unknown campaign;
  // FAILED_PRECONDITION for a campaign that has not started or has ended.
  absl::StatusOr<DonationIntent> Create(const DonationIntentRequest& request);
  // INVALID_ARGUMENT without a token, UNAUTHENTICATED for an unknown one.
  absl::StatusOr<std::vector<Pledge>> ListMyPledges(absl::string_view donor_token, int offset,
                                                    int limit);
  // As ListMyPledges; INVALID_ARGUMENT for a malformed pledge_id (1..255 bytes of
  // printable ASCII); NOT_FOUND if the donor has no such pledge. Repeating a request is
  // fine (same answer, the first request time).
  absl::StatusOr<PledgeCancellation> CancelMyPledge(absl::string_view donor_token,
                                                    absl::string_view pledge_id);

 private:
  absl::StatusOr<std::string> Authenticate(absl::string_view donor_token);

  IntentStore& store_;
  CampaignStore& campaigns_;
  Clock& clock_;
};

}  // namespace freehold::donations
