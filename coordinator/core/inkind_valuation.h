// Which donated disks count, and for how much (docs/ARCHITECTURE.md#12-funding-and-admission,
// "Donated disks"). Evaluated continuously: at every funding refresh the funding monitor
// asks for the valuation at that instant, so a node that stops qualifying stops counting
// at the next refresh (--funding-refresh, 10 s), not at the end of a month.
//
// A donated node (a NodeDonation record) counts when, at `now`, all of these hold:
//   - it is registered and its admission is not revoked;
//   - its effective state is UP (a heartbeat within --node-down-after): DOWN, DRAINING
//     and RETIRED nodes do not count;
//   - it passed at least `min_audits_passed` audits (its capacity is *audited*);
//   - it is not suspended and its reputation (audit score * online score) is at or
//     above the reputation threshold.
// Its counted raw capacity is
//   counted = min(capacity_bytes, used_bytes + free_bytes, cap_bytes if > 0)
// (capacity_bytes is already min(declared, file system); used + free is what the node
// last reported it can hold; cap_bytes the operator's cap in the record).
// The money value of the total is billing-free's InKindValueMinor (the cost model's
// price of provisioned raw disk). Pure computation besides StoreInKindSource.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "billing-free/funding_model.h"
#include "common/clock.h"
#include "coordinator/core/durability_store.h"
#include "coordinator/core/model.h"
#include "coordinator/core/node_donations.h"
#include "coordinator/core/store.h"

namespace freehold::coordinator {

struct InKindRules {
  absl::Duration node_down_after = absl::Seconds(30);  // --node-down-after
  double reputation_threshold = 0.6;                   // --reputation-threshold
  int64_t min_audits_passed = 1;                       // --inkind-min-audits
};

// One donated node's standing at an instant.
struct DonatedNodeValue {
  NodeDonation donation;
  bool counting = false;
  // Why it does not count ("" when counting): "not registered", "not approved",
  // "down", "draining", "retired", "not audited yet", "suspended",
  // "reputation below threshold".
  std::string reason;
  double reputation = 1.0;         // as stored (1 when never audited)
  uint64_t counted_raw_bytes = 0;  // 0 unless counting
};

struct InKindValuation {
  std::vector<DonatedNodeValue> nodes;  // one per record, by node id
  funding::InKindCapacity capacity;     // the counting nodes and their raw bytes
  uint64_t NotCounting() const { return nodes.size() - capacity.nodes; }
};

// The rules above for one record. `node` is the registry row (nullopt: not registered)
// and `reputation` the stored reputation (nullopt: never audited).
DonatedNodeValue ValueDonatedNode(const NodeDonation& donation, const std::optional<Node>& node,
                                  const std::optional<StoredReputation>& reputation,
                                  const InKindRules& rules, absl::Time now);

// Every record valued; capacity sums the counting ones (saturating).
InKindValuation ValueDonatedNodes(const std::vector<NodeDonation>& donations,
                                  const std::vector<Node>& nodes,
                                  const std::vector<StoredReputation>& reputations,
                                  const InKindRules& rules, absl::Time now);

// Where the funding monitor and ClusterStatus get the valuation. Thread-safe.
class InKindSource {
 public:
  virtual ~InKindSource() = default;
  // UNAVAILABLE / INTERNAL as the stores.
  virtual absl::StatusOr<InKindValuation> Read() = 0;
};

// Reads the records, the registry and the reputations, and values them at clock.Now().
class StoreInKindSource : public InKindSource {
 public:
  // References must outlive this object.
  StoreInKindSource(NodeDonationStore& donations, MetadataStore& store,
                    DurabilityStore& durability, Clock& clock, InKindRules rules)
      : donations_(donations), store_(store), durability_(durability), clock_(clock),
        rules_(rules) {}
  absl::StatusOr<InKindValuation> Read() override;

 private:
  NodeDonationStore& donations_;
  MetadataStore& store_;
  DurabilityStore& durability_;
  Clock& clock_;
  const InKindRules rules_;
};

}  // namespace freehold::coordinator
