#include "services/accounts/grpc/accounts_grpc_service.h"

#include <grpcpp/server_context.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/grpc_status.h"
#include "common/peer_identity.h"
#include "common/signed_token.h"
#include "common/status.h"
#include "services/accounts/core/internal/absl_view.h"

namespace freehold::accounts {
namespace {

void SetTime(absl::Time t, google::protobuf::Timestamp* out) {
  const int64_t us = absl::ToUnixMicros(t);
  int64_t secs = us / 1000000;
  int64_t rem = us % 1000000;
  if (rem < 0) {
    rem += 1000000;
    secs -= 1;
  }
  out->set_seconds(secs);
  out->set_nanos(static_cast<int32_t>(rem * 1000));
}

KdfParams FromProto(const v1::KdfParams& p) {
  return KdfParams{p.ops_limit(), p.mem_limit_bytes(), p.algorithm()};
}

void ToProto(const KdfParams& k, v1::KdfParams* out) {
  out->set_ops_limit(k.ops_limit);
  out->set_mem_limit_bytes(k.mem_limit_bytes);
  out->set_algorithm(k.algorithm);
}

void ToProto(const TokenPair& t, v1::TokenPair* out) {
  out->set_access_token(t.access_token);
  SetTime(t.access_expires_at, out->mutable_access_expires_at());
  out->set_refresh_token(t.refresh_token);
  SetTime(t.refresh_expires_at, out->mutable_refresh_expires_at());
}

// Maps to the wire status, adding "retry-after-ms" for back-off answers.
grpc::Status Reply(grpc::ServerContextBase* ctx, const absl::Status& s) {
  if (std::optional<absl::Duration> retry = RetryAfter(s)) {
    ctx->AddTrailingMetadata(kRetryAfterMetadata, absl::StrCat(absl::ToInt64Milliseconds(*retry)));
  }
  return ToGrpcStatus(s);
}

Caller CallerOf(grpc::ServerContextBase* ctx) { return Caller{PeerAddress(ctx->peer())}; }

}  // namespace

std::string PeerAddress(std::string_view peer) {
  if (peer.starts_with("ipv4:")) {
    std::string_view rest = peer.substr(5);
    const size_t colon = rest.rfind(':');
    return std::string(colon == std::string_view::npos ? rest : rest.substr(0, colon));
  }
  if (peer.starts_with("ipv6:")) {
    std::string_view rest = peer.substr(5);
    if (!rest.empty() && rest[0] == '[') {
      const size_t close = rest.find(']');
      if (close != std::string_view::npos) return std::string(rest.substr(1, close - 1));
    }
    return std::string(rest);
  }
  if (peer.starts_with("unix:") || peer.starts_with("unix-abstract:")) return "unix";
  return std::string(peer);
}

AccountsGrpcService::AccountsGrpcService(LoginService& login, SessionService& sessions,
                                         AccountService& accounts, AccountsGrpcOptions options)
    : login_(login), sessions_(sessions), accounts_(accounts), options_(std::move(options)) {
  const int n = std::max(0, options_.login_workers);
  workers_.reserve(n);
  for (int i = 0; i < n; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

AccountsGrpcService::~AccountsGrpcService() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (std::thread& t : workers_) t.join();
}

bool AccountsGrpcService::Enqueue(std::function<void()> job) {
  absl::MutexLock lock(&mu_);
  if (queue_.size() >= kMaxQueuedLogins) return false;
  queue_.push_back(std::move(job));
  return true;
}

void AccountsGrpcService::WorkerLoop() {
  while (true) {
    std::function<void()> job;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](AccountsGrpcService* self)
               ABSL_NO_THREAD_SAFETY_ANALYSIS { return self->stopping_ || !self->queue_.empty(); },
          this));
      if (queue_.empty()) return;  // stopping and drained
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    job();
  }
}

absl::StatusOr<AuthContext> AccountsGrpcService::Authenticate(grpc::ServerContext* ctx) {
  const auto& md = ctx->client_metadata();
  auto it = md.find("authorization");
  absl::StatusOr<std::string> token = BearerToken(
      it == md.end() ? std::string_view() : std::string_view(it->second.data(), it->second.size()),
      "missing 'authorization: Bearer <token>' metadata");
  if (!token.ok()) return token.status();
  return sessions_.Authenticate(*token);
}

absl::Status AccountsGrpcService::CheckInternal(const grpc::ServerContext& ctx) const {
  return AuthorizeCallerRole(ctx, options_.tls_enabled, {kRoleCoordinator});
}

grpc::Status AccountsGrpcService::PreLogin(grpc::ServerContext* ctx, const v1::PreLoginRequest* req,
                                           v1::PreLoginResponse* resp) {
  absl::StatusOr<PreLoginResult> r = login_.PreLogin(req->handle());
  if (!r.ok()) return Reply(ctx, r.status());
  resp->set_salt(r->salt);
  ToProto(r->kdf, resp->mutable_kdf());
  ToProto(r->recommended_kdf, resp->mutable_recommended_kdf());
  return grpc::Status::OK;
}

grpc::Status AccountsGrpcService::Register(grpc::ServerContext* ctx, const v1::RegisterRequest* req,
                                           v1::RegisterResponse* resp) {
  RegisterInput in{
      req->handle(),           req->salt(),       FromProto(req->kdf()), req->auth_key(),
      req->wrapped_identity(), req->public_key(), req->contact()};
  absl::StatusOr<std::string> r = login_.Register(std::move(in), CallerOf(ctx));
  if (!r.ok()) return Reply(ctx, r.status());
  resp->set_account_id(*r);
  return grpc::Status::OK;
}

grpc::ServerUnaryReactor* AccountsGrpcService::Login(grpc::CallbackServerContext* ctx,
                                                     const v1::LoginRequest* req,
                                                     v1::LoginResponse* resp) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  if (workers_.empty()) {
    reactor->Finish(DoLogin(ctx, req, resp));
    return reactor;
  }
  const bool queued = Enqueue([this, ctx, req, resp, reactor] {
    // A client that gave up while the login waited gets no session row it can never use.
    if (ctx->IsCancelled()) {
      reactor->Finish(grpc::Status(grpc::StatusCode::CANCELLED,
                                   "the call ended before the login ran; nothing was done"));
      return;
    }
    reactor->Finish(DoLogin(ctx, req, resp));
  });
  if (!queued) {
    ctx->AddTrailingMetadata("retry-after-ms", "100");
    reactor->Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                 "too many logins waiting; retry in 100 ms"));
  }
  return reactor;
}

grpc::Status AccountsGrpcService::DoLogin(grpc::CallbackServerContext* ctx,
                                          const v1::LoginRequest* req, v1::LoginResponse* resp) {
  absl::StatusOr<LoginResult> r =
      login_.Login(req->handle(), req->auth_key(), req->device_name(), CallerOf(ctx));
  if (!r.ok()) return Reply(ctx, r.status());
  resp->set_account_id(r->account_id);
  ToProto(r->tokens, resp->mutable_tokens());
  resp->set_wrapped_identity(r->wrapped_identity);
  resp->set_public_key(r->public_key);
  resp->set_session_id(r->session_id);
  return grpc::Status::OK;
}

grpc::Status AccountsGrpcService::Refresh(grpc::ServerContext* ctx, const v1::RefreshRequest* req,
                                          v1::RefreshResponse* resp) {
  absl::StatusOr<TokenPair> r = sessions_.Refresh(req->refresh_token());
  if (!r.ok()) return Reply(ctx, r.status());
  ToProto(*r, resp->mutable_tokens());
  return grpc::Status::OK;
}

grpc::Status AccountsGrpcService::Logout(grpc::ServerContext* ctx, const v1::LogoutRequest*,
                                         v1::LogoutResponse*) {
  absl::StatusOr<AuthContext> auth = Authenticate(ctx);
  if (!auth.ok()) return Reply(ctx, auth.status());
  return Reply(ctx, sessions_.Logout(*auth));
}

grpc::Status AccountsGrpcService::ListSessions(grpc::ServerContext* ctx,
                                               const v1::ListSessionsRequest*,
                                               v1::ListSessionsResponse* resp) {
  absl::StatusOr<AuthContext> auth = Authenticate(ctx);
  if (!auth.ok()) return Reply(ctx, auth.status());
  absl::StatusOr<std::vector<SessionInfo>> r = sessions_.ListSessions(*auth);
  if (!r.ok()) return Reply(ctx, r.status());
  for (const SessionInfo& s : *r) {
    v1::Session* out = resp->add_sessions();
    out->set_session_id(s.session_id);
    out->set_device_name(s.device_name);
    SetTime(s.created_at, out->mutable_created_at());
    SetTime(s.last_used_at, out->mutable_last_used_at());
    out->set_current(s.current);
  }
  return grpc::Status::OK;
}

grpc::Status AccountsGrpcService::RevokeSession(grpc::ServerContext* ctx,
                                                const v1::RevokeSessionRequest* req,
                                                v1::RevokeSessionResponse*) {
  absl::StatusOr<AuthContext> auth = Authenticate(ctx);
  if (!auth.ok()) return Reply(ctx, auth.status());
  return Reply(ctx, sessions_.RevokeSession(*auth, req->session_id()));
}

grpc::Status AccountsGrpcService::ChangePassword(grpc::ServerContext* ctx,
                                                 const v1::ChangePasswordRequest* req,
                                                 v1::ChangePasswordResponse*) {
  absl::StatusOr<AuthContext> auth = Authenticate(ctx);
  if (!auth.ok()) return Reply(ctx, auth.status());
  NewPassword pw{req->new_salt(), FromProto(req->new_kdf()), req->new_auth_key(),
                 req->new_wrapped_identity()};
  return Reply(ctx,
               accounts_.ChangePassword(*auth, req->old_auth_key(), std::move(pw), CallerOf(ctx)));
}

grpc::Status AccountsGrpcService::UpgradeKdf(grpc::ServerContext* ctx,
                                             const v1::UpgradeKdfRequest* req,
                                             v1::UpgradeKdfResponse*) {
  absl::StatusOr<AuthContext> auth = Authenticate(ctx);
  if (!auth.ok()) return Reply(ctx, auth.status());
  NewPassword pw{req->new_salt(), FromProto(req->new_kdf()), req->new_auth_key(),
                 req->new_wrapped_identity()};
  return Reply(ctx, accounts_.UpgradeKdf(*auth, req->auth_key(), std::move(pw), CallerOf(ctx)));
}

grpc::Status AccountsGrpcService::GetRecoveryChallenge(grpc::ServerContext* ctx,
                                                       const v1::GetRecoveryChallengeRequest* req,
                                                       v1::GetRecoveryChallengeResponse* resp) {
  absl::StatusOr<RecoveryChallenge> r = login_.GetRecoveryChallenge(req->handle(), CallerOf(ctx));
  if (!r.ok()) return Reply(ctx, r.status());
  resp->set_challenge(r->challenge);
  resp->set_ephemeral_public(r->ephemeral_public);
  return grpc::Status::OK;
}

grpc::Status AccountsGrpcService::Recover(grpc::ServerContext* ctx, const v1::RecoverRequest* req,
                                          v1::RecoverResponse* resp) {
  NewPassword pw{req->new_salt(), FromProto(req->new_kdf()), req->new_auth_key(),
                 req->new_wrapped_identity()};
  absl::StatusOr<LoginResult> r =
      login_.Recover(req->handle(), req->challenge(), req->proof(), std::move(pw), CallerOf(ctx));
  if (!r.ok()) return Reply(ctx, r.status());
  resp->set_account_id(r->account_id);
  ToProto(r->tokens, resp->mutable_tokens());
  resp->set_session_id(r->session_id);
  return grpc::Status::OK;
}

grpc::Status AccountsGrpcService::GetPublicKey(grpc::ServerContext* ctx,
                                               const v1::GetPublicKeyRequest* req,
                                               v1::GetPublicKeyResponse* resp) {
  absl::StatusOr<AuthContext> auth = Authenticate(ctx);
  if (!auth.ok()) return Reply(ctx, auth.status());
  absl::StatusOr<std::pair<std::string, std::string>> r =
      accounts_.GetPublicKey(*auth, req->handle(), CallerOf(ctx));
  if (!r.ok()) return Reply(ctx, r.status());
  resp->set_account_id(r->first);
  resp->set_public_key(r->second);
  return grpc::Status::OK;
}

grpc::Status AccountsGrpcService::GetAccount(grpc::ServerContext* ctx, const v1::GetAccountRequest*,
                                             v1::GetAccountResponse* resp) {
  absl::StatusOr<AuthContext> auth = Authenticate(ctx);
  if (!auth.ok()) return Reply(ctx, auth.status());
  absl::StatusOr<AccountInfo> r = accounts_.GetAccount(*auth);
  if (!r.ok()) return Reply(ctx, r.status());
  resp->set_account_id(r->account_id);
  resp->set_handle(r->handle);
  resp->set_public_key(r->public_key);
  resp->set_contact(r->contact);
  SetTime(r->created_at, resp->mutable_created_at());
  return grpc::Status::OK;
}

grpc::Status AccountsGrpcService::DeleteAccount(grpc::ServerContext* ctx,
                                                const v1::DeleteAccountRequest* req,
                                                v1::DeleteAccountResponse*) {
  absl::StatusOr<AuthContext> auth = Authenticate(ctx);
  if (!auth.ok()) return Reply(ctx, auth.status());
  return Reply(ctx, accounts_.DeleteAccount(*auth, req->auth_key(), CallerOf(ctx)));
}

grpc::ServerUnaryReactor* AccountsGrpcService::GetVerificationKeys(
    grpc::CallbackServerContext* ctx, const v1::GetVerificationKeysRequest*,
    v1::GetVerificationKeysResponse* resp) {
  std::shared_ptr<const TokenKeySnapshot> keys;
  if (options_.keys != nullptr) keys = options_.keys->Get();
  const std::vector<PublicKey>& listed =
      keys != nullptr ? keys->public_keys() : options_.verification_keys;
  const std::string signing_id = keys != nullptr
                                     ? keys->SignerAt(absl::Now()).key_id()
                                     : (listed.empty() ? std::string() : listed.front().key_id);
  for (const PublicKey& k : listed) {
    v1::VerificationKey* out = resp->add_keys();
    out->set_key_id(k.key_id);
    out->set_public_key(std::string(reinterpret_cast<const char*>(k.key.data()), k.key.size()));
    out->set_signing(k.key_id == signing_id);
  }
  resp->set_audience(options_.audience);
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::Status AccountsGrpcService::ListDeletedAccounts(grpc::ServerContext* ctx,
                                                      const v1::ListDeletedAccountsRequest* req,
                                                      v1::ListDeletedAccountsResponse* resp) {
  if (absl::Status s = CheckInternal(*ctx); !s.ok()) return Reply(ctx, s);
  absl::StatusOr<std::vector<DeletedAccountInfo>> r =
      accounts_.ListDeletedAccounts(req->after_sequence(), req->limit());
  if (!r.ok()) return Reply(ctx, r.status());
  for (const DeletedAccountInfo& d : *r) {
    v1::DeletedAccount* out = resp->add_accounts();
    out->set_sequence(d.sequence);
    out->set_account_id(d.account_id);
    SetTime(d.deleted_at, out->mutable_deleted_at());
  }
  return grpc::Status::OK;
}

grpc::Status AccountsGrpcService::ListRevokedSessions(grpc::ServerContext* ctx,
                                                      const v1::ListRevokedSessionsRequest* req,
                                                      v1::ListRevokedSessionsResponse* resp) {
  if (absl::Status s =
          AuthorizeCallerRole(*ctx, options_.tls_enabled, {kRoleCoordinator, kRoleDonations});
      !s.ok()) {
    return Reply(ctx, s);
  }
  absl::StatusOr<std::vector<RevokedSessionInfo>> r =
      accounts_.ListRevokedSessions(req->after_sequence(), req->limit());
  if (!r.ok()) return Reply(ctx, r.status());
  for (const RevokedSessionInfo& s : *r) {
    v1::RevokedSession* out = resp->add_sessions();
    out->set_sequence(s.sequence);
    out->set_session_id(s.session_id);
    SetTime(s.tokens_expire_by, out->mutable_tokens_expire_by());
  }
  return grpc::Status::OK;
}

grpc::Status AccountsGrpcService::AckDeletedAccounts(grpc::ServerContext* ctx,
                                                     const v1::AckDeletedAccountsRequest* req,
                                                     v1::AckDeletedAccountsResponse*) {
  if (absl::Status s = CheckInternal(*ctx); !s.ok()) return Reply(ctx, s);
  return Reply(ctx, accounts_.AckDeletedAccounts(req->up_to_sequence(), req->consumer()));
}

}  // namespace freehold::accounts
