// AccountsGrpcService: GrantRole, RevokeRole, ListRoles (core/roles.h).
#include "common/grpc_status.h"
#include "common/logging.h"
#include "services/accounts/grpc/accounts_grpc_service.h"

namespace freehold::accounts {
namespace {

grpc::Status NoRoles() {
  return ToGrpcStatus(absl::FailedPreconditionError("roles are not configured on this server"));
}

}  // namespace

grpc::Status AccountsGrpcService::GrantRole(grpc::ServerContext* ctx,
                                            const v1::GrantRoleRequest* req,
                                            v1::GrantRoleResponse* resp) {
  if (roles_ == nullptr) return NoRoles();
  absl::StatusOr<AuthContext> auth = Authenticate(ctx);
  if (!auth.ok()) return ToGrpcStatus(auth.status());
  absl::StatusOr<bool> granted = roles_->Grant(*auth, req->handle(), req->role());
  if (!granted.ok()) return ToGrpcStatus(granted.status());
  resp->set_granted(*granted);
  return grpc::Status::OK;
}

grpc::Status AccountsGrpcService::RevokeRole(grpc::ServerContext* ctx,
                                             const v1::RevokeRoleRequest* req,
                                             v1::RevokeRoleResponse* resp) {
  if (roles_ == nullptr) return NoRoles();
  absl::StatusOr<AuthContext> auth = Authenticate(ctx);
  if (!auth.ok()) return ToGrpcStatus(auth.status());
  absl::StatusOr<bool> revoked = roles_->Revoke(*auth, req->handle(), req->role());
  if (!revoked.ok()) return ToGrpcStatus(revoked.status());
  resp->set_revoked(*revoked);
  return grpc::Status::OK;
}

grpc::Status AccountsGrpcService::ListRoles(grpc::ServerContext* ctx, const v1::ListRolesRequest*,
                                            v1::ListRolesResponse* resp) {
  if (roles_ == nullptr) return NoRoles();
  absl::StatusOr<AuthContext> auth = Authenticate(ctx);
  if (!auth.ok()) return ToGrpcStatus(auth.status());
  absl::StatusOr<std::vector<RoleGrant>> grants = roles_->List(*auth);
  if (!grants.ok()) return ToGrpcStatus(grants.status());
  for (const RoleGrant& g : *grants) {
    v1::RoleGrant* out = resp->add_grants();
    out->set_account_id(g.account_id);
    out->set_handle(g.handle);
    out->set_role(g.role);
    out->set_granted_by(g.granted_by);
    out->set_granted_at_unix_ms(absl::ToUnixMillis(g.granted_at));
  }
  return grpc::Status::OK;
}

}  // namespace freehold::accounts
