// Donation intents and the donor's pledges (see donation_intents.h).
#include "services/donations/core/donation_intents.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "services/donations/core/currency.h"
#include "services/donations/core/donor_token.h"
#include "services/donations/core/exchange_rate.h"

namespace freehold::donations {
namespace {

constexpr size_t kMaxNameBytes = 200;
constexpr size_t kMaxEmailBytes = 320;
constexpr size_t kMaxPledgeIdBytes = 255;

bool HasControl(absl::string_view text) {
  for (char c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return true;
  }
  return false;
}

absl::Status CheckEmail(absl::string_view email) {
  if (email.size() > kMaxEmailBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("contact.email: longer than ", kMaxEmailBytes, " bytes"));
  }
  const size_t at = email.find('@');
  if (HasControl(email) || absl::StrContains(email, ' ') || at == absl::string_view::npos ||
      at == 0 || at + 1 == email.size() || email.find('@', at + 1) != absl::string_view::npos) {
    return absl::InvalidArgumentError("contact.email: not an e-mail address (local@domain)");
  }
  return absl::OkStatus();
}

}  // namespace

DonationIntents::DonationIntents(IntentStore& store, CampaignStore& campaigns, Clock& clock)
    : store_(store), campaigns_(campaigns), clock_(clock) {}

absl::StatusOr<DonationIntent> DonationIntents::Create(const DonationIntentRequest& req) {
  if (req.amount_minor <= 0 || req.amount_minor > kMaxAmountMinor) {
    return absl::InvalidArgumentError(
        absl::StrCat("amount.amount_minor: must be 1..", kMaxAmountMinor, " minor units"));
  }
  FH_ASSIGN_OR_RETURN(std::string currency, NormalizeCurrency(req.currency, "amount.currency"));
  const absl::Time now = clock_.Now();
  std::string campaign_id;
  if (!req.campaign_id.empty()) {
    if (!IsUuid(req.campaign_id)) return absl::InvalidArgumentError("campaign_id: must be a UUID");
    absl::StatusOr<Campaign> campaign = campaigns_.GetCampaign(req.campaign_id);
    if (absl::IsNotFound(campaign.status())) {
      return absl::NotFoundError("campaign_id: no such campaign");
    }
    if (!campaign.ok()) return campaign.status();
    if ((campaign->start.has_value() && now < *campaign->start) ||
        (campaign->end.has_value() && now >= *campaign->end)) {
      return absl::FailedPreconditionError("campaign_id: the campaign is not running now");
    }
    campaign_id = absl::AsciiStrToLower(req.campaign_id);
  }
  if (req.donor_name.size() > kMaxNameBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("contact.name: longer than ", kMaxNameBytes, " bytes"));
  }
  if (HasControl(req.donor_name)) {
    return absl::InvalidArgumentError("contact.name: contains control characters");
  }
  if (!req.donor_email.empty()) FH_RETURN_IF_ERROR(CheckEmail(req.donor_email));

  DonationIntent out;
  StoredIntent& intent = out.intent;
  intent.donor_ref = NewDonorRef();
  intent.donor_id = NewUuid();
  intent.amount_minor = req.amount_minor;
  intent.currency = std::move(currency);
  intent.campaign_id = std::move(campaign_id);
  intent.monthly = req.monthly;
  intent.created_at = now;
  out.donor_token = NewDonorToken();
  FH_RETURN_IF_ERROR(store_.CreateIntent(intent, HashDonorToken(out.donor_token), req.donor_name,
                                         req.donor_email));
  return out;
}

absl::StatusOr<std::string> DonationIntents::Authenticate(absl::string_view donor_token) {
  if (donor_token.empty()) return absl::InvalidArgumentError("donor_token: required");
  if (!LooksLikeDonorToken(donor_token)) {
    return absl::UnauthenticatedError("donor_token: not a valid donor token");
  }
  FH_ASSIGN_OR_RETURN(std::optional<std::string> donor,
                      store_.FindDonorByTokenHash(HashDonorToken(donor_token)));
  if (!donor.has_value()) return absl::UnauthenticatedError("donor_token: unknown donor token");
  return *donor;
}

absl::StatusOr<std::vector<Pledge>> DonationIntents::ListMyPledges(absl::string_view donor_token,
                                                                   int offset, int limit) {
  FH_ASSIGN_OR_RETURN(std::string donor, Authenticate(donor_token));
  return store_.ListDonorPledges(donor, offset, limit);
}

absl::StatusOr<PledgeCancellation> DonationIntents::CancelMyPledge(absl::string_view donor_token,
                                                                   absl::string_view pledge_id) {
  FH_ASSIGN_OR_RETURN(std::string donor, Authenticate(donor_token));
  if (pledge_id.empty()) return absl::InvalidArgumentError("pledge_id: required");
  if (pledge_id.size() > kMaxPledgeIdBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("pledge_id: longer than ", kMaxPledgeIdBytes, " bytes"));
  }
  for (char c : pledge_id) {
    if (c <= 0x20 || c >= 0x7f) {
      return absl::InvalidArgumentError("pledge_id: must be printable ASCII without spaces");
    }
  }
  FH_ASSIGN_OR_RETURN(auto found,
                      store_.RequestPledgeCancel(donor, "stripe", pledge_id, clock_.Now()));
  if (!found.has_value()) return absl::NotFoundError("pledge_id: no such pledge for this donor");
  PledgeCancellation out;
  out.pledge = std::move(found->first);
  out.provider = "stripe";
  out.provider_subscription = out.pledge.info.pledge_id;
  out.already_cancelled = out.pledge.info.cancelled_at.has_value();
  out.requested_at = found->second;
  return out;
}

}  // namespace freehold::donations
