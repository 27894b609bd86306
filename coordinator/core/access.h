// Authorization of user calls: access tokens issued by freehold-accounts are
// verified locally with the accounts verification keys (reloaded from the key
// file when it changes, so accounts can rotate keys), and the ownership rules
// of objects.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "common/signed_token.h"
#include "coordinator/core/model.h"
#include "coordinator/core/session_revocations.h"

namespace freehold::coordinator {

// Who is calling. Only built from a verified token (or the operator secret).
struct Caller {
  std::string account_id;  // canonical UUID; empty for the operator
  std::vector<std::string> scopes;
  bool operator_secret = false;  // authenticated with --admin-token-file
  bool IsAdmin() const;
};

inline constexpr std::string_view kTokenAudience = "freehold";
inline constexpr std::string_view kStorageScope = "storage";
// The role freehold-accounts puts in an operator's access tokens (accounts
// core/roles.h): what authorizes the operator calls.
inline constexpr std::string_view kOperatorRoleScope = "coordinator:operator";
// Deprecated (no component issues it; kept for existing tokens in tests).
inline constexpr std::string_view kAdminScope = "admin";

// Verifies "Bearer <token>" values. Thread-safe.
class AccessTokenVerifier {
 public:
  // `keys_file` in the key-file format (internal/key_files.h); loaded by Reload().
  AccessTokenVerifier(std::string keys_file, Clock& clock);
  // For tests: a fixed key set, no file.
  AccessTokenVerifier(std::vector<PublicKey> keys, Clock& clock);

  // (Re)reads the key file; keeps the previous keys on error. Cheap when the
  // file is unchanged.
  absl::Status Reload();

  // Optional operator secret (compared in constant time).
  void SetOperatorSecret(std::string secret);

  // Optional deny list of ended sessions (session_revocations.h): a token whose session
  // (its `extra` claim) is listed is refused with UNAUTHENTICATED "session ended". Set
  // before serving; `list` must outlive this object.
  void SetSessionDenyList(const SessionDenyList* list) { deny_list_ = list; }

  // `authorization` is the metadata value; empty = no token.
  // UNAUTHENTICATED: missing/malformed header, bad signature, expired, wrong
  // audience, subject not a UUID, session ended (deny list). PERMISSION_DENIED: token lacks the
  // "storage" (or "admin") scope.
  absl::StatusOr<Caller> Authenticate(const std::string& authorization) const;

  // Like Authenticate but OK(nullopt) when `authorization` is empty.
  absl::StatusOr<std::optional<Caller>> AuthenticateOptional(
      const std::string& authorization) const;

  // Operator calls: an accounts access token carrying the role "coordinator:operator"
  // (the documented path), or -- deprecated -- the operator secret (--admin-token-file)
  // or a token with the "admin" scope.
  absl::StatusOr<Caller> AuthenticateOperator(const std::string& authorization) const;

 private:
  std::shared_ptr<const TokenVerifier> verifier() const;
  static absl::StatusOr<std::string> BearerValue(const std::string& authorization);

  const std::string keys_file_;
  Clock& clock_;
  mutable absl::Mutex mu_;
  std::shared_ptr<const TokenVerifier> verifier_ ABSL_GUARDED_BY(mu_);
  std::string loaded_text_ ABSL_GUARDED_BY(mu_);
  std::string operator_secret_ ABSL_GUARDED_BY(mu_);
  const SessionDenyList* deny_list_ = nullptr;
};

// Object rules. The owner may read and change; accounts in the share list may
// read; anyone may read a committed object with a public link.
bool MayRead(const ObjectRecord& object, const Caller* caller, bool shared_with_caller);
bool IsOwner(const ObjectRecord& object, const Caller& caller);

// The one answer for an object the caller may not know about: an id that does not
// exist, an upload in progress of another account, another account's object that is
// neither shared with the caller nor public. Identical code and message in every case,
// so that a stranger cannot tell an existing object from a random id.
absl::Status ObjectNotFoundError(absl::string_view canonical_object_id);

}  // namespace freehold::coordinator
