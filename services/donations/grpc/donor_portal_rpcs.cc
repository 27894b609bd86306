// The donor portal's calls of freehold.v1.Donations (see donations_grpc_service.h and
// core/donation_intents.h): translation only.
#include "common/grpc_status.h"
#include "services/donations/grpc/donations_grpc_service.h"
#include "services/donations/grpc/proto_convert.h"

namespace freehold::donations {
namespace {

grpc::Status NoIntents() {
  return grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                      "donation intents are not available in this server");
}

grpc::Status NoClaims() {
  return grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                      "donation claims are not available in this server");
}

}  // namespace

grpc::Status DonationsGrpcService::CreateDonationIntent(grpc::ServerContext*,
                                                        const v1::CreateDonationIntentRequest* req,
                                                        v1::CreateDonationIntentResponse* resp) {
  if (intents_ == nullptr) return NoIntents();
  if (!req->has_amount()) {
    return ToGrpcStatus(absl::InvalidArgumentError("amount: required"));
  }
  DonationIntentRequest r;
  r.amount_minor = req->amount().amount_minor();
  r.currency = req->amount().currency();
  r.campaign_id = req->campaign_id();
  switch (req->frequency()) {
    case v1::DONATION_FREQUENCY_ONE_OFF:
      r.monthly = false;
      break;
    case v1::DONATION_FREQUENCY_MONTHLY:
      r.monthly = true;
      break;
    default:
      return ToGrpcStatus(absl::InvalidArgumentError("frequency: must be ONE_OFF or MONTHLY"));
  }
  r.donor_name = req->contact().name();
  r.donor_email = req->contact().email();
  absl::StatusOr<DonationIntent> intent = intents_->Create(r);
  if (!intent.ok()) return ToGrpcStatus(intent.status());
  resp->set_donor_reference(intent->intent.donor_ref);
  resp->set_donor_token(intent->donor_token);
  (*resp->mutable_stripe_metadata())["donor_ref"] = intent->intent.donor_ref;
  if (!intent->intent.campaign_id.empty()) {
    (*resp->mutable_stripe_metadata())["campaign_id"] = intent->intent.campaign_id;
  }
  ToProto(intent->intent.created_at, resp->mutable_created_at());
  return grpc::Status::OK;
}

grpc::Status DonationsGrpcService::ListMyPledges(grpc::ServerContext*,
                                                 const v1::ListMyPledgesRequest* req,
                                                 v1::ListMyPledgesResponse* resp) {
  if (intents_ == nullptr) return NoIntents();
  absl::StatusOr<PageSpec> page =
      ParsePage(req->page().page_size(), req->page().page_token(), "page");
  if (!page.ok()) return ToGrpcStatus(page.status());
  absl::StatusOr<std::vector<Pledge>> pledges =
      intents_->ListMyPledges(req->donor_token(), page->offset, page->limit);
  if (!pledges.ok()) return ToGrpcStatus(pledges.status());
  for (const Pledge& p : *pledges) PledgeToProto(p, resp->add_pledges());
  resp->set_next_page_token(NextPageToken(*page, pledges->size()));
  return grpc::Status::OK;
}

grpc::Status DonationsGrpcService::CancelMyPledge(grpc::ServerContext*,
                                                  const v1::CancelMyPledgeRequest* req,
                                                  v1::CancelMyPledgeResponse* resp) {
  if (intents_ == nullptr) return NoIntents();
  absl::StatusOr<PledgeCancellation> c =
      intents_->CancelMyPledge(req->donor_token(), req->pledge_id());
  if (!c.ok()) return ToGrpcStatus(c.status());
  PledgeToProto(c->pledge, resp->mutable_pledge());
  resp->set_provider(c->provider);
  resp->set_cancel_subscription(c->provider_subscription);
  resp->set_already_cancelled(c->already_cancelled);
  ToProto(c->requested_at, resp->mutable_requested_at());
  return grpc::Status::OK;
}

grpc::Status DonationsGrpcService::RequestDonationClaim(grpc::ServerContext*,
                                                        const v1::RequestDonationClaimRequest* req,
                                                        v1::RequestDonationClaimResponse* resp) {
  if (claims_ == nullptr) return NoClaims();
  absl::StatusOr<ClaimRequested> r = claims_->Request(req->donor_token(), req->email());
  if (!r.ok()) return ToGrpcStatus(r.status());
  resp->set_claim_id(r->claim_id);
  ToProto(r->expires_at, resp->mutable_expires_at());
  return grpc::Status::OK;
}

grpc::Status DonationsGrpcService::ConfirmDonationClaim(grpc::ServerContext*,
                                                        const v1::ConfirmDonationClaimRequest* req,
                                                        v1::ConfirmDonationClaimResponse* resp) {
  if (claims_ == nullptr) return NoClaims();
  absl::StatusOr<ClaimConfirmed> r =
      claims_->Confirm(req->donor_token(), req->claim_id(), req->code());
  if (!r.ok()) return ToGrpcStatus(r.status());
  resp->set_linked_donors(static_cast<uint32_t>(r->linked_donors));
  resp->set_linked_payments(static_cast<uint32_t>(r->linked_payments));
  return grpc::Status::OK;
}

grpc::Status DonationsGrpcService::ListNotifications(grpc::ServerContext* ctx,
                                                     const v1::ListNotificationsRequest* req,
                                                     v1::ListNotificationsResponse* resp) {
  if (grpc::Status a = AuthorizeOperator(ctx, "ListNotifications"); !a.ok()) return a;
  if (claims_ == nullptr) return NoClaims();
  if (req->limit() > 500) {
    return ToGrpcStatus(absl::InvalidArgumentError("limit: must be 0..500"));
  }
  absl::StatusOr<std::vector<Notification>> r =
      claims_->PendingNotifications(static_cast<int>(req->limit()));
  if (!r.ok()) return ToGrpcStatus(r.status());
  for (const Notification& n : *r) {
    v1::Notification* out = resp->add_notifications();
    out->set_id(n.id);
    out->set_kind(n.kind);
    out->set_recipient(n.recipient);
    out->set_subject(n.subject);
    out->set_body(n.body);
    ToProto(n.created_at, out->mutable_created_at());
  }
  return grpc::Status::OK;
}

grpc::Status DonationsGrpcService::AckNotifications(grpc::ServerContext* ctx,
                                                    const v1::AckNotificationsRequest* req,
                                                    v1::AckNotificationsResponse* resp) {
  if (grpc::Status a = AuthorizeOperator(ctx, "AckNotifications"); !a.ok()) return a;
  if (claims_ == nullptr) return NoClaims();
  std::vector<int64_t> ids(req->ids().begin(), req->ids().end());
  absl::StatusOr<int> r = claims_->AckNotifications(ids);
  if (!r.ok()) return ToGrpcStatus(r.status());
  resp->set_deleted(static_cast<uint32_t>(*r));
  return grpc::Status::OK;
}

}  // namespace freehold::donations
