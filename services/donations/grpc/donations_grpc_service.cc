// gRPC translation layer for freehold.v1.Donations (see donations_grpc_service.h).
#include "services/donations/grpc/donations_grpc_service.h"

#include <google/protobuf/util/time_util.h>

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/grpc_status.h"
#include "services/donations/core/exchange_rate.h"
#include "services/donations/grpc/proto_convert.h"

namespace freehold::donations {
namespace {

using google::protobuf::Timestamp;

// INVALID_ARGUMENT naming `field` if the timestamp is out of the protobuf range.
absl::StatusOr<absl::Time> FromProto(const Timestamp& ts, absl::string_view field) {
  using google::protobuf::util::TimeUtil;
  if (ts.seconds() < TimeUtil::kTimestampMinSeconds ||
      ts.seconds() > TimeUtil::kTimestampMaxSeconds || ts.nanos() < 0 || ts.nanos() > 999999999) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": invalid timestamp"));
  }
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

v1::LedgerEntryKind KindToProto(EntryKind kind) {
  switch (kind) {
    case EntryKind::kOneOff:
      return v1::LEDGER_ENTRY_KIND_ONE_OFF;
    case EntryKind::kRecurring:
      return v1::LEDGER_ENTRY_KIND_RECURRING;
    case EntryKind::kRefund:
      return v1::LEDGER_ENTRY_KIND_REFUND;
    case EntryKind::kChargeback:
      return v1::LEDGER_ENTRY_KIND_CHARGEBACK;
  }
  return v1::LEDGER_ENTRY_KIND_UNSPECIFIED;
}

void EntryToProto(const LedgerEntry& e, const std::string& base_currency, v1::LedgerEntry* out) {
  out->set_entry_id(e.entry_id);
  ToProto(e.at, out->mutable_at());
  out->set_kind(KindToProto(e.kind));
  out->mutable_amount()->set_amount_minor(e.amount_minor);
  out->mutable_amount()->set_currency(e.currency);
  out->set_rate_to_base(e.rate_to_base);
  out->mutable_base_amount()->set_amount_minor(e.base_amount_minor);
  out->mutable_base_amount()->set_currency(base_currency);
  out->set_campaign_id(e.campaign_id);
  out->set_pledge_id(e.pledge_id);
  out->set_reverses_entry_id(e.reverses_entry_id);
  out->set_provider(e.provider);
  out->set_provider_event_id(e.provider_event_id);
}

void CampaignToProto(const Campaign& c, v1::Campaign* out) {
  out->set_campaign_id(c.campaign_id);
  out->set_title(c.title);
  out->set_description(c.description);
  out->set_goal_base_minor(c.goal_base_minor);
  if (c.start) ToProto(*c.start, out->mutable_start());
  if (c.end) ToProto(*c.end, out->mutable_end());
  out->set_raised_base_minor(c.raised_base_minor);
  out->set_progress(CampaignBook::Progress(c));
  out->set_donations(c.donations);
}

v1::IngestResult ResultToProto(IngestOutcome o) {
  switch (o) {
    case IngestOutcome::kRecorded:
      return v1::INGEST_RESULT_RECORDED;
    case IngestOutcome::kDuplicate:
      return v1::INGEST_RESULT_DUPLICATE;
    case IngestOutcome::kParked:
      return v1::INGEST_RESULT_PARKED;
    case IngestOutcome::kStoredForReview:
      return v1::INGEST_RESULT_STORED_FOR_REVIEW;
  }
  return v1::INGEST_RESULT_UNSPECIFIED;
}

}  // namespace

DonationsGrpcService::DonationsGrpcService(const WebhookIntake& intake, FundingReport& report,
                                           CampaignBook& campaigns, DonorPortal& portal,
                                           const AdminAuthorizer& admin, Logger audit,
                                           DonationIntents* intents, DonationClaims* claims)
    : intake_(intake),
      report_(report),
      campaigns_(campaigns),
      portal_(portal),
      admin_(admin),
      audit_(std::move(audit)),
      intents_(intents),
      claims_(claims) {}

grpc::Status DonationsGrpcService::AuthorizeOperator(grpc::ServerContext* ctx,
                                                     const char* call) const {
  std::string authorization;
  const auto& metadata = ctx->client_metadata();
  auto it = metadata.find("authorization");
  if (it != metadata.end()) authorization.assign(it->second.data(), it->second.size());
  absl::StatusOr<AdminCaller> caller = admin_.Authorize(authorization);
  if (!caller.ok()) {
    audit_.Warn("operator call refused", {{"call", call}, {"error", caller.status()}});
    return ToGrpcStatus(caller.status());
  }
  audit_.Info("operator call",
              {{"call", call}, {"account_id", caller->account_id}, {"token_id", caller->token_id}});
  return grpc::Status::OK;
}

grpc::Status DonationsGrpcService::IngestEvent(grpc::ServerContext*,
                                               const v1::IngestEventRequest* req,
                                               v1::IngestEventResponse* resp) {
  if (req->provider().empty()) {
    return ToGrpcStatus(absl::InvalidArgumentError("provider: required (e.g. \"stripe\")"));
  }
  Headers headers;
  headers.reserve(req->headers_size());
  for (const auto& h : req->headers()) headers.emplace_back(h.name(), h.value());
  absl::StatusOr<IngestResponse> r = intake_.Ingest(req->provider(), headers, req->raw_body());
  if (!r.ok()) return ToGrpcStatus(r.status());
  resp->set_result(ResultToProto(r->outcome));
  resp->set_event_id(r->event_id);
  resp->set_donor_token(r->donor_token);
  return grpc::Status::OK;
}

grpc::Status DonationsGrpcService::SetExchangeRates(grpc::ServerContext* ctx,
                                                    const v1::SetExchangeRatesRequest* req,
                                                    v1::SetExchangeRatesResponse* resp) {
  if (grpc::Status a = AuthorizeOperator(ctx, "SetExchangeRates"); !a.ok()) return a;
  std::vector<RateRow> rows;
  for (int i = 0; i < req->rates_size(); ++i) {
    const v1::ExchangeRate& r = req->rates(i);
    const std::string field = absl::StrCat("rates[", i, "]");
    RateRow row;
    row.currency = r.currency();
    absl::StatusOr<DecimalRate> rate = ParseRate(r.rate_to_base(), field + ".rate_to_base");
    if (!rate.ok()) return ToGrpcStatus(rate.status());
    row.rate = *rate;
    if (!r.has_effective_from()) {
      return ToGrpcStatus(absl::InvalidArgumentError(field + ".effective_from: required"));
    }
    absl::StatusOr<absl::Time> t = FromProto(r.effective_from(), field + ".effective_from");
    if (!t.ok()) return ToGrpcStatus(t.status());
    row.effective_from = *t;
    rows.push_back(std::move(row));
  }
  absl::StatusOr<int> stored = report_.SetExchangeRates(rows);
  if (!stored.ok()) return ToGrpcStatus(stored.status());
  resp->set_stored(static_cast<uint32_t>(*stored));
  return grpc::Status::OK;
}

grpc::Status DonationsGrpcService::GetFundingSummary(grpc::ServerContext*,
                                                     const v1::GetFundingSummaryRequest* req,
                                                     v1::GetFundingSummaryResponse* resp) {
  absl::StatusOr<FundingSummary> s = report_.Summary(req->months());
  if (!s.ok()) return ToGrpcStatus(s.status());
  resp->set_base_currency(s->base_currency);
  for (const MonthTotal& m : s->months) {
    v1::MonthTotal* out = resp->add_months();
    out->set_month(m.month);
    out->set_currency(m.currency);
    out->set_gross_minor(m.gross_minor);
    out->set_reversed_minor(m.reversed_minor);
    out->set_net_minor(m.net_minor);
    out->set_net_base_minor(m.net_base_minor);
  }
  resp->set_balance_base_minor(s->balance_base_minor);
  resp->set_monthly_recurring_base_minor(s->monthly_recurring_base_minor);
  resp->set_trailing_one_off_average_base_minor(s->trailing_one_off_average_base_minor);
  resp->set_this_month_net_base_minor(s->this_month_net_base_minor);
  resp->set_donor_count(s->donor_count);
  ToProto(s->as_of, resp->mutable_as_of());
  return grpc::Status::OK;
}

grpc::Status DonationsGrpcService::CreateCampaign(grpc::ServerContext* ctx,
                                                  const v1::CreateCampaignRequest* req,
                                                  v1::CreateCampaignResponse* resp) {
  if (grpc::Status a = AuthorizeOperator(ctx, "CreateCampaign"); !a.ok()) return a;
  Campaign c;
  c.title = req->title();
  c.description = req->description();
  c.goal_base_minor = req->goal_base_minor();
  if (req->has_start()) {
    absl::StatusOr<absl::Time> t = FromProto(req->start(), "start");
    if (!t.ok()) return ToGrpcStatus(t.status());
    c.start = *t;
  }
  if (req->has_end()) {
    absl::StatusOr<absl::Time> t = FromProto(req->end(), "end");
    if (!t.ok()) return ToGrpcStatus(t.status());
    c.end = *t;
  }
  absl::StatusOr<Campaign> created = campaigns_.Create(std::move(c));
  if (!created.ok()) return ToGrpcStatus(created.status());
  CampaignToProto(*created, resp->mutable_campaign());
  return grpc::Status::OK;
}

grpc::Status DonationsGrpcService::CloseCampaign(grpc::ServerContext* ctx,
                                                 const v1::CloseCampaignRequest* req,
                                                 v1::CloseCampaignResponse* resp) {
  if (grpc::Status a = AuthorizeOperator(ctx, "CloseCampaign"); !a.ok()) return a;
  absl::StatusOr<Campaign> closed = campaigns_.Close(req->campaign_id());
  if (!closed.ok()) return ToGrpcStatus(closed.status());
  CampaignToProto(*closed, resp->mutable_campaign());
  return grpc::Status::OK;
}

grpc::Status DonationsGrpcService::GetCampaign(grpc::ServerContext*,
                                               const v1::GetCampaignRequest* req,
                                               v1::GetCampaignResponse* resp) {
  absl::StatusOr<Campaign> c = campaigns_.Get(req->campaign_id());
  if (!c.ok()) return ToGrpcStatus(c.status());
  CampaignToProto(*c, resp->mutable_campaign());
  return grpc::Status::OK;
}

grpc::Status DonationsGrpcService::ListCampaigns(grpc::ServerContext*,
                                                 const v1::ListCampaignsRequest* req,
                                                 v1::ListCampaignsResponse* resp) {
  absl::StatusOr<PageSpec> page =
      ParsePage(req->page().page_size(), req->page().page_token(), "page");
  if (!page.ok()) return ToGrpcStatus(page.status());
  absl::StatusOr<std::vector<Campaign>> list = campaigns_.List(req->live_only(), *page);
  if (!list.ok()) return ToGrpcStatus(list.status());
  for (const Campaign& c : *list) CampaignToProto(c, resp->add_campaigns());
  resp->set_next_page_token(NextPageToken(*page, list->size()));
  return grpc::Status::OK;
}

grpc::Status DonationsGrpcService::ListMyDonations(grpc::ServerContext*,
                                                   const v1::ListMyDonationsRequest* req,
                                                   v1::ListMyDonationsResponse* resp) {
  absl::StatusOr<PageSpec> page =
      ParsePage(req->page().page_size(), req->page().page_token(), "page");
  if (!page.ok()) return ToGrpcStatus(page.status());
  absl::StatusOr<std::vector<LedgerEntry>> entries =
      portal_.ListMyDonations(req->donor_token(), *page);
  if (!entries.ok()) return ToGrpcStatus(entries.status());
  for (const LedgerEntry& e : *entries)
    EntryToProto(e, report_.base_currency(), resp->add_entries());
  resp->set_next_page_token(NextPageToken(*page, entries->size()));
  return grpc::Status::OK;
}

grpc::Status DonationsGrpcService::GetReceipt(grpc::ServerContext*,
                                              const v1::GetReceiptRequest* req,
                                              v1::GetReceiptResponse* resp) {
  absl::StatusOr<Receipt> r = portal_.GetReceipt(req->donor_token(), req->entry_id());
  if (!r.ok()) return ToGrpcStatus(r.status());
  EntryToProto(r->entry, report_.base_currency(), resp->mutable_entry());
  resp->set_receipt_text(r->text);
  resp->set_signature(r->signature);
  return grpc::Status::OK;
}

grpc::Status DonationsGrpcService::EraseDonor(grpc::ServerContext* ctx,
                                              const v1::EraseDonorRequest* req,
                                              v1::EraseDonorResponse* resp) {
  const bool by_contact =
      !req->provider().empty() || !req->customer_ref().empty() || !req->email().empty();
  if (!req->donor_token().empty()) {
    // The donor's own request: the donor token is the credential.
    if (by_contact) {
      return ToGrpcStatus(absl::InvalidArgumentError(
          "donor_token: give either donor_token (donor) or provider with customer_ref/email "
          "(operator), not both"));
    }
    absl::Status s = portal_.Erase(req->donor_token());
    if (!s.ok()) return ToGrpcStatus(s);
    resp->set_erased(1);
    return grpc::Status::OK;
  }
  if (grpc::Status a = AuthorizeOperator(ctx, "EraseDonor"); !a.ok()) return a;
  if (!by_contact) {
    return ToGrpcStatus(absl::InvalidArgumentError(
        "donor_token: required, or (operators) provider with customer_ref or email"));
  }
  absl::StatusOr<int> erased =
      portal_.EraseByContact(req->provider(), req->customer_ref(), req->email());
  if (!erased.ok()) return ToGrpcStatus(erased.status());
  audit_.Info("donor personal data erased by an operator",
              {{"provider", req->provider()}, {"donors", *erased}});
  resp->set_erased(static_cast<uint32_t>(*erased));
  return grpc::Status::OK;
}

grpc::Status DonationsGrpcService::ListPledges(grpc::ServerContext* ctx,
                                               const v1::ListPledgesRequest* req,
                                               v1::ListPledgesResponse* resp) {
  if (grpc::Status a = AuthorizeOperator(ctx, "ListPledges"); !a.ok()) return a;
  absl::StatusOr<PageSpec> page =
      ParsePage(req->page().page_size(), req->page().page_token(), "page");
  if (!page.ok()) return ToGrpcStatus(page.status());
  absl::StatusOr<std::vector<Pledge>> pledges = report_.ListPledges(req->active_only(), *page);
  if (!pledges.ok()) return ToGrpcStatus(pledges.status());
  for (const Pledge& p : *pledges) PledgeToProto(p, resp->add_pledges());
  resp->set_next_page_token(NextPageToken(*page, pledges->size()));
  return grpc::Status::OK;
}

grpc::Status DonationsGrpcService::ExportLedger(grpc::ServerContext* ctx,
                                                const v1::ExportLedgerRequest* req,
                                                grpc::ServerWriter<v1::ExportLedgerChunk>* writer) {
  if (grpc::Status a = AuthorizeOperator(ctx, "ExportLedger"); !a.ok()) return a;
  if (!req->has_range() || !req->range().has_start() || !req->range().has_end()) {
    return ToGrpcStatus(absl::InvalidArgumentError("range: start and end are required"));
  }
  absl::StatusOr<absl::Time> start = FromProto(req->range().start(), "range.start");
  if (!start.ok()) return ToGrpcStatus(start.status());
  absl::StatusOr<absl::Time> end = FromProto(req->range().end(), "range.end");
  if (!end.ok()) return ToGrpcStatus(end.status());
  absl::Status s = report_.ExportCsv(*start, *end, 500, [&](const std::string& csv) {
    if (ctx->IsCancelled()) return false;
    v1::ExportLedgerChunk chunk;
    chunk.set_csv(csv);
    return writer->Write(chunk);
  });
  return ToGrpcStatus(s);
}

}  // namespace freehold::donations
