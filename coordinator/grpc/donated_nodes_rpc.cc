// Donated disks (core/node_donations.h, core/inkind_valuation.h): the operator calls
// DonateNode and WithdrawNodeDonation, and the records shown by ClusterStatus.
#include "absl/strings/str_cat.h"
#include "common/grpc_status.h"
#include "common/peer_identity.h"
#include "coordinator/grpc/coordinator_service.h"

namespace freehold::coordinator {
namespace {

void ToProto(const DonatedNodeValue& v, const funding::CostModel* cost_model,
             v1::NodeDonationInfo* out) {
  const NodeDonation& d = v.donation;
  out->set_node_id(d.node_id);
  out->set_donated_by(d.donated_by);
  out->set_terms(d.terms);
  out->set_approved_by(d.approved_by);
  SetTime(d.approved_at, out->mutable_approved_at());
  out->set_cap_bytes(d.cap_bytes);
  out->set_counting(v.counting);
  out->set_not_counting_reason(v.reason);
  out->set_counted_raw_bytes(v.counted_raw_bytes);
  out->set_reputation(v.reputation);
  if (cost_model != nullptr) {
    out->set_value_base_minor(funding::InKindValueMinor(v.counted_raw_bytes, *cost_model));
  }
}

}  // namespace

absl::StatusOr<std::string> CoordinatorGrpcService::OperatorName(
    const grpc::ServerContext& ctx) const {
  if (absl::Status s = CheckOperator(ctx); !s.ok()) return s;
  if (std::optional<PeerIdentity> who = CallerIdentity(ctx); who.has_value()) {
    return absl::StrCat("cert:", who->id);
  }
  absl::StatusOr<Caller> caller = p_.tokens.AuthenticateOperator(AuthorizationOf(ctx));
  if (!caller.ok()) return caller.status();
  return absl::StrCat("account:", caller->account_id);
}

absl::Status CoordinatorGrpcService::AddDonations(v1::ClusterStatusResponse* resp) const {
  if (p_.inkind != nullptr) {
    absl::StatusOr<InKindValuation> valued = p_.inkind->Read();
    if (!valued.ok()) return valued.status();
    for (const DonatedNodeValue& v : valued->nodes) {
      ToProto(v, p_.cost_model, resp->add_node_donations());
    }
    return absl::OkStatus();
  }
  if (p_.donations == nullptr) return absl::OkStatus();
  absl::StatusOr<std::vector<NodeDonation>> list = p_.donations->List();
  if (!list.ok()) return list.status();
  for (const NodeDonation& d : *list) {
    DonatedNodeValue v;
    v.donation = d;
    v.reason = "not valued";
    ToProto(v, nullptr, resp->add_node_donations());
  }
  return absl::OkStatus();
}

grpc::Status CoordinatorGrpcService::DonateNode(grpc::ServerContext* ctx,
                                                const v1::DonateNodeRequest* req,
                                                v1::DonateNodeResponse* resp) {
  absl::StatusOr<std::string> who = OperatorName(*ctx);
  if (!who.ok()) return ToGrpcStatus(who.status());
  if (p_.donations == nullptr) {
    return ToGrpcStatus(
        absl::UnimplementedError("donated disks are not enabled on this coordinator"));
  }
  absl::StatusOr<NodeDonation> d = p_.donations->Donate(req->node_id(), req->donated_by(),
                                                        req->terms(), req->cap_bytes(), *who);
  if (!d.ok()) return ToGrpcStatus(d.status());
  DonatedNodeValue v;
  v.donation = *d;
  v.reason = "valued at the next funding refresh";
  ToProto(v, nullptr, resp->mutable_donation());
  return grpc::Status::OK;
}

grpc::Status CoordinatorGrpcService::WithdrawNodeDonation(
    grpc::ServerContext* ctx, const v1::WithdrawNodeDonationRequest* req,
    v1::WithdrawNodeDonationResponse*) {
  if (absl::Status s = CheckOperator(*ctx); !s.ok()) return ToGrpcStatus(s);
  if (p_.donations == nullptr) {
    return ToGrpcStatus(
        absl::UnimplementedError("donated disks are not enabled on this coordinator"));
  }
  return ToGrpcStatus(p_.donations->Withdraw(req->node_id()));
}

}  // namespace freehold::coordinator
