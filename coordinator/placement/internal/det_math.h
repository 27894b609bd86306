// Deterministic arithmetic for placement: hashing and the two transcendental
// functions placement needs (log and exp), written in plain IEEE-754 double
// operations so every coordinator replica, on any CPU and libm, computes
// bit-identical scores and effective weights. (glibc selects different log/exp
// code paths per CPU, e.g. with and without FMA, which may differ in the last
// bit; a last-bit difference can flip a ranking between replicas.)
//
// Everything here is part of the on-disk contract: changing a constant or the
// order of operations changes where shards are placed.
#pragma once

#include <cstdint>
#include <string_view>

namespace freehold::placement::internal {

// Stafford "Mix13" 64-bit finalizer (the SplitMix64 output function): a
// bijection with full avalanche.
inline constexpr uint64_t Mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Stable 64-bit hash of a byte string (independent of platform endianness).
uint64_t HashBytes(std::string_view bytes, uint64_t seed);

// 2 * atanh(f) for |f| <= 0.1716: 2f * sum_{i=0..11} f^(2i) / (2i+1).
inline double TwoAtanh(double f) {
  const double s = f * f;
  double p = 1.0 / 23.0;
  p = p * s + 1.0 / 21.0;
  p = p * s + 1.0 / 19.0;
  p = p * s + 1.0 / 17.0;
  p = p * s + 1.0 / 15.0;
  p = p * s + 1.0 / 13.0;
  p = p * s + 1.0 / 11.0;
  p = p * s + 1.0 / 9.0;
  p = p * s + 1.0 / 7.0;
  p = p * s + 1.0 / 5.0;
  p = p * s + 1.0 / 3.0;
  p = p * s + 1.0;
  return 2.0 * f * p;
}

// Natural logarithm of x > 0 (x finite, normal). Deterministic.
double Log(double x);

// -ln(u) for u = (h + 0.5) / 2^64, computed from all 64 bits of h.
// Accurate to ~1e-15 relative; always > 0 and finite. Strictly this is
// non-increasing in h.
inline double NegLogUnit(uint64_t h) {
  // t = 1 - u = (~h + 0.5) / 2^64 keeps full relative precision for the best
  // ranked (u near 1) nodes.
  const double t = (static_cast<double>(~h) + 0.5) * 0x1p-64;
  if (t <= 0.25) return TwoAtanh(t / (2.0 - t));  // -ln(1 - t) = 2 atanh(t / (2 - t))
  return -Log((static_cast<double>(h) + 0.5) * 0x1p-64);
}

// e^x for x <= 0 (returns 0 below -745). Deterministic.
double ExpNonPositive(double x);

// 1 - e^{-x} for x >= 0, accurate also for small x. Deterministic.
double OneMinusExpNeg(double x);

}  // namespace freehold::placement::internal
