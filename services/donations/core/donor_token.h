// Donor tokens: a random bearer secret handed to a donor at intake so they can list
// their donations, fetch receipts and erase their personal data. Only a hash is
// stored (tokens carry 256 bits of entropy, so a plain BLAKE2b-256 is enough).
#pragma once

#include <string>

#include "absl/strings/string_view.h"

namespace freehold::donations {

// "fhd_" + base64url(32 random bytes).
std::string NewDonorToken();

// BLAKE2b-256 of the token (32 raw bytes), the form stored and looked up.
std::string HashDonorToken(absl::string_view token);

// True if `token` has the shape NewDonorToken produces (cheap pre-check).
bool LooksLikeDonorToken(absl::string_view token);

// A donation intent's donor reference: "fhr_" + base64url(16 random bytes) (22
// characters). Not a secret (it travels through Stripe's metadata); it links payments to
// the intent's donor and grants nothing.
std::string NewDonorRef();
bool LooksLikeDonorRef(absl::string_view ref);

}  // namespace freehold::donations
