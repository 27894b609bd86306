// gRPC plumbing shared by the CLI's clients: channels, per-call contexts with
// deadlines and bearer tokens, and turning a failed call into an absl::Status
// whose message tells the user what to do.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/client_transport.h"

namespace freehold::cli {

inline constexpr absl::string_view kDefaultAccountsAddress = "127.0.0.1:17101";
inline constexpr absl::string_view kDefaultCoordinatorAddress = "127.0.0.1:17103";
inline constexpr absl::Duration kDefaultRpcTimeout = absl::Seconds(30);

// A service the CLI talks to: its name (for messages) and channel.
struct Service {
  std::string name;     // "accounts", "coordinator"
  std::string address;  // host:port
  std::shared_ptr<grpc::Channel> channel;
  ClientTransport transport;  // for hints when the connection fails
};

// A channel to `address`, TLS unless `transport` allows plaintext to it (a warning
// goes to stderr for --insecure-plaintext-to-remote-host). INVALID_ARGUMENT naming
// the flag for a bad address; FAILED_PRECONDITION for --plaintext to a remote host.
absl::StatusOr<Service> ConnectService(std::string name, std::string address,
                                       absl::string_view flag, const ClientTransport& transport);

// Sets a deadline and, if `access_token` is not empty, the bearer metadata.
void PrepareCall(grpc::ClientContext* ctx, absl::Duration timeout = kDefaultRpcTimeout,
                 absl::string_view access_token = "");

// True for an UNAVAILABLE the service itself answered about its database (the
// PostgreSQL pool names the database in every UNAVAILABLE it returns).
bool IsServiceDatabaseTrouble(const grpc::Status& status);

// A failed call as an absl::Status with the same code. The message names the
// service and, when the service cannot be reached, says how to check it; when the
// service answered that its database is unavailable, it says so (a service-side
// problem), never "is the cluster running?".
// The server's "retry-after-ms" trailing metadata (if any) is attached and
// can be read back with RetryAfterOf.
absl::Status CallFailed(const grpc::Status& status, const grpc::ClientContext& ctx,
                        const Service& service, absl::string_view what);
std::optional<absl::Duration> RetryAfterOf(const absl::Status& status);

// Prefixes `context` to a status message keeping the code and payloads.
absl::Status WithContext(const absl::Status& status, absl::string_view context);

}  // namespace freehold::cli
