// Prometheus families of audits, reputation and drains
// (docs/ARCHITECTURE.md#16-metrics-and-alerts). Thread-safe.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <string>

namespace freehold::coordinator {

class DurabilityMetrics {
 public:
  explicit DurabilityMetrics(prometheus::Registry& registry);

  // result: "passed", "failed", "offline" or "unknown".
  void Audit(const std::string& node_id, const char* result);
  void Reputation(const std::string& node_id, double value, bool suspended);
  void AuditBacklog(double due, double required_rate);
  // method: "copy" (from the node itself) or "rebuild" (from k others).
  void Moved(const char* reason, const std::string& node_id, const char* method, uint64_t bytes);
  void DrainRemaining(const std::string& node_id, double shards);

 private:
  prometheus::Family<prometheus::Counter>& audits_;
  prometheus::Family<prometheus::Gauge>& reputation_;
  prometheus::Family<prometheus::Gauge>& suspended_;
  prometheus::Gauge& due_;
  prometheus::Gauge& required_rate_;
  prometheus::Family<prometheus::Counter>& moved_shards_;
  prometheus::Family<prometheus::Counter>& moved_bytes_;
  prometheus::Family<prometheus::Gauge>& drain_remaining_;
};

}  // namespace freehold::coordinator
