#include "client/cli/retry_policy.h"

#include <grpc/impl/codegen/grpc_types.h>

#include "absl/strings/str_cat.h"
#include "common/shard_stream_args.h"

namespace freehold::cli {

const std::vector<std::string_view>& IdempotentMethods() {
  static const std::vector<std::string_view> kMethods = {
      // Reads, and revocations that are no-ops the second time.
      "freehold.v1.Accounts/PreLogin",
      "freehold.v1.Accounts/GetPublicKey",
      "freehold.v1.Accounts/GetAccount",
      "freehold.v1.Accounts/ListSessions",
      "freehold.v1.Accounts/GetVerificationKeys",
      "freehold.v1.Accounts/Logout",
      "freehold.v1.Accounts/RevokeSession",
      // Safe to repeat within the accounts service's retry grace (60 s).
      "freehold.v1.Accounts/Refresh",
      "freehold.v1.Coordinator/GetObject",
      "freehold.v1.Coordinator/ListObjects",
      "freehold.v1.Coordinator/ClusterStatus",
      "freehold.v1.Coordinator/ListPendingNodes",
      "freehold.v1.Funding/GetFundingStatus",
      "freehold.v1.Donations/GetFundingSummary",
      "freehold.v1.Donations/GetCampaign",
      "freehold.v1.Donations/ListCampaigns",
      "freehold.v1.Donations/ListMyDonations",
      "freehold.v1.Donations/GetReceipt",
  };
  return kMethods;
}

std::string IdempotentRetryServiceConfig() {
  std::string names;
  for (std::string_view m : IdempotentMethods()) {
    const std::string name(m);
    const size_t slash = name.find('/');
    absl::StrAppend(&names, names.empty() ? "" : ",", R"({"service":")", name.substr(0, slash),
                    R"(","method":")", name.substr(slash + 1), R"("})");
  }
  return absl::StrCat(R"({"methodConfig":[{"name":[)", names,
                      R"(],"retryPolicy":{"maxAttempts":5,"initialBackoff":"0.5s",)",
                      R"("maxBackoff":"10s","backoffMultiplier":3,)",
                      R"("retryableStatusCodes":["UNAVAILABLE"]}}]})");
}

namespace {

// 16 MiB messages both ways (shard chunks are at most 4 MiB).
grpc::ChannelArguments WithMessageLimits() {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(16 << 20);
  args.SetMaxSendMessageSize(16 << 20);
  return args;
}

}  // namespace

grpc::ChannelArguments CliChannelArguments() {
  grpc::ChannelArguments args = WithMessageLimits();
  args.SetServiceConfigJSON(IdempotentRetryServiceConfig());
  return args;
}

grpc::ChannelArguments StorageChannelArguments() {
  grpc::ChannelArguments args = WithMessageLimits();
  // No retry policy: gRPC 1.51 can leave a retried streaming call (GetShard to a
  // daemon that refuses connections) waiting past its deadline, and a shard that cannot
  // be read is better rebuilt from parity at once than asked for again.
  args.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);
  AddShardStreamArguments(args);
  return args;
}

}  // namespace freehold::cli
