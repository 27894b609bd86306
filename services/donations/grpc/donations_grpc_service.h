// gRPC binding of the donations service (freehold.v1.Donations): translates protos
// to core calls and statuses back; no logic of its own. Operator calls
// (SetExchangeRates, CreateCampaign, CloseCampaign, ListPledges, ExportLedger, EraseDonor without a
// donor token) are checked with the AdminAuthorizer before anything else.
#pragma once

#include "common/logging.h"
#include "freehold/v1/donations.grpc.pb.h"
#include "services/donations/core/admin_access.h"
#include "services/donations/core/donation_claims.h"
#include "services/donations/core/donation_intents.h"
#include "services/donations/core/intake.h"
#include "services/donations/core/read_side.h"

namespace freehold::donations {

// Thread-safe; the core objects must outlive the service.
class DonationsGrpcService final : public freehold::v1::Donations::Service {
 public:
  // Operator calls are logged (account id, token id, call) to `audit`.
  DonationsGrpcService(const WebhookIntake& intake, FundingReport& report, CampaignBook& campaigns,
                       DonorPortal& portal, const AdminAuthorizer& admin, Logger audit,
                       DonationIntents* intents = nullptr, DonationClaims* claims = nullptr);

  grpc::Status IngestEvent(grpc::ServerContext* ctx, const v1::IngestEventRequest* req,
                           v1::IngestEventResponse* resp) override;
  grpc::Status SetExchangeRates(grpc::ServerContext* ctx, const v1::SetExchangeRatesRequest* req,
                                v1::SetExchangeRatesResponse* resp) override;
  grpc::Status GetFundingSummary(grpc::ServerContext* ctx, const v1::GetFundingSummaryRequest* req,
                                 v1::GetFundingSummaryResponse* resp) override;
  grpc::Status CreateCampaign(grpc::ServerContext* ctx, const v1::CreateCampaignRequest* req,
                              v1::CreateCampaignResponse* resp) override;
  grpc::Status CloseCampaign(grpc::ServerContext* ctx, const v1::CloseCampaignRequest* req,
                             v1::CloseCampaignResponse* resp) override;
  grpc::Status GetCampaign(grpc::ServerContext* ctx, const v1::GetCampaignRequest* req,
                           v1::GetCampaignResponse* resp) override;
  grpc::Status ListCampaigns(grpc::ServerContext* ctx, const v1::ListCampaignsRequest* req,
                             v1::ListCampaignsResponse* resp) override;
  grpc::Status ListMyDonations(grpc::ServerContext* ctx, const v1::ListMyDonationsRequest* req,
                               v1::ListMyDonationsResponse* resp) override;
  grpc::Status GetReceipt(grpc::ServerContext* ctx, const v1::GetReceiptRequest* req,
                          v1::GetReceiptResponse* resp) override;
  grpc::Status EraseDonor(grpc::ServerContext* ctx, const v1::EraseDonorRequest* req,
                          v1::EraseDonorResponse* resp) override;
  grpc::Status ListPledges(grpc::ServerContext* ctx, const v1::ListPledgesRequest* req,
                           v1::ListPledgesResponse* resp) override;
  grpc::Status ExportLedger(grpc::ServerContext* ctx, const v1::ExportLedgerRequest* req,
                            grpc::ServerWriter<v1::ExportLedgerChunk>* writer) override;
  // The donor portal's calls (donor_portal_rpcs.cc); UNIMPLEMENTED without `intents`.
  grpc::Status CreateDonationIntent(grpc::ServerContext* ctx,
                                    const v1::CreateDonationIntentRequest* req,
                                    v1::CreateDonationIntentResponse* resp) override;
  grpc::Status ListMyPledges(grpc::ServerContext* ctx, const v1::ListMyPledgesRequest* req,
                             v1::ListMyPledgesResponse* resp) override;
  grpc::Status CancelMyPledge(grpc::ServerContext* ctx, const v1::CancelMyPledgeRequest* req,
                              v1::CancelMyPledgeResponse* resp) override;
  // Claims by e-mail and the notification outbox (donor_portal_rpcs.cc); UNIMPLEMENTED
  // without `claims`.
  grpc::Status RequestDonationClaim(grpc::ServerContext* ctx,
                                    const v1::RequestDonationClaimRequest* req,
                                    v1::RequestDonationClaimResponse* resp) override;
  grpc::Status ConfirmDonationClaim(grpc::ServerContext* ctx,
                                    const v1::ConfirmDonationClaimRequest* req,
                                    v1::ConfirmDonationClaimResponse* resp) override;
  grpc::Status ListNotifications(grpc::ServerContext* ctx,
                                 const v1::ListNotificationsRequest* req,
                                 v1::ListNotificationsResponse* resp) override;
  grpc::Status AckNotifications(grpc::ServerContext* ctx, const v1::AckNotificationsRequest* req,
                                v1::AckNotificationsResponse* resp) override;

 private:
  // OK if the caller's metadata carries a valid operator token (see admin_access.h).
  grpc::Status AuthorizeOperator(grpc::ServerContext* ctx, const char* call) const;

  const WebhookIntake& intake_;
  FundingReport& report_;
  CampaignBook& campaigns_;
  DonorPortal& portal_;
  const AdminAuthorizer& admin_;
  Logger audit_;
  DonationIntents* const intents_;
  DonationClaims* const claims_;
};

}  // namespace freehold::donations
