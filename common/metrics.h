// Prometheus /metrics endpoint (prometheus-cpp pull) owning the process's registry.
//
//   FH_ASSIGN_OR_RETURN(auto exposer, freehold::MetricsExposer::Start("127.0.0.1:9400"));
//   auto& stored = prometheus::BuildCounter().Name("freehold_shards_stored_total")
//                      .Help("...").Register(exposer->registry());
//
// Components take a `prometheus::Registry&` in their constructor; only main.cc creates
// the exposer. Tests can use a bare prometheus::Registry and ReadMetric() below.
#pragma once

#include <prometheus/exposer.h>
#include <prometheus/registry.h>

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"

namespace freehold {

class MetricsExposer {
 public:
  // Serves GET /metrics on `address` ("host:port"; port 0 picks a free port, see port()).
  // A null registry means a fresh one. UNAVAILABLE if the address cannot be bound,
  // INVALID_ARGUMENT if it is malformed.
  static absl::StatusOr<std::unique_ptr<MetricsExposer>> Start(
      const std::string& address, std::shared_ptr<prometheus::Registry> registry = nullptr);
  ~MetricsExposer();

  prometheus::Registry& registry() { return *registry_; }
  std::shared_ptr<prometheus::Registry> shared_registry() { return registry_; }
  // The bound port (the real one when started with port 0).
  int port() const { return port_; }
  // "http://<host>:<port>/metrics".
  std::string url() const;

 private:
  MetricsExposer() = default;
  std::unique_ptr<prometheus::Exposer> exposer_;
  std::shared_ptr<prometheus::Registry> registry_;
  std::string host_;
  int port_ = 0;
};

// The value of one counter/gauge sample in `registry` (histograms: the sample count;
// summaries: the sample count), matched by metric family name and exactly these labels.
// std::nullopt if absent. For tests and the operator CLI.
std::optional<double> ReadMetric(const prometheus::Registry& registry, const std::string& name,
                                 const std::map<std::string, std::string>& labels);

// The registry serialized in the Prometheus text format.
std::string SerializeMetrics(const prometheus::Registry& registry);

}  // namespace freehold
