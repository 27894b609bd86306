// Inclusion probabilities of successive weighted sampling, and the fixed-point
// that inverts them (see effective_weights.h).
#include "coordinator/placement/effective_weights.h"

#include <algorithm>
#include <cmath>

#include "coordinator/placement/internal/det_math.h"

namespace freehold::placement {
namespace {

constexpr int kPanels = 128;
constexpr double kTolerance = 1e-10;
constexpr int kMaxIterations = 300;

// 5-point Gauss-Legendre rule on [-1, 1], from closed forms (sqrt is exact
// IEEE, so the nodes are the same everywhere).
struct GaussRule {
  double x[5];
  double w[5];
};

GaussRule MakeGaussRule() {
  const double a = std::sqrt(10.0 / 7.0);
  const double s70 = std::sqrt(70.0);
  const double x1 = std::sqrt(5.0 - 2.0 * a) / 3.0;
  const double x2 = std::sqrt(5.0 + 2.0 * a) / 3.0;
  const double w1 = (322.0 + 13.0 * s70) / 900.0;
  const double w2 = (322.0 - 13.0 * s70) / 900.0;
  return GaussRule{{-x2, -x1, 0.0, x1, x2}, {w2, w1, 128.0 / 225.0, w1, w2}};
}

}  // namespace

std::vector<double> InclusionProbabilities(std::span<const double> weights, int draws) {
  const int n = static_cast<int>(weights.size());
  std::vector<double> pi(n, 0.0);
  std::vector<int> live;  // domains with positive weight
  double total = 0;
  for (int i = 0; i < n; ++i) {
    if (weights[i] > 0) {
      live.push_back(i);
      total += weights[i];
    }
  }
  const int h = static_cast<int>(live.size());
  if (draws <= 0) return pi;
  if (h <= draws) {
    for (int i : live) pi[i] = 1.0;
    return pi;
  }
  const int k = draws;
  // Rates normalized to mean 1.
  std::vector<double> w(h);
  for (int j = 0; j < h; ++j) w[j] = weights[live[j]] * (h / total);

  // Beyond T, P(fewer than k of the others arrived) <= h^(k-1) e^{-T S} with S
  // the sum of the h-k smallest rates, so the tail is below ~e^-40.
  std::vector<double> sorted = w;
  std::sort(sorted.begin(), sorted.end());
  double s_small = 0;
  for (int j = 0; j < h - k; ++j) s_small += sorted[j];
  const double t_max = ((k - 1) * internal::Log(static_cast<double>(h)) + 40.0) / s_small;

  const GaussRule rule = MakeGaussRule();
  // pre[j*k + c]: P(exactly c of domains [0, j) arrived), c < k.
  // suf[j*k + c]: P(at most c of domains [j, h) arrived), c < k.
  std::vector<double> pre((h + 1) * k), exact((h + 1) * k), suf((h + 1) * k);
  std::vector<double> p(h), q(h), acc(h, 0.0);
  for (int panel = 0; panel < kPanels; ++panel) {
    // Panels cluster near 0 where arrivals happen: edges at T (j/P)^3.
    const double f0 = static_cast<double>(panel) / kPanels;
    const double f1 = static_cast<double>(panel + 1) / kPanels;
    const double t0 = t_max * f0 * f0 * f0;
    const double t1 = t_max * f1 * f1 * f1;
    const double half = 0.5 * (t1 - t0);
    const double mid = 0.5 * (t1 + t0);
    for (int g = 0; g < 5; ++g) {
      const double t = mid + half * rule.x[g];
      const double wq = half * rule.w[g];
      for (int j = 0; j < h; ++j) {
        q[j] = internal::ExpNonPositive(-w[j] * t);
        p[j] = internal::OneMinusExpNeg(w[j] * t);
      }
      std::fill(pre.begin(), pre.begin() + k, 0.0);
      pre[0] = 1.0;
      for (int j = 0; j < h; ++j) {
        const double* a = &pre[j * k];
        double* b = &pre[(j + 1) * k];
        b[0] = a[0] * q[j];
        for (int c = 1; c < k; ++c) b[c] = a[c] * q[j] + a[c - 1] * p[j];
      }
      std::fill(exact.begin() + h * k, exact.end(), 0.0);
      exact[h * k] = 1.0;
      for (int j = h - 1; j >= 0; --j) {
        const double* a = &exact[(j + 1) * k];
        double* b = &exact[j * k];
        b[0] = a[0] * q[j];
        for (int c = 1; c < k; ++c) b[c] = a[c] * q[j] + a[c - 1] * p[j];
      }
      for (int j = 0; j <= h; ++j) {
        double run = 0;
        for (int c = 0; c < k; ++c) {
          run += exact[j * k + c];
          suf[j * k + c] = run;
        }
      }
      for (int j = 0; j < h; ++j) {
        const double* a = &pre[j * k];
        const double* b = &suf[(j + 1) * k];
        double fewer = 0;  // P(at most k-1 of the others arrived by t)
        for (int c = 0; c < k; ++c) fewer += a[c] * b[k - 1 - c];
        acc[j] += wq * w[j] * q[j] * fewer;
      }
    }
  }
  for (int j = 0; j < h; ++j) pi[live[j]] = std::min(1.0, acc[j]);
  return pi;
}

DomainCorrection CorrectDomainWeights(std::span<const double> capacities, int draws) {
  const int n = static_cast<int>(capacities.size());
  DomainCorrection out;
  out.factors.assign(n, 1.0);
  double total = 0;
  int live = 0;
  double first = -1;
  bool all_equal = true;
  for (double c : capacities) {
    if (c <= 0) continue;
    total += c;
    ++live;
    if (first < 0) first = c;
    if (c != first) all_equal = false;
  }
  if (live <= draws || draws <= 0) return out;
  std::vector<double> target(n, 0.0);
  for (int i = 0; i < n; ++i) {
    if (capacities[i] <= 0) continue;
    target[i] = draws * capacities[i] / total;
    if (target[i] >= 1.0) out.feasible = false;
  }
  if (!out.feasible || all_equal) return out;

  std::vector<double> w(capacities.begin(), capacities.end());
  for (int it = 0;; ++it) {
    const std::vector<double> pi = InclusionProbabilities(w, draws);
    double resid = 0;
    for (int i = 0; i < n; ++i) {
      if (target[i] > 0) resid = std::max(resid, std::fabs(pi[i] / target[i] - 1.0));
    }
    out.iterations = it;
    out.max_residual = resid;
    if (resid < kTolerance) break;
    if (it == kMaxIterations) {
      out.converged = false;
      break;
    }
    double sum = 0;
    for (int i = 0; i < n; ++i) {
      if (target[i] <= 0) continue;
      // Inclusion grows sublinearly in the weight, so overshooting the plain
      // ratio (exponent 1.5 via r*sqrt(r)) converges faster and still monotonically
      // for maps far from infeasible.
      const double r = target[i] / pi[i];
      w[i] *= r * std::sqrt(r);
      sum += w[i];
    }
    for (int i = 0; i < n; ++i) w[i] *= total / sum;
  }
  for (int i = 0; i < n; ++i) {
    if (capacities[i] > 0) out.factors[i] = w[i] / capacities[i];
  }
  return out;
}

}  // namespace freehold::placement
