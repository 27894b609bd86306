// Effective weights: correcting weighted top-k placement so that each failure
// domain receives shards in proportion to its capacity.
//
// Placement ranks nodes by -ln(u)/w, an exponential "arrival time" with rate w.
// The first node of a domain therefore arrives at rate W (the domain's summed
// weight), and a segment's domains are the first k+m domains to arrive:
// weighted sampling without replacement. Its inclusion probabilities are not
// proportional to W: small domains are overfilled. Solving for domain weights
// whose inclusion probabilities equal (k+m) * capacity share, and scaling each
// node's weight by its domain's factor, removes the bias. Within a domain the
// chosen node is proportional to its weight, so node shares follow.
//
// All functions are pure and deterministic (bit-identical on every machine).
#pragma once

#include <span>
#include <vector>

namespace freehold::placement {

// Probability that each domain is among the first `draws` domains to arrive,
// for arrival rates `weights` (>= 0; zero-weight domains never arrive).
// Computed by quadrature; absolute error ~1e-12. If fewer than `draws`
// domains have positive weight, each of them gets 1.
std::vector<double> InclusionProbabilities(std::span<const double> weights, int draws);

struct DomainCorrection {
  // Multiply every node weight of domain d by factors[d]. Normalized so the
  // total weight is unchanged. All 1.0 when no correction is needed or possible.
  std::vector<double> factors;
  bool feasible = true;   // false: some domain holds >= 1/draws of capacity
  bool converged = true;  // residual below tolerance
  int iterations = 0;
  double max_residual = 0;  // max |inclusion / target - 1| at the end
};

// Factors such that InclusionProbabilities(capacities * factors, draws)[d] ==
// draws * capacities[d] / sum(capacities). Identity (exactly 1.0) when all
// positive capacities are equal or there are at most `draws` domains.
DomainCorrection CorrectDomainWeights(std::span<const double> capacities, int draws);

}  // namespace freehold::placement
