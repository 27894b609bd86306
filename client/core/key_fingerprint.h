// A fingerprint of an account's public key that two people can compare (read aloud,
// side by side): 12 groups of 5 decimal digits.
//
//   digest = BLAKE2b-512("freehold-key-fingerprint-v1" || 0x00 || public key (32 bytes))
//   group i (0..11) = big-endian integer of digest[5i .. 5i+5) mod 100000, 5 digits
//
// The same key always gives the same text; a different key gives different text except
// with negligible probability (about 2^-199 for a chosen collision). Thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "client/core/keys.h"

namespace freehold::client {

// "12345 67890 ... " (12 groups separated by single spaces; 71 characters).
std::string KeyFingerprint(const X25519PublicKey& key);

// True if `typed` equals `fingerprint` ignoring spaces, tabs and dashes.
bool FingerprintMatches(std::string_view typed, std::string_view fingerprint);

}  // namespace freehold::client
