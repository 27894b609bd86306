// freehold.v1.Accounts over gRPC: a thin translation layer over LoginService,
// SessionService and AccountService. It converts protos to domain types, reads the
// caller's address (fair-use limits) and bearer token from the call, maps statuses 1:1
// (never UNKNOWN) and copies a RESOURCE_EXHAUSTED retry delay into the trailing
// metadata "retry-after-ms".
//
// Internal RPCs (ListDeletedAccounts, AckDeletedAccounts) accept only the coordinator
// role (AuthorizeCallerRole, common/peer_identity.h): with TLS the caller's client
// certificate must be the coordinator's (UNAUTHENTICATED without a certificate,
// PERMISSION_DENIED with another role); a server without TLS (development mode)
// allows them from loopback peers only.
#pragma once

#include <grpcpp/support/server_callback.h>

#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "common/signed_token.h"
#include "freehold/v1/accounts.grpc.pb.h"
#include "services/accounts/core/account_lifecycle.h"
#include "services/accounts/core/orgs.h"
#include "services/accounts/core/owner_notices.h"
#include "services/accounts/core/roles.h"
#include "services/accounts/core/account_service.h"
#include "services/accounts/core/live_token_keys.h"
#include "services/accounts/core/login_service.h"
#include "services/accounts/core/session_service.h"

namespace freehold::accounts {

inline constexpr char kRetryAfterMetadata[] = "retry-after-ms";

// "ipv4:1.2.3.4:5" -> "1.2.3.4", "ipv6:[::1]:5" -> "::1", "unix:/x" -> "unix";
// anything else is returned unchanged.
std::string PeerAddress(std::string_view grpc_peer);

struct AccountsGrpcOptions {
  // Public keys published by GetVerificationKeys, signing key first.
  std::vector<PublicKey> verification_keys;
  std::string audience = "freehold";
  // Whether the server speaks TLS (role checks use client certificates) or not
  // (development mode: internal RPCs from loopback peers only).
  bool tls_enabled = false;
  // Threads that run Login (a blocking database round trip) off gRPC's own threads.
  int login_workers = 4;
  // If set, GetVerificationKeys publishes these keys in force instead of
  // verification_keys (replaced while serving; must outlive the service): every
  // listed key, newest first, the one signing now marked `signing`.
  const LiveTokenKeys* keys = nullptr;
};

// Login and GetVerificationKeys use gRPC's callback API: GetVerificationKeys answers on
// gRPC's thread; Login is handed to `login_workers` threads that block on PostgreSQL
// and finish the call themselves, so no gRPC polling thread ever sleeps on the
// database and a login costs one hand-off instead of the sync server's several.
using AccountsServiceBase = freehold::v1::Accounts::WithCallbackMethod_Login<
    freehold::v1::Accounts::WithCallbackMethod_GetVerificationKeys<
        freehold::v1::Accounts::Service>>;

// Thread-safe. The services must outlive this object; destroy it only after the gRPC
// server has shut down (the destructor drains and joins the login workers).
class AccountsGrpcService final : public AccountsServiceBase {
 public:
  AccountsGrpcService(LoginService& login, SessionService& sessions, AccountService& accounts,
                      AccountsGrpcOptions options);
  ~AccountsGrpcService() override;

  grpc::Status PreLogin(grpc::ServerContext* ctx, const v1::PreLoginRequest* req,
                        v1::PreLoginResponse* resp) override;
  grpc::Status Register(grpc::ServerContext* ctx, const v1::RegisterRequest* req,
                        v1::RegisterResponse* resp) override;
  grpc::ServerUnaryReactor* Login(grpc::CallbackServerContext* ctx, const v1::LoginRequest* req,
                                  v1::LoginResponse* resp) override;
  grpc::Status Refresh(grpc::ServerContext* ctx, const v1::RefreshRequest* req,
                       v1::RefreshResponse* resp) override;
  grpc::Status Logout(grpc::ServerContext* ctx, const v1::LogoutRequest* req,
                      v1::LogoutResponse* resp) override;
  grpc::Status ListSessions(grpc::ServerContext* ctx, const v1::ListSessionsRequest* req,
                            v1::ListSessionsResponse* resp) override;
  grpc::Status RevokeSession(grpc::ServerContext* ctx, const v1::RevokeSessionRequest* req,
                             v1::RevokeSessionResponse* resp) override;
  grpc::Status ChangePassword(grpc::ServerContext* ctx, const v1::ChangePasswordRequest* req,
                              v1::ChangePasswordResponse* resp) override;
  grpc::Status UpgradeKdf(grpc::ServerContext* ctx, const v1::UpgradeKdfRequest* req,
                          v1::UpgradeKdfResponse* resp) override;
  grpc::Status GetRecoveryChallenge(grpc::ServerContext* ctx,
                                    const v1::GetRecoveryChallengeRequest* req,
                                    v1::GetRecoveryChallengeResponse* resp) override;
  grpc::Status Recover(grpc::ServerContext* ctx, const v1::RecoverRequest* req,
                       v1::RecoverResponse* resp) override;
  grpc::Status GetPublicKey(grpc::ServerContext* ctx, const v1::GetPublicKeyRequest* req,
                            v1::GetPublicKeyResponse* resp) override;
  grpc::Status GetAccount(grpc::ServerContext* ctx, const v1::GetAccountRequest* req,
                          v1::GetAccountResponse* resp) override;
  grpc::Status DeleteAccount(grpc::ServerContext* ctx, const v1::DeleteAccountRequest* req,
                             v1::DeleteAccountResponse* resp) override;
  grpc::ServerUnaryReactor* GetVerificationKeys(grpc::CallbackServerContext* ctx,
                                                const v1::GetVerificationKeysRequest* req,
                                                v1::GetVerificationKeysResponse* resp) override;
  grpc::Status ListDeletedAccounts(grpc::ServerContext* ctx,
                                   const v1::ListDeletedAccountsRequest* req,
                                   v1::ListDeletedAccountsResponse* resp) override;
  // Coordinator and donations roles only (AuthorizeCallerRole).
  grpc::Status ListRevokedSessions(grpc::ServerContext* ctx,
                                   const v1::ListRevokedSessionsRequest* req,
                                   v1::ListRevokedSessionsResponse* resp) override;
  grpc::Status AckDeletedAccounts(grpc::ServerContext* ctx,
                                  const v1::AckDeletedAccountsRequest* req,
                                  v1::AckDeletedAccountsResponse* resp) override;
  // Roles (role_rpcs.cc; core/roles.h). FAILED_PRECONDITION until SetRoles is called.
  grpc::Status GrantRole(grpc::ServerContext* ctx, const v1::GrantRoleRequest* req,
                         v1::GrantRoleResponse* resp) override;
  grpc::Status RevokeRole(grpc::ServerContext* ctx, const v1::RevokeRoleRequest* req,
                          v1::RevokeRoleResponse* resp) override;
  grpc::Status ListRoles(grpc::ServerContext* ctx, const v1::ListRolesRequest* req,
                         v1::ListRolesResponse* resp) override;
  // Set once before serving.
  void SetRoles(RoleService* roles) { roles_ = roles; }
  // Abandoned accounts (lifecycle_rpcs.cc). FAILED_PRECONDITION until SetLifecycle.
  grpc::Status GetLifecycleReport(grpc::ServerContext* ctx,
                                  const v1::GetLifecycleReportRequest* req,
                                  v1::GetLifecycleReportResponse* resp) override;
  grpc::Status ListTrashedAccounts(grpc::ServerContext* ctx,
                                   const v1::ListTrashedAccountsRequest* req,
                                   v1::ListTrashedAccountsResponse* resp) override;
  grpc::Status AckTrashedAccounts(grpc::ServerContext* ctx,
                                  const v1::AckTrashedAccountsRequest* req,
                                  v1::AckTrashedAccountsResponse* resp) override;
  // Set once before serving.
  void SetLifecycle(AccountLifecycle* lifecycle) { lifecycle_ = lifecycle; }
  // Organizations (org_rpcs.cc, core/orgs.h). FAILED_PRECONDITION until SetOrgs.
  grpc::Status CreateOrg(grpc::ServerContext* ctx, const v1::CreateOrgRequest* req,
                         v1::CreateOrgResponse* resp) override;
  grpc::Status AddOrgMember(grpc::ServerContext* ctx, const v1::AddOrgMemberRequest* req,
                            v1::AddOrgMemberResponse* resp) override;
  grpc::Status RemoveOrgMember(grpc::ServerContext* ctx, const v1::RemoveOrgMemberRequest* req,
                               v1::RemoveOrgMemberResponse* resp) override;
  grpc::Status ListOrgs(grpc::ServerContext* ctx, const v1::ListOrgsRequest* req,
                        v1::ListOrgsResponse* resp) override;
  grpc::Status ListOrgMembers(grpc::ServerContext* ctx, const v1::ListOrgMembersRequest* req,
                              v1::ListOrgMembersResponse* resp) override;
  grpc::Status GetOrgKeys(grpc::ServerContext* ctx, const v1::GetOrgKeysRequest* req,
                          v1::GetOrgKeysResponse* resp) override;
  grpc::Status RotateOrgKey(grpc::ServerContext* ctx, const v1::RotateOrgKeyRequest* req,
                            v1::RotateOrgKeyResponse* resp) override;
  // Internal: the coordinator role only (CheckInternal).
  grpc::Status CheckOrgMember(grpc::ServerContext* ctx, const v1::CheckOrgMemberRequest* req,
                              v1::CheckOrgMemberResponse* resp) override;
  // Set once before serving.
  void SetOrgs(OrgService* orgs) { orgs_ = orgs; }
  // Internal: the coordinator role only (notice_rpcs.cc, core/owner_notices.h).
  // FAILED_PRECONDITION until SetOwnerNotices.
  grpc::Status RecordOwnerNotices(grpc::ServerContext* ctx,
                                  const v1::RecordOwnerNoticesRequest* req,
                                  v1::RecordOwnerNoticesResponse* resp) override;
  // Set once before serving.
  void SetOwnerNotices(OwnerNotices* notices) { notices_ = notices; }

 private:
  absl::StatusOr<AuthContext> Authenticate(grpc::ServerContext* ctx);
  absl::Status CheckInternal(const grpc::ServerContext& ctx) const;
  grpc::Status DoLogin(grpc::CallbackServerContext* ctx, const v1::LoginRequest* req,
                       v1::LoginResponse* resp);
  // Logins waiting for a worker at most; beyond it Login answers RESOURCE_EXHAUSTED.
  static constexpr size_t kMaxQueuedLogins = 4096;
  // Queues `job` for a worker; false (job dropped) when kMaxQueuedLogins are waiting.
  bool Enqueue(std::function<void()> job);
  void WorkerLoop();

  LoginService& login_;
  SessionService& sessions_;
  AccountService& accounts_;
  RoleService* roles_ = nullptr;
  AccountLifecycle* lifecycle_ = nullptr;
  OrgService* orgs_ = nullptr;
  OwnerNotices* notices_ = nullptr;
  const AccountsGrpcOptions options_;

  absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> workers_;
};

}  // namespace freehold::accounts
