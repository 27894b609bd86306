// An organization's age identity wrapped to a member (services/accounts/README.md
// "Organizations"): the wrapping is a standard age file, encrypted to the member's own
// X25519 recipient, whose plaintext is the organization identity's
// "AGE-SECRET-KEY-1..." text, so `age -d -i MEMBER_KEY` opens it too. The accounts
// server stores wrappings and never sees the identity.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "client/core/keys.h"

namespace freehold::client {

// INVALID_ARGUMENT if `member_recipient` is not an "age1..." recipient.
absl::StatusOr<std::string> WrapOrgIdentity(const X25519Identity& org,
                                            std::string_view member_recipient);
// The identity inside `wrapped`, opened with the member's identity. Errors of age
// decryption (not wrapped to this member, tampered) or INVALID_ARGUMENT if the plaintext
// is not an age identity.
absl::StatusOr<X25519Identity> UnwrapOrgIdentity(std::string_view wrapped,
                                                 const X25519Identity& member);

}  // namespace freehold::client
