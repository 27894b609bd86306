// The logged-in user of this CLI process: fresh access tokens (refreshed and
// saved when they are about to expire, under the config dir's lock so that
// two CLI processes never reuse a rotated refresh token) and the identity
// (remembered file, or unwrapped with the password on demand).
#pragma once

#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "client/cli/accounts_api.h"
#include "client/cli/password.h"
#include "client/cli/session.h"
#include "client/core/keys.h"

namespace freehold::cli {

// Thread-safe: AccessToken may be called from upload threads.
class UserSession {
 public:
  // `store` and `accounts` must outlive this object.
  UserSession(const SessionStore& store, AccountsApi& accounts, Session session)
      : store_(store), accounts_(accounts), session_(std::move(session)) {}

  // Copy of the current session (tokens may change after a refresh).
  Session session() const;

  // A token valid for at least a minute. UNAUTHENTICATED "session expired,
  // run `freehold login`" when the refresh token is expired or revoked.
  absl::StatusOr<std::string> AccessToken();

  // The identity secret: the remembered one if the user asked for it at
  // login, else unwrapped with the password (UNAUTHENTICATED on a wrong one).
  // Cached for the life of this object.
  absl::StatusOr<client::X25519Identity> Identity(const PasswordSource& passwords);
  // Org mode (`--org`, org_session.h): from now on Identity() answers the
  // organization's naming identity (its current generation), so names, metadata and
  // folders are those of the organization. PersonalIdentity() still answers the
  // user's own.
  void UseOrgIdentity(client::X25519Identity org_naming);
  absl::StatusOr<client::X25519Identity> PersonalIdentity(const PasswordSource& passwords);

 private:
  const SessionStore& store_;
  AccountsApi& accounts_;
  mutable absl::Mutex mu_;
  Session session_ ABSL_GUARDED_BY(mu_);
  std::optional<client::X25519Identity> identity_ ABSL_GUARDED_BY(mu_);
  std::optional<client::X25519Identity> org_identity_ ABSL_GUARDED_BY(mu_);
};

}  // namespace freehold::cli
