// Deterministic hash, log and exp for placement (see det_math.h).
#include "coordinator/placement/internal/det_math.h"

#include <array>
#include <bit>
#include <cmath>
#include <cstring>

namespace freehold::placement::internal {
namespace {

constexpr double kLn2Hi = 6.93147180369123816490e-01;  // trailing zero bits
constexpr double kLn2Lo = 1.90821492927058770002e-10;

}  // namespace

uint64_t HashBytes(std::string_view bytes, uint64_t seed) {
  uint64_t h = seed ^ (static_cast<uint64_t>(bytes.size()) * 0x9e3779b97f4a7c15ULL);
  size_t i = 0;
  for (; i + 8 <= bytes.size(); i += 8) {
    uint64_t w = 0;
    for (int b = 7; b >= 0; --b) w = (w << 8) | static_cast<uint8_t>(bytes[i + b]);
    h = Mix64(h ^ w) + 0x9e3779b97f4a7c15ULL;
  }
  uint64_t tail = 0x80;  // marks the end so "a" and "a\0" differ
  for (size_t j = bytes.size(); j > i; --j) tail = (tail << 8) | static_cast<uint8_t>(bytes[j - 1]);
  h = Mix64(h ^ tail) + 0x9e3779b97f4a7c15ULL;
  return Mix64(h);
}

double Log(double x) {
  // x = m * 2^e with m in [sqrt(1/2), sqrt(2)); ln x = e ln2 + 2 atanh((m-1)/(m+1)).
  uint64_t bits = std::bit_cast<uint64_t>(x);
  int e = static_cast<int>((bits >> 52) & 0x7ff) - 1023;
  bits = (bits & 0x000fffffffffffffULL) | 0x3ff0000000000000ULL;  // m in [1, 2)
  double m = std::bit_cast<double>(bits);
  if (m > 1.4142135623730951) {
    m *= 0.5;  // exact
    ++e;
  }
  const double f = (m - 1.0) / (m + 1.0);
  const double de = static_cast<double>(e);
  return de * kLn2Hi + (de * kLn2Lo + TwoAtanh(f));
}

double ExpNonPositive(double x) {
  if (x < -745.0) return 0.0;
  if (x > 0.0) x = 0.0;
  const double k = std::floor(x * 1.4426950408889634 + 0.5);
  const double r = (x - k * kLn2Hi) - k * kLn2Lo;  // |r| <= ~0.35
  double p = 1.0 / 6227020800.0;                   // 1/13!
  p = p * r + 1.0 / 479001600.0;
  p = p * r + 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  return std::ldexp(p, static_cast<int>(k));  // exact scaling
}

double OneMinusExpNeg(double x) {
  if (x >= 0.35) return 1.0 - ExpNonPositive(-x);
  // x - x^2/2! + x^3/3! - ... (16 terms; x^17/17! < 1e-22 here).
  static constexpr std::array<double, 16> kCoef = [] {
    std::array<double, 16> c{};
    double f = 1.0;
    for (int i = 1; i <= 16; ++i) {
      f /= i;
      c[i - 1] = (i % 2 == 1) ? f : -f;
    }
    return c;
  }();
  double p = 0.0;
  for (int i = 15; i >= 0; --i) p = p * x + kCoef[i];
  return p * x;
}

}  // namespace freehold::placement::internal
