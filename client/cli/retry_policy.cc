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
  // Reconnect quickly after a failed connect. A call without wait_for_ready fails at once
  // while the channel is in TRANSIENT_FAILURE, which lasts the reconnect back-off (gRPC's
  // default: 1 s, growing to 120 s): the uploader's same-node retries (50 ms, 200 ms; see
  // uploader.h) all failed with the old error and a live daemon was given up on.
  // Why a connect to a live daemon fails at all (issue 23, "No such file or directory"):
  // gRPC 1.51's posix TCP client (src/core/lib/iomgr/tcp_client_posix.cc,
  // grpc_tcp_client_create_from_prepared_fd) reads errno after calling
  // grpc_sockaddr_to_uri() and grpc_fd_create() following the non-blocking connect();
  // when one of them leaves errno changed (here ENOENT), the EINPROGRESS of a connect
  // that is under way is taken for a failed connect and reported as
  // "ipv4:...: No such file or directory", without the "Failed to connect to remote
  // host" prefix that a real connect error has. Fixed upstream in gRPC 1.60
  // (grpc/grpc#35064, "Defend against connect errno being overwritten"); Debian 12 ships
  // 1.51. The daemon, its TLS and its limits are not involved; the next connect works.
  // Not GRPC_ARG_MIN_RECONNECT_BACKOFF_MS: in gRPC 1.51 that is the minimum time a
  // connect attempt (TCP + TLS handshake + HTTP/2 SETTINGS) may take (default 20 s); set
  // low, a loaded machine's handshakes time out ("Handshaker shutdown", "timed out before
  // receiving SETTINGS frame").
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, kStorageReconnectBackoffMs);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
  return args;
}

}  // namespace freehold::cli
