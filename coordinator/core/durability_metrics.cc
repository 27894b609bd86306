#include "coordinator/core/durability_metrics.h"

namespace freehold::coordinator {

DurabilityMetrics::DurabilityMetrics(prometheus::Registry& registry)
    : audits_(prometheus::BuildCounter()
                  .Name("freehold_audits_total")
                  .Help("Shard audits per node by result (passed, failed, offline, unknown)")
                  .Register(registry)),
      reputation_(prometheus::BuildGauge()
                      .Name("freehold_node_reputation")
                      .Help("Node reputation: audit score * online score, in [0, 1]")
                      .Register(registry)),
      suspended_(prometheus::BuildGauge()
                     .Name("freehold_node_suspended")
                     .Help("1 while a node's reputation is below --reputation-threshold")
                     .Register(registry)),
      due_(prometheus::BuildGauge()
               .Name("freehold_audits_due")
               .Help("Shard copies due for audit and not yet audited (backlog)")
               .Register(registry)
               .Add({})),
      required_rate_(prometheus::BuildGauge()
                         .Name("freehold_audit_required_per_second")
                         .Help("Audits per second needed to audit every shard within "
                               "--audit-period (compare with --audits-per-second)")
                         .Register(registry)
                         .Add({})),
      moved_shards_(prometheus::BuildCounter()
                        .Name("freehold_shards_moved_total")
                        .Help("Shards moved by drains and rebalancing, by reason, source "
                              "node and method (copy or rebuild)")
                        .Register(registry)),
      moved_bytes_(prometheus::BuildCounter()
                       .Name("freehold_shard_bytes_moved_total")
                       .Help("Bytes written to new nodes by drains and rebalancing")
                       .Register(registry)),
      drain_remaining_(prometheus::BuildGauge()
                           .Name("freehold_drain_remaining_shards")
                           .Help("Shards still on a draining node")
                           .Register(registry)) {}

void DurabilityMetrics::Audit(const std::string& node_id, const char* result) {
  audits_.Add({{"node", node_id}, {"result", result}}).Increment();
}

void DurabilityMetrics::Reputation(const std::string& node_id, double value, bool suspended) {
  reputation_.Add({{"node", node_id}}).Set(value);
  suspended_.Add({{"node", node_id}}).Set(suspended ? 1 : 0);
}

void DurabilityMetrics::AuditBacklog(double due, double required_rate) {
  due_.Set(due);
  required_rate_.Set(required_rate);
}

void DurabilityMetrics::Moved(const char* reason, const std::string& node_id, const char* method,
                              uint64_t bytes) {
  moved_shards_.Add({{"reason", reason}, {"node", node_id}, {"method", method}}).Increment();
  moved_bytes_.Add({{"reason", reason}, {"node", node_id}}).Increment(static_cast<double>(bytes));
}

void DurabilityMetrics::DrainRemaining(const std::string& node_id, double shards) {
  drain_remaining_.Add({{"node", node_id}}).Set(shards);
}

}  // namespace freehold::coordinator
