// Who is calling: the role and id in the caller's verified client certificate.
//
// Every Freehold certificate (deploy/tls/pki.sh) carries exactly one SAN URI
//   spiffe://freehold/role/<role>/<id>
// with <role> one of coordinator, storaged, accounts, donations, operator and <id>
// 1-64 characters of [A-Za-z0-9._-] (a node id for storaged). gRPC exposes it only
// after the chain verified against the server's CA, so an identity here is one the
// fleet's CA issued. A caller without a client certificate (the `freehold` CLI, a
// plaintext connection) has no identity; it authenticates with tokens instead.
#pragma once

#include <grpcpp/server_context.h>

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace freehold {

inline constexpr std::string_view kRoleCoordinator = "coordinator";
inline constexpr std::string_view kRoleStoraged = "storaged";
inline constexpr std::string_view kRoleAccounts = "accounts";
inline constexpr std::string_view kRoleDonations = "donations";
inline constexpr std::string_view kRoleOperator = "operator";

struct PeerIdentity {
  std::string role;
  std::string id;
  bool operator==(const PeerIdentity&) const = default;
};

// "spiffe://freehold/role/<role>/<id>" -> identity; nullopt if the URI is not of
// that form (unknown role, bad id, other trust domain).
std::optional<PeerIdentity> ParseSpiffeId(std::string_view uri);
// The URI a certificate for `identity` carries.
std::string SpiffeIdFor(const PeerIdentity& identity);

// The verified identity of the caller of `context`, or nullopt (no client
// certificate, plaintext, or a certificate without a Freehold SAN URI).
std::optional<PeerIdentity> CallerIdentity(const grpc::ServerContextBase& context);

// OK if the caller's certificate has one of `roles`. UNAUTHENTICATED ("this call
// needs a client certificate of role ...") without one, PERMISSION_DENIED
// naming the caller's role and the roles allowed otherwise. The message never
// echoes more than the parsed role and id.
absl::Status RequireCallerRole(const grpc::ServerContextBase& context,
                               std::initializer_list<std::string_view> roles);

// What a service enforces for a call only some roles may make. With TLS (the
// fleet's mode) it is RequireCallerRole. A server without TLS is development mode
// on one machine (it may listen only on loopback, see GrpcServerOptions): there
// are no certificates, so such calls are allowed from loopback peers only and
// PERMISSION_DENIED from anywhere else.
absl::Status AuthorizeCallerRole(const grpc::ServerContextBase& context, bool tls_enabled,
                                 std::initializer_list<std::string_view> roles);

// True if `peer` (grpc::ServerContext::peer(): "ipv4:127.0.0.1:5000",
// "ipv6:[::1]:5000", "unix:...") is this machine.
bool IsLoopbackPeer(std::string_view peer);

}  // namespace freehold
