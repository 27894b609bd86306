// The accounts service as the CLI uses it: one method per RPC, errors as
// absl::Status with user-facing messages (rpc.h). Thread-compatible.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "client/cli/rpc.h"
#include "freehold/v1/accounts.grpc.pb.h"

namespace freehold::cli {

class AccountsApi {
 public:
  explicit AccountsApi(Service service)
      : service_(std::move(service)), stub_(v1::Accounts::NewStub(service_.channel)) {}
  const Service& service() const { return service_; }

  absl::StatusOr<v1::PreLoginResponse> PreLogin(const std::string& handle);
  absl::StatusOr<v1::RegisterResponse> Register(const v1::RegisterRequest& request);
  absl::StatusOr<v1::LoginResponse> Login(const v1::LoginRequest& request);
  absl::StatusOr<v1::RefreshResponse> Refresh(const std::string& refresh_token);
  absl::Status Logout(const std::string& access_token);
  absl::StatusOr<v1::GetAccountResponse> GetAccount(const std::string& access_token);
  // Needs the caller's access token (the server refuses anonymous lookups).
  absl::StatusOr<v1::GetPublicKeyResponse> GetPublicKey(const std::string& handle,
                                                        const std::string& access_token);
  absl::Status ChangePassword(const v1::ChangePasswordRequest& request,
                              const std::string& access_token);
  absl::Status UpgradeKdf(const v1::UpgradeKdfRequest& request, const std::string& access_token);
  absl::StatusOr<v1::GetRecoveryChallengeResponse> GetRecoveryChallenge(const std::string& handle);
  absl::StatusOr<v1::RecoverResponse> Recover(const v1::RecoverRequest& request);
  // Organizations (cmd_orgs.cc).
  absl::StatusOr<v1::CreateOrgResponse> CreateOrg(const v1::CreateOrgRequest& request,
                                                  const std::string& access_token);
  absl::Status AddOrgMember(const v1::AddOrgMemberRequest& request,
                            const std::string& access_token);
  absl::StatusOr<v1::RemoveOrgMemberResponse> RemoveOrgMember(
      const v1::RemoveOrgMemberRequest& request, const std::string& access_token);
  absl::StatusOr<v1::RotateOrgKeyResponse> RotateOrgKey(const v1::RotateOrgKeyRequest& request,
                                                        const std::string& access_token);
  absl::StatusOr<v1::ListOrgsResponse> ListOrgs(const std::string& access_token);
  absl::StatusOr<v1::ListOrgMembersResponse> ListOrgMembers(const std::string& org,
                                                            const std::string& access_token);
  absl::StatusOr<v1::GetOrgKeysResponse> GetOrgKeys(const std::string& org,
                                                    const std::string& access_token);

 private:
  Service service_;
  std::unique_ptr<v1::Accounts::Stub> stub_;
};

}  // namespace freehold::cli
