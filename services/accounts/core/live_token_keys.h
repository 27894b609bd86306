// The access-token keys a running accounts service uses, replaceable while it serves
// (a re-read --signing-keys-file, core/signing_key_set.h): which key signs at a given
// time, the verifier over every listed key, and the public keys GetVerificationKeys
// and the --verification-keys-out file publish. Readers take an immutable snapshot,
// so a replacement never disturbs a call in flight.
#pragma once

#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/signed_token.h"
#include "services/accounts/core/signing_key_set.h"

namespace freehold::accounts {

// One version of the keys. Immutable, thread-safe.
class TokenKeySnapshot {
 public:
  // Fixed keys: `signer` signs at all times; `verify` lists every verification key,
  // signing key first (the data-dir keyring, core/token_keyring.h; tests).
  TokenKeySnapshot(const TokenSigner& signer, std::vector<PublicKey> verify);
  explicit TokenKeySnapshot(const SigningKeySet& set);

  // The signer in force at `now` (SigningKeySet::SignerAt).
  const TokenSigner& SignerAt(absl::Time now) const;
  const TokenVerifier& verifier() const { return verifier_; }
  // Newest first.
  const std::vector<PublicKey>& public_keys() const { return public_keys_; }

 private:
  struct Timed {
    absl::Time from;
    TokenSigner signer;
  };
  std::vector<Timed> signers_;  // newest first
  TokenVerifier verifier_;
  std::vector<PublicKey> public_keys_;
};

// Thread-safe holder of the current snapshot.
class LiveTokenKeys {
 public:
  explicit LiveTokenKeys(std::shared_ptr<const TokenKeySnapshot> keys);
  std::shared_ptr<const TokenKeySnapshot> Get() const;
  void Replace(std::shared_ptr<const TokenKeySnapshot> keys);

 private:
  mutable absl::Mutex mu_;
  std::shared_ptr<const TokenKeySnapshot> keys_ ABSL_GUARDED_BY(mu_);
};

}  // namespace freehold::accounts
