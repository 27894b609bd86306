#include "coordinator/core/usage_source.h"

#include "common/status.h"

namespace freehold::coordinator {

absl::StatusOr<UsageFigures> StoreUsageSource::Read(absl::Time recent_since) {
  UsageFigures out;
  FH_RETURN_IF_ERROR(store_.Read([&](MetadataTxn& txn) -> absl::Status {
    out = UsageFigures();
    FH_ASSIGN_OR_RETURN(StoredTotals totals, txn.stats().Totals());
    out.logical_bytes = totals.logical_bytes;
    out.raw_bytes = totals.raw_bytes;
    FH_ASSIGN_OR_RETURN(std::vector<Node> nodes, txn.nodes().List());
    for (const Node& n : nodes) {
      if (n.state == NodeState::kUp || n.state == NodeState::kDown) {
        out.physical_raw_capacity_bytes += n.capacity_bytes;
      }
    }
    FH_ASSIGN_OR_RETURN(std::vector<AccountBytes> recent,
                        txn.stats().RecentWrites(recent_since, max_accounts_));
    out.recent.reserve(recent.size());
    for (AccountBytes& a : recent) {
      out.recent.push_back(funding::AccountWrites{std::move(a.account_id), a.bytes});
    }
    return absl::OkStatus();
  }));
  return out;
}

}  // namespace freehold::coordinator
