#include "client/cli/rpc.h"

#include <iostream>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "client/cli/retry_policy.h"
#include "common/grpc_server.h"
#include "common/grpc_status.h"

namespace freehold::cli {
namespace {
constexpr absl::string_view kRetryPayload = "freehold.cli/retry-after-ms";
}  // namespace

bool IsServiceDatabaseTrouble(const grpc::Status& status) {
  if (status.error_code() != grpc::StatusCode::UNAVAILABLE) return false;
  const std::string& m = status.error_message();
  return m.find("database") != std::string::npos || m.find("PostgreSQL") != std::string::npos;
}

absl::StatusOr<Service> ConnectService(std::string name, std::string address,
                                       absl::string_view flag, const ClientTransport& transport) {
  if (address.empty() || address.find(':') == std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": \"", address, "\" is not a host:port address"));
  }
  // Messages up to 16 MiB (shard chunks are at most 4 MiB); idempotent calls retried on
  // UNAVAILABLE (retry_policy.h).
  absl::StatusOr<ClientTlsOptions> tls = transport.For(address, &std::cerr);
  if (!tls.ok()) return tls.status();
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      MakeChannel(address, *tls, CliChannelArguments());
  if (!channel.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(flag, ": ", channel.status().message()));
  }
  return Service{std::move(name), std::move(address), *std::move(channel), transport};
}

void PrepareCall(grpc::ClientContext* ctx, absl::Duration timeout, absl::string_view access_token) {
  ctx->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  if (!access_token.empty()) {
    ctx->AddMetadata("authorization", absl::StrCat("Bearer ", access_token));
  }
}

absl::Status CallFailed(const grpc::Status& status, const grpc::ClientContext& ctx,
                        const Service& service, absl::string_view what) {
  absl::Status s = FromGrpcStatus(status);
  std::string msg;
  if (IsServiceDatabaseTrouble(status)) {
    // The service was reached and answered that ITS database is unavailable: a problem
    // on the service side, not the user's address or network.
    msg = absl::StrCat(what, ": the ", service.name, " service at ", service.address,
                       " is up but cannot use its database (", status.error_message(),
                       "). This is a problem on the service side; retry later");
  } else if (status.error_code() == grpc::StatusCode::UNAVAILABLE &&
             (status.error_message().find("connect") != std::string::npos ||
              status.error_message().find("Connection") != std::string::npos ||
              status.error_message().find("DNS") != std::string::npos)) {
    msg = absl::StrCat("cannot reach the ", service.name, " service at ", service.address, " (",
                       status.error_message(), "). Is the cluster running? Check the address (--",
                       service.name, " or FREEHOLD_",
                       service.name == "accounts" ? "ACCOUNTS" : "COORDINATOR",
                       "_ADDR; `source .run/env` after ./deploy/local/up.sh)");
    if (std::string hint = service.transport.Hint(status.error_message()); !hint.empty()) {
      absl::StrAppend(&msg, ". TLS: ", hint);
    }
  } else if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    msg = absl::StrCat(what, ": the ", service.name, " service at ", service.address,
                       " did not answer in time; try again later");
  } else {
    msg = absl::StrCat(what, ": ", status.error_message());
  }
  absl::Status out(s.code() == absl::StatusCode::kUnknown ? absl::StatusCode::kInternal : s.code(),
                   msg);
  const auto& trailers = ctx.GetServerTrailingMetadata();
  auto it = trailers.find("retry-after-ms");
  if (it != trailers.end()) {
    out.SetPayload(kRetryPayload, absl::Cord(std::string(it->second.data(), it->second.size())));
  }
  return out;
}

std::optional<absl::Duration> RetryAfterOf(const absl::Status& status) {
  auto p = status.GetPayload(kRetryPayload);
  if (!p.has_value()) return std::nullopt;
  int64_t ms = 0;
  if (!absl::SimpleAtoi(std::string(*p), &ms) || ms < 0) return std::nullopt;
  return absl::Milliseconds(ms);
}

absl::Status WithContext(const absl::Status& status, absl::string_view context) {
  if (status.ok()) return status;
  absl::Status out(status.code(), absl::StrCat(context, ": ", status.message()));
  status.ForEachPayload(
      [&](absl::string_view url, const absl::Cord& payload) { out.SetPayload(url, payload); });
  return out;
}

}  // namespace freehold::cli
