#include "coordinator/grpc/org_membership_client.h"

#include <grpcpp/client_context.h>

#include "common/grpc_status.h"
#include "freehold/v1/accounts.grpc.pb.h"

namespace freehold::coordinator {

absl::StatusOr<std::string> GrpcOrgMembership::RoleOf(const std::string& org_id,
                                                     const std::string& account_id) {
  v1::Accounts::Stub stub(channel_);
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  v1::CheckOrgMemberRequest request;
  request.set_org_id(org_id);
  request.set_account_id(account_id);
  v1::CheckOrgMemberResponse response;
  grpc::Status s = stub.CheckOrgMember(&ctx, request, &response);
  if (!s.ok()) return FromGrpcStatus(s);
  return response.role();
}

}  // namespace freehold::coordinator
