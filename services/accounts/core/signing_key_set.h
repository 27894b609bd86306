// The accounts service's token-signing key set as one file (--signing-keys-file, e.g. a
// Kubernetes Secret every replica mounts), re-read while the service runs so the key
// rotates without downtime. Text, mode 0600, newest key first, one key per line:
//
//   # freehold-accounts signing keys; written by freehold-accounts
//   # --rotate-signing-keys-file. Do not edit by hand.
//   fh-ed25519-secret:<key_id>:<base64url> signs-from=2026-12-07T05:40:00Z
//   fh-ed25519-secret:<key_id>:<base64url> signs-from=2026-11-07T05:40:00Z
//
// A key signs from its `signs-from` time (RFC 3339, UTC) until the next newer key's;
// every key listed verifies. The rotation command gives a new key a signs-from time
// `activation_delay` ahead, so every verifier (the coordinator, donations, the other
// replicas) re-reads the published public keys before any token carries the new key.
// A retired key stays listed for `keep_retired_for` (the longest access-token
// lifetime plus a margin for replicas' reloads and clock skew) after it stopped
// signing, then rotation prunes it: tokens it signed have all expired.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/signed_token.h"

namespace freehold::accounts {

// Most keys one set may hold (a rotation normally leaves two or three).
inline constexpr size_t kMaxSigningKeys = 16;

struct TimedSigningKey {
  SigningKey key;
  absl::Time signs_from;
};

// Newest first: signs_from strictly decreasing, key ids unique.
struct SigningKeySet {
  std::vector<TimedSigningKey> keys;

  // The key that signs at `now`: the newest whose signs_from <= now; the oldest key if
  // none has started yet (a clock behind the rotating machine's). Requires !keys.empty().
  const TimedSigningKey& SignerAt(absl::Time now) const;
  // Every key's public half, newest first.
  std::vector<PublicKey> PublicKeys() const;
};

// The file text (see the file comment). Contains the secret keys: handle as a secret.
std::string FormatSigningKeySet(const SigningKeySet& set);
// INVALID_ARGUMENT naming `source` and the line (never the key) when a line is
// malformed, a key id repeats, the keys are not newest first, there is no key or more
// than kMaxSigningKeys.
absl::StatusOr<SigningKeySet> ParseSigningKeySet(std::string_view text, std::string_view source);

// Reads (common/config.h ReadSecretFile: refuses files other users may access) and parses.
absl::StatusOr<SigningKeySet> ReadSigningKeySetFile(const std::string& path);
// Writes atomically (temp file in the same directory, then rename) with mode 0600.
absl::Status WriteSigningKeySetFile(const SigningKeySet& set, const std::string& path);

struct RotationPolicy {
  absl::Duration activation_delay = absl::Minutes(5);
  absl::Duration keep_retired_for = absl::Minutes(20);
};

// Drops keys retired (a newer key signing) for longer than keep_retired_for at `now`.
// The signing key and keys not yet signing are always kept.
SigningKeySet PruneSigningKeySet(SigningKeySet set, absl::Time now, const RotationPolicy& policy);

// A new key added in front, signing from now + activation_delay (from `now` when `set`
// is empty: nobody trusts an older key yet), then pruned. The new key's id is that of
// GenerateSigningKey. INVALID_ARGUMENT if the result would exceed kMaxSigningKeys.
absl::StatusOr<SigningKeySet> RotateSigningKeySet(SigningKeySet set, absl::Time now,
                                                  const RotationPolicy& policy);

}  // namespace freehold::accounts
