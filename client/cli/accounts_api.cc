#include "client/cli/accounts_api.h"

namespace freehold::cli {

absl::StatusOr<v1::PreLoginResponse> AccountsApi::PreLogin(const std::string& handle) {
  grpc::ClientContext ctx;
  PrepareCall(&ctx);
  v1::PreLoginRequest req;
  req.set_handle(handle);
  v1::PreLoginResponse resp;
  grpc::Status st = stub_->PreLogin(&ctx, req, &resp);
  if (!st.ok()) return CallFailed(st, ctx, service_, "pre-login");
  return resp;
}

absl::StatusOr<v1::RegisterResponse> AccountsApi::Register(const v1::RegisterRequest& req) {
  grpc::ClientContext ctx;
  PrepareCall(&ctx);
  v1::RegisterResponse resp;
  grpc::Status st = stub_->Register(&ctx, req, &resp);
  if (!st.ok()) return CallFailed(st, ctx, service_, "sign-up");
  return resp;
}

absl::StatusOr<v1::LoginResponse> AccountsApi::Login(const v1::LoginRequest& req) {
  grpc::ClientContext ctx;
  PrepareCall(&ctx);
  v1::LoginResponse resp;
  grpc::Status st = stub_->Login(&ctx, req, &resp);
  if (!st.ok()) return CallFailed(st, ctx, service_, "login");
  return resp;
}

absl::StatusOr<v1::RefreshResponse> AccountsApi::Refresh(const std::string& refresh_token) {
  grpc::ClientContext ctx;
  PrepareCall(&ctx);
  v1::RefreshRequest req;
  req.set_refresh_token(refresh_token);
  v1::RefreshResponse resp;
  grpc::Status st = stub_->Refresh(&ctx, req, &resp);
  if (!st.ok()) return CallFailed(st, ctx, service_, "session refresh");
  return resp;
}

absl::Status AccountsApi::Logout(const std::string& access_token) {
  grpc::ClientContext ctx;
  PrepareCall(&ctx, kDefaultRpcTimeout, access_token);
  v1::LogoutResponse resp;
  grpc::Status st = stub_->Logout(&ctx, v1::LogoutRequest(), &resp);
  if (!st.ok()) return CallFailed(st, ctx, service_, "logout");
  return absl::OkStatus();
}

absl::StatusOr<v1::GetAccountResponse> AccountsApi::GetAccount(const std::string& access_token) {
  grpc::ClientContext ctx;
  PrepareCall(&ctx, kDefaultRpcTimeout, access_token);
  v1::GetAccountResponse resp;
  grpc::Status st = stub_->GetAccount(&ctx, v1::GetAccountRequest(), &resp);
  if (!st.ok()) return CallFailed(st, ctx, service_, "account lookup");
  return resp;
}

absl::StatusOr<v1::GetPublicKeyResponse> AccountsApi::GetPublicKey(
    const std::string& handle, const std::string& access_token) {
  grpc::ClientContext ctx;
  PrepareCall(&ctx, kDefaultRpcTimeout, access_token);
  v1::GetPublicKeyRequest req;
  req.set_handle(handle);
  v1::GetPublicKeyResponse resp;
  grpc::Status st = stub_->GetPublicKey(&ctx, req, &resp);
  if (!st.ok()) return CallFailed(st, ctx, service_, "public key of " + handle);
  return resp;
}

absl::Status AccountsApi::ChangePassword(const v1::ChangePasswordRequest& req,
                                         const std::string& access_token) {
  grpc::ClientContext ctx;
  PrepareCall(&ctx, kDefaultRpcTimeout, access_token);
  v1::ChangePasswordResponse resp;
  grpc::Status st = stub_->ChangePassword(&ctx, req, &resp);
  if (!st.ok()) return CallFailed(st, ctx, service_, "password change");
  return absl::OkStatus();
}

absl::Status AccountsApi::UpgradeKdf(const v1::UpgradeKdfRequest& req,
                                     const std::string& access_token) {
  grpc::ClientContext ctx;
  PrepareCall(&ctx, kDefaultRpcTimeout, access_token);
  v1::UpgradeKdfResponse resp;
  grpc::Status st = stub_->UpgradeKdf(&ctx, req, &resp);
  if (!st.ok()) return CallFailed(st, ctx, service_, "password hashing upgrade");
  return absl::OkStatus();
}

absl::StatusOr<v1::GetRecoveryChallengeResponse> AccountsApi::GetRecoveryChallenge(
    const std::string& handle) {
  grpc::ClientContext ctx;
  PrepareCall(&ctx);
  v1::GetRecoveryChallengeRequest req;
  req.set_handle(handle);
  v1::GetRecoveryChallengeResponse resp;
  grpc::Status st = stub_->GetRecoveryChallenge(&ctx, req, &resp);
  if (!st.ok()) return CallFailed(st, ctx, service_, "recovery challenge");
  return resp;
}

absl::StatusOr<v1::RecoverResponse> AccountsApi::Recover(const v1::RecoverRequest& req) {
  grpc::ClientContext ctx;
  PrepareCall(&ctx);
  v1::RecoverResponse resp;
  grpc::Status st = stub_->Recover(&ctx, req, &resp);
  if (!st.ok()) return CallFailed(st, ctx, service_, "recovery");
  return resp;
}

// Organizations: one call each, errors named after the operation.
#define FH_ORG_CALL(Method, Req, Resp, what)                       \
  grpc::ClientContext ctx;                                         \
  PrepareCall(&ctx, kDefaultRpcTimeout, access_token);             \
  Resp resp;                                                       \
  grpc::Status st = stub_->Method(&ctx, Req, &resp);               \
  if (!st.ok()) return CallFailed(st, ctx, service_, what);

absl::StatusOr<v1::CreateOrgResponse> AccountsApi::CreateOrg(const v1::CreateOrgRequest& req,
                                                             const std::string& access_token) {
  FH_ORG_CALL(CreateOrg, req, v1::CreateOrgResponse, "organization creation");
  return resp;
}

absl::Status AccountsApi::AddOrgMember(const v1::AddOrgMemberRequest& req,
                                       const std::string& access_token) {
  FH_ORG_CALL(AddOrgMember, req, v1::AddOrgMemberResponse, "adding a member");
  return absl::OkStatus();
}

absl::StatusOr<v1::RotateOrgKeyResponse> AccountsApi::RotateOrgKey(
    const v1::RotateOrgKeyRequest& req, const std::string& access_token) {
  FH_ORG_CALL(RotateOrgKey, req, v1::RotateOrgKeyResponse, "rotating the organization key");
  return resp;
}

absl::StatusOr<v1::RemoveOrgMemberResponse> AccountsApi::RemoveOrgMember(
    const v1::RemoveOrgMemberRequest& req, const std::string& access_token) {
  FH_ORG_CALL(RemoveOrgMember, req, v1::RemoveOrgMemberResponse, "removing a member");
  return resp;
}

absl::StatusOr<v1::ListOrgsResponse> AccountsApi::ListOrgs(const std::string& access_token) {
  v1::ListOrgsRequest req;
  FH_ORG_CALL(ListOrgs, req, v1::ListOrgsResponse, "listing organizations");
  return resp;
}

absl::StatusOr<v1::ListOrgMembersResponse> AccountsApi::ListOrgMembers(
    const std::string& org, const std::string& access_token) {
  v1::ListOrgMembersRequest req;
  req.set_org(org);
  FH_ORG_CALL(ListOrgMembers, req, v1::ListOrgMembersResponse, "members of " + org);
  return resp;
}

absl::StatusOr<v1::GetOrgKeysResponse> AccountsApi::GetOrgKeys(const std::string& org,
                                                               const std::string& access_token) {
  v1::GetOrgKeysRequest req;
  req.set_org(org);
  FH_ORG_CALL(GetOrgKeys, req, v1::GetOrgKeysResponse, "keys of " + org);
  return resp;
}

#undef FH_ORG_CALL

}  // namespace freehold::cli
