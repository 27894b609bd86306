#include "common/peer_identity.h"

#include <grpcpp/security/auth_context.h>

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/string_view.h"

namespace freehold {
namespace {

constexpr std::string_view kPrefix = "spiffe://freehold/role/";

bool KnownRole(std::string_view role) {
  return role == kRoleCoordinator || role == kRoleStoraged || role == kRoleAccounts ||
         role == kRoleDonations || role == kRoleOperator;
}

bool ValidId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

std::optional<PeerIdentity> ParseSpiffeId(std::string_view uri) {
  if (uri.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  uri.remove_prefix(kPrefix.size());
  const size_t slash = uri.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  const std::string_view role = uri.substr(0, slash), id = uri.substr(slash + 1);
  if (!KnownRole(role) || !ValidId(id)) return std::nullopt;
  return PeerIdentity{std::string(role), std::string(id)};
}

std::string SpiffeIdFor(const PeerIdentity& identity) {
  return absl::StrCat(AbslView(kPrefix), identity.role, "/", identity.id);
}

std::optional<PeerIdentity> CallerIdentity(const grpc::ServerContextBase& context) {
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (auth == nullptr || !auth->IsPeerAuthenticated()) return std::nullopt;
  // gRPC sets peer_spiffe_id only for a certificate with exactly one valid SPIFFE URI;
  // fall back to the URI SANs for the (equally verified) general case.
  for (const char* property : {"peer_spiffe_id", "peer_uri"}) {
    for (const grpc::string_ref& value : auth->FindPropertyValues(property)) {
      if (auto id = ParseSpiffeId(std::string_view(value.data(), value.size()))) return id;
    }
  }
  return std::nullopt;
}

absl::Status RequireCallerRole(const grpc::ServerContextBase& context,
                               std::initializer_list<std::string_view> roles) {
  std::vector<std::string> names(roles.begin(), roles.end());
  const std::optional<PeerIdentity> caller = CallerIdentity(context);
  if (!caller) {
    return absl::UnauthenticatedError(absl::StrCat("this call needs a client certificate of role ",
                                                   absl::StrJoin(names, " or "),
                                                   " issued by the fleet's CA"));
  }
  for (std::string_view role : roles) {
    if (caller->role == role) return absl::OkStatus();
  }
  return absl::PermissionDeniedError(
      absl::StrCat("caller ", caller->role, ":", caller->id,
                   " may not make this call (allowed roles: ", absl::StrJoin(names, ", "), ")"));
}

bool IsLoopbackPeer(std::string_view peer) {
  if (peer.starts_with("unix:")) return true;
  if (peer.starts_with("ipv4:")) return peer.substr(5).starts_with("127.");
  if (peer.starts_with("ipv6:")) {
    const std::string_view host = peer.substr(5);
    return host.starts_with("[::1]:") || host.starts_with("[::ffff:127.");
  }
  return false;
}

absl::Status AuthorizeCallerRole(const grpc::ServerContextBase& context, bool tls_enabled,
                                 std::initializer_list<std::string_view> roles) {
  if (tls_enabled) return RequireCallerRole(context, roles);
  if (IsLoopbackPeer(context.peer())) return absl::OkStatus();
  return absl::PermissionDeniedError(
      "this server runs without TLS (development mode): calls of this kind are accepted "
      "from this machine only");
}

}  // namespace freehold
