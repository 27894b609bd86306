// AccountsGrpcService: organizations (core/orgs.h).
#include "common/grpc_status.h"
#include "services/accounts/grpc/accounts_grpc_service.h"

namespace freehold::accounts {
namespace {

grpc::Status NoOrgs() {
  return ToGrpcStatus(
      absl::FailedPreconditionError("organizations are not configured on this server"));
}

void ToProto(const OrgRecord& org, v1::Org* out) {
  out->set_org_id(org.org_id);
  out->set_name(org.name);
  out->set_public_key(org.public_key);
  out->set_generation(org.generation);
  out->set_rotation_due(org.rotation_due);
}

std::vector<OrgKeyWrap> FromProto(
    const google::protobuf::RepeatedPtrField<v1::OrgKeyWrap>& keys) {
  std::vector<OrgKeyWrap> out;
  out.reserve(keys.size());
  for (const v1::OrgKeyWrap& k : keys) {
    out.push_back(OrgKeyWrap{k.account_id(), k.generation(), k.wrapped()});
  }
  return out;
}

}  // namespace

grpc::Status AccountsGrpcService::CreateOrg(grpc::ServerContext* ctx,
                                            const v1::CreateOrgRequest* req,
                                            v1::CreateOrgResponse* resp) {
  if (orgs_ == nullptr) return NoOrgs();
  absl::StatusOr<AuthContext> auth = Authenticate(ctx);
  if (!auth.ok()) return ToGrpcStatus(auth.status());
  absl::StatusOr<OrgRecord> org =
      orgs_->Create(*auth, req->name(), req->public_key(), req->wrapped_key());
  if (!org.ok()) return ToGrpcStatus(org.status());
  ToProto(*org, resp->mutable_org());
  resp->mutable_org()->set_role(kOrgOwner);
  resp->mutable_org()->set_members(1);
  return grpc::Status::OK;
}

grpc::Status AccountsGrpcService::AddOrgMember(grpc::ServerContext* ctx,
                                               const v1::AddOrgMemberRequest* req,
                                               v1::AddOrgMemberResponse*) {
  if (orgs_ == nullptr) return NoOrgs();
  absl::StatusOr<AuthContext> auth = Authenticate(ctx);
  if (!auth.ok()) return ToGrpcStatus(auth.status());
  return ToGrpcStatus(orgs_->AddMember(*auth, req->org(), req->handle(), req->role(),
                                       req->expected_generation(), FromProto(req->keys())));
}

grpc::Status AccountsGrpcService::RemoveOrgMember(grpc::ServerContext* ctx,
                                                  const v1::RemoveOrgMemberRequest* req,
                                                  v1::RemoveOrgMemberResponse* resp) {
  if (orgs_ == nullptr) return NoOrgs();
  absl::StatusOr<AuthContext> auth = Authenticate(ctx);
  if (!auth.ok()) return ToGrpcStatus(auth.status());
  absl::StatusOr<int> generation =
      orgs_->RemoveMember(*auth, req->org(), req->handle(), req->expected_generation(),
                          req->new_public_key(), FromProto(req->keys()));
  if (!generation.ok()) return ToGrpcStatus(generation.status());
  resp->set_generation(*generation);
  return grpc::Status::OK;
}

grpc::Status AccountsGrpcService::ListOrgs(grpc::ServerContext* ctx, const v1::ListOrgsRequest*,
                                           v1::ListOrgsResponse* resp) {
  if (orgs_ == nullptr) return NoOrgs();
  absl::StatusOr<AuthContext> auth = Authenticate(ctx);
  if (!auth.ok()) return ToGrpcStatus(auth.status());
  absl::StatusOr<std::vector<OrgSummary>> orgs = orgs_->List(*auth);
  if (!orgs.ok()) return ToGrpcStatus(orgs.status());
  for (const OrgSummary& s : *orgs) {
    v1::Org* o = resp->add_orgs();
    ToProto(s.org, o);
    o->set_role(s.role);
    o->set_members(s.members);
  }
  return grpc::Status::OK;
}

grpc::Status AccountsGrpcService::ListOrgMembers(grpc::ServerContext* ctx,
                                                 const v1::ListOrgMembersRequest* req,
                                                 v1::ListOrgMembersResponse* resp) {
  if (orgs_ == nullptr) return NoOrgs();
  absl::StatusOr<AuthContext> auth = Authenticate(ctx);
  if (!auth.ok()) return ToGrpcStatus(auth.status());
  auto members = orgs_->Members(*auth, req->org());
  if (!members.ok()) return ToGrpcStatus(members.status());
  ToProto(members->first, resp->mutable_org());
  resp->mutable_org()->set_members(static_cast<int>(members->second.size()));
  for (const OrgMemberInfo& m : members->second) {
    if (m.account_id == auth->account_id) resp->mutable_org()->set_role(m.role);
    v1::OrgMember* out = resp->add_members();
    out->set_account_id(m.account_id);
    out->set_handle(m.handle);
    out->set_public_key(m.public_key);
    out->set_role(m.role);
    out->set_added_at_unix_ms(absl::ToUnixMillis(m.added_at));
  }
  return grpc::Status::OK;
}

grpc::Status AccountsGrpcService::GetOrgKeys(grpc::ServerContext* ctx,
                                             const v1::GetOrgKeysRequest* req,
                                             v1::GetOrgKeysResponse* resp) {
  if (orgs_ == nullptr) return NoOrgs();
  absl::StatusOr<AuthContext> auth = Authenticate(ctx);
  if (!auth.ok()) return ToGrpcStatus(auth.status());
  auto keys = orgs_->Keys(*auth, req->org());
  if (!keys.ok()) return ToGrpcStatus(keys.status());
  ToProto(keys->first, resp->mutable_org());
  for (const OrgKeyWrap& k : keys->second) {
    v1::OrgKeyWrap* out = resp->add_keys();
    out->set_account_id(k.account_id);
    out->set_generation(k.generation);
    out->set_wrapped(k.wrapped);
  }
  return grpc::Status::OK;
}

grpc::Status AccountsGrpcService::RotateOrgKey(grpc::ServerContext* ctx,
                                               const v1::RotateOrgKeyRequest* req,
                                               v1::RotateOrgKeyResponse* resp) {
  if (orgs_ == nullptr) return NoOrgs();
  absl::StatusOr<AuthContext> auth = Authenticate(ctx);
  if (!auth.ok()) return ToGrpcStatus(auth.status());
  absl::StatusOr<int> generation = orgs_->RotateKey(
      *auth, req->org(), req->expected_generation(), req->new_public_key(), FromProto(req->keys()));
  if (!generation.ok()) return ToGrpcStatus(generation.status());
  resp->set_generation(*generation);
  return grpc::Status::OK;
}

grpc::Status AccountsGrpcService::CheckOrgMember(grpc::ServerContext* ctx,
                                                 const v1::CheckOrgMemberRequest* req,
                                                 v1::CheckOrgMemberResponse* resp) {
  if (absl::Status s = CheckInternal(*ctx); !s.ok()) return ToGrpcStatus(s);
  if (orgs_ == nullptr) return NoOrgs();
  absl::StatusOr<std::string> role = orgs_->RoleById(req->org_id(), req->account_id());
  if (!role.ok()) return ToGrpcStatus(role.status());
  resp->set_role(*role);
  return grpc::Status::OK;
}

}  // namespace freehold::accounts
