#include "coordinator/grpc/durability_status.h"

#include <map>

namespace freehold::coordinator {

absl::Status AddDurability(DurabilityStore& store, v1::ClusterStatusResponse* resp) {
  absl::StatusOr<std::vector<StoredReputation>> reps = store.Reputations();
  if (!reps.ok()) return reps.status();
  absl::StatusOr<std::vector<DrainProgress>> drains = store.Drains();
  if (!drains.ok()) return drains.status();
  std::map<std::string, v1::NodeDurability> out;
  for (const StoredReputation& r : *reps) {
    v1::NodeDurability& d = out[r.node_id];
    d.set_node_id(r.node_id);
    d.set_reputation(r.reputation.Value());
    d.set_audits_passed(static_cast<uint64_t>(r.reputation.passed));
    d.set_audits_failed(static_cast<uint64_t>(r.reputation.failed));
    d.set_audits_offline(static_cast<uint64_t>(r.reputation.offline));
    d.set_suspended(r.suspended_at.has_value());
  }
  for (const DrainProgress& p : *drains) {
    v1::NodeDurability& d = out[p.node_id];
    if (d.node_id().empty()) {
      d.set_node_id(p.node_id);
      d.set_reputation(1.0);
    }
    d.set_drain_initial_bytes(p.initial_bytes);
    d.set_drain_moved_bytes(p.moved_bytes);
    d.set_drain_finished(p.finished_at.has_value());
  }
  for (auto& [id, d] : out) *resp->add_node_durability() = std::move(d);
  return absl::OkStatus();
}

}  // namespace freehold::coordinator
