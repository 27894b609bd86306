// Prometheus exposer wrapper and registry inspection helpers.
#include "common/metrics.h"

#include <prometheus/text_serializer.h>

#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace freehold {
namespace {

// Splits "host:port" / "[v6]:port"; false if malformed.
bool SplitHostPort(const std::string& address, std::string* host, int* port) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  *host = address.substr(0, colon);
  if (!absl::SimpleAtoi(address.substr(colon + 1), port) || *port < 0 || *port > 65535) {
    return false;
  }
  if (host->front() == '[' && host->back() != ']') return false;
  return true;
}

}  // namespace

absl::StatusOr<std::unique_ptr<MetricsExposer>> MetricsExposer::Start(
    const std::string& address, std::shared_ptr<prometheus::Registry> registry) {
  std::string host;
  int port = 0;
  if (!SplitHostPort(address, &host, &port)) {
    return absl::InvalidArgumentError(
        absl::StrCat("metrics address '", address, "' is not host:port"));
  }
  std::unique_ptr<MetricsExposer> self(new MetricsExposer());
  self->registry_ = registry ? std::move(registry) : std::make_shared<prometheus::Registry>();
  self->host_ = host;
  try {
    self->exposer_ = std::make_unique<prometheus::Exposer>(address, /*num_threads=*/2);
  } catch (const std::exception& e) {
    return absl::UnavailableError(
        absl::StrCat("cannot serve metrics on ", address, ": ", e.what()));
  }
  self->exposer_->RegisterCollectable(self->registry_);
  const std::vector<int> ports = self->exposer_->GetListeningPorts();
  if (ports.empty()) {
    return absl::UnavailableError(absl::StrCat("metrics server on ", address, " has no port"));
  }
  self->port_ = ports.front();
  return self;
}

MetricsExposer::~MetricsExposer() = default;

std::string MetricsExposer::url() const {
  return absl::StrCat("http://", host_, ":", port_, "/metrics");
}

std::optional<double> ReadMetric(const prometheus::Registry& registry, const std::string& name,
                                 const std::map<std::string, std::string>& labels) {
  for (const prometheus::MetricFamily& family : registry.Collect()) {
    if (family.name != name) continue;
    for (const prometheus::ClientMetric& m : family.metric) {
      if (m.label.size() != labels.size()) continue;
      bool match = true;
      for (const auto& l : m.label) {
        auto it = labels.find(l.name);
        if (it == labels.end() || it->second != l.value) {
          match = false;
          break;
        }
      }
      if (!match) continue;
      switch (family.type) {
        case prometheus::MetricType::Counter:
          return m.counter.value;
        case prometheus::MetricType::Gauge:
          return m.gauge.value;
        case prometheus::MetricType::Histogram:
          return static_cast<double>(m.histogram.sample_count);
        case prometheus::MetricType::Summary:
          return static_cast<double>(m.summary.sample_count);
        default:
          return m.untyped.value;
      }
    }
  }
  return std::nullopt;
}

std::string SerializeMetrics(const prometheus::Registry& registry) {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, registry.Collect());
  return out.str();
}

}  // namespace freehold
