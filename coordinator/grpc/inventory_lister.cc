#include "coordinator/grpc/inventory_lister.h"

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "common/grpc_status.h"
#include "freehold/v1/storage.grpc.pb.h"

namespace freehold::coordinator {

absl::StatusOr<std::vector<std::string>> GrpcInventoryLister::ListShards(
    const std::string& address) {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = nodes_.ChannelFor(address);
  if (!channel.ok()) return channel.status();
  v1::StorageNode::Stub stub(*channel);
  std::vector<std::string> keys;
  std::string token;
  for (int page = 0; page < 1000; ++page) {
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
    v1::ListShardsRequest request;
    request.mutable_page()->set_page_size(10000);
    request.mutable_page()->set_page_token(token);
    v1::ListShardsResponse response;
    grpc::Status s = stub.ListShards(&ctx, request, &response);
    if (!s.ok()) {
      absl::Status st = FromGrpcStatus(s);
      return absl::Status(st.code(), absl::StrCat("ListShards at ", address, ": ", st.message()));
    }
    for (std::string& k : *response.mutable_keys()) keys.push_back(std::move(k));
    if (response.next_page_token().empty()) return keys;
    if (response.next_page_token() == token) {
      return absl::InternalError(absl::StrCat("ListShards at ", address, ": page token repeats"));
    }
    token = response.next_page_token();
  }
  return absl::ResourceExhaustedError(
      absl::StrCat("ListShards at ", address, ": more than 1000 pages"));
}

}  // namespace freehold::coordinator
