// Constant-time comparison and zeroing of secrets (libsodium). Use these for every
// comparison of a MAC, verifier, token hash or key, and to wipe secrets after use.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace freehold {

// True iff a and b have the same length and the same bytes. Time depends only on the
// length (lengths themselves are not secret), never on where the bytes differ.
bool SecureEquals(std::string_view a, std::string_view b);

// Overwrites [data, data+size) with zeros in a way the compiler cannot elide.
void SecureZero(void* data, size_t size);
// Zeroes the string's whole buffer (including capacity) and clears it.
void SecureZero(std::string& s);

// Fills `size` bytes with cryptographically secure random bytes.
std::string RandomBytes(size_t size);

}  // namespace freehold
