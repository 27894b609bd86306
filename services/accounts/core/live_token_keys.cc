#include "services/accounts/core/live_token_keys.h"

#include <utility>

namespace freehold::accounts {

TokenKeySnapshot::TokenKeySnapshot(const TokenSigner& signer, std::vector<PublicKey> verify)
    : verifier_(verify), public_keys_(std::move(verify)) {
  signers_.push_back(Timed{absl::InfinitePast(), signer});
}

TokenKeySnapshot::TokenKeySnapshot(const SigningKeySet& set)
    : verifier_(set.PublicKeys()), public_keys_(set.PublicKeys()) {
  for (const TimedSigningKey& k : set.keys)
    signers_.push_back(Timed{k.signs_from, TokenSigner(k.key)});
}

const TokenSigner& TokenKeySnapshot::SignerAt(absl::Time now) const {
  for (const Timed& t : signers_) {
    if (t.from <= now) return t.signer;
  }
  return signers_.back().signer;  // none started yet: the oldest (SigningKeySet::SignerAt)
}

LiveTokenKeys::LiveTokenKeys(std::shared_ptr<const TokenKeySnapshot> keys)
    : keys_(std::move(keys)) {}

std::shared_ptr<const TokenKeySnapshot> LiveTokenKeys::Get() const {
  absl::MutexLock lock(&mu_);
  return keys_;
}

void LiveTokenKeys::Replace(std::shared_ptr<const TokenKeySnapshot> keys) {
  absl::MutexLock lock(&mu_);
  keys_ = std::move(keys);
}

}  // namespace freehold::accounts
