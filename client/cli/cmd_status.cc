// status: cluster capacity and health (Coordinator.ClusterStatus) and the
// funding picture (Funding.GetFundingStatus, when the coordinator serves it).
#include <cmath>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/cli/commands.h"
#include "client/cli/format.h"

namespace freehold::cli {
namespace {

const char* NodeStateName(v1::NodeState s) {
  switch (s) {
    case v1::NODE_STATE_UP:
      return "up";
    case v1::NODE_STATE_DOWN:
      return "down";
    case v1::NODE_STATE_DRAINING:
      return "draining";
    case v1::NODE_STATE_RETIRED:
      return "retired";
    default:
      return "unknown";
  }
}

const char* AdmissionName(v1::AdmissionState s) {
  switch (s) {
    case v1::ADMISSION_STATE_OPEN:
      return "open";
    case v1::ADMISSION_STATE_THROTTLED:
      return "throttled";
    case v1::ADMISSION_STATE_CLOSED:
      return "closed";
    default:
      return "unknown";
  }
}

std::string Money(int64_t minor, const std::string& currency) {
  return absl::StrFormat("%.2f %s", static_cast<double>(minor) / 100.0, currency);
}

std::string Runway(double seconds) {
  if (std::isinf(seconds) || seconds > 1e15) return "unlimited (income covers costs)";
  return absl::StrFormat("%.0f days", seconds / 86400.0);
}

}  // namespace

absl::Status RunStatus(Context& ctx) {
  // Logged in: calls carry the user's token (with its roles); else anonymous.
  absl::StatusOr<CoordinatorApi*> coordinator = ctx.Coordinator();
  if (absl::IsUnauthenticated(coordinator.status())) coordinator = ctx.Coordinator(true);
  if (!coordinator.ok()) return coordinator.status();

  absl::StatusOr<v1::ClusterStatusResponse> cluster = (*coordinator)->ClusterStatus();
  absl::StatusOr<v1::FundingStatus> funding = (*coordinator)->FundingStatus();
  const bool funding_served = funding.ok() || !absl::IsUnimplemented(funding.status());
  if (!cluster.ok() && !funding.ok()) return cluster.status();

  if (ctx.json()) {
    nlohmann::json j;
    if (cluster.ok()) {
      nlohmann::json nodes = nlohmann::json::array();
      for (const v1::NodeInfo& n : cluster->nodes()) {
        nodes.push_back({{"node_id", n.node_id()},
                         {"address", n.address()},
                         {"zone", n.domain().zone()},
                         {"host", n.domain().host()},
                         {"state", NodeStateName(n.state())},
                         {"used_bytes", n.used_bytes()},
                         {"free_bytes", n.free_bytes()},
                         {"capacity_bytes", n.capacity_bytes()},
                         {"shards", n.shard_count()}});
      }
      j["cluster"] = {
          {"nodes", nodes},
          {"raw_capacity_bytes", cluster->raw_capacity_bytes()},
          {"raw_used_bytes", cluster->raw_used_bytes()},
          {"raw_free_bytes", cluster->raw_free_bytes()},
          {"logical_used_bytes", cluster->logical_used_bytes()},
          {"objects", cluster->objects()},
          {"segments", cluster->segments()},
          {"segments_degraded", cluster->segments_degraded()},
          {"segments_lost", cluster->segments_lost()},
          {"segments_unavailable", cluster->segments_unavailable()},
          {"trash_objects", cluster->trash_objects()},
          {"trash_bytes", cluster->trash_bytes()},
          {"coding", absl::StrCat(cluster->data_shards(), "+", cluster->parity_shards())}};
    } else {
      j["cluster_error"] = std::string(cluster.status().message());
    }
    if (funding.ok()) {
      const auto finite_or_null = [](double v) {
        return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
      };
      j["funding"] = {
          {"admission", AdmissionName(funding->admission_state())},
          {"admission_reason", funding->admission_reason()},
          {"admission_message", funding->admission_message()},
          {"currency", funding->base_currency()},
          {"monthly_income_minor", funding->monthly_income_base_minor()},
          {"monthly_cost_minor", funding->monthly_cost_base_minor()},
          {"balance_minor", funding->balance_base_minor()},
          {"coverage_ratio", finite_or_null(funding->coverage_ratio())},
          {"runway_seconds", finite_or_null(funding->runway_seconds())},
          {"funded_capacity_logical_bytes", funding->funded_capacity_logical_bytes()},
          {"physical_capacity_logical_bytes", funding->physical_capacity_logical_bytes()},
          {"logical_used_bytes", funding->logical_used_bytes()},
          {"org_logical_used_bytes", funding->org_logical_used_bytes()},
          {"organizations", funding->organizations()},
          {"raw_used_bytes", funding->raw_used_bytes()},
          {"raw_capacity_bytes", funding->raw_capacity_bytes()},
          {"seconds_until_funded_full", finite_or_null(funding->seconds_until_funded_full())},
          {"seconds_until_physical_full", finite_or_null(funding->seconds_until_physical_full())},
          {"funding_error", funding->funding_error()},
          {"donate_url", funding->donate_url()}};
    } else {
      j["funding_error"] = std::string(funding.status().message());
    }
    ctx.PrintJson(j);
    return absl::OkStatus();
  }

  if (cluster.ok()) {
    int up = 0;
    for (const v1::NodeInfo& n : cluster->nodes()) up += n.state() == v1::NODE_STATE_UP;
    const bool healthy = cluster->segments_lost() == 0 && cluster->segments_degraded() == 0;
    std::cout << "Cluster at " << (*coordinator)->service().address << ": "
              << (cluster->segments_lost() > 0          ? "DATA LOST"
                  : cluster->segments_unavailable() > 0 ? "UNAVAILABLE (storage nodes down; "
                                                          "data not lost, readable when they "
                                                          "return)"
                  : healthy                             ? "healthy"
                                                        : "degraded (repairing)")
              << "\n";
    absl::PrintF("  storage nodes   %d up of %d\n", up, cluster->nodes_size());
    absl::PrintF("  raw capacity    %s, used %s, free %s\n",
                 HumanBytes(cluster->raw_capacity_bytes()), HumanBytes(cluster->raw_used_bytes()),
                 HumanBytes(cluster->raw_free_bytes()));
    absl::PrintF("  stored          %s in %d objects (%d segments, coding %d+%d)\n",
                 HumanBytes(cluster->logical_used_bytes()), cluster->objects(), cluster->segments(),
                 cluster->data_shards(), cluster->parity_shards());
    absl::PrintF("  redundancy      %d segments degraded, %d unavailable (nodes down), %d lost\n",
                 cluster->segments_degraded(), cluster->segments_unavailable(),
                 cluster->segments_lost());
    for (const v1::NodeInfo& n : cluster->nodes()) {
      absl::PrintF("    %-8s %-22s zone %-8s %10s used of %s\n", NodeStateName(n.state()),
                   n.address(), n.domain().zone(), HumanBytes(n.used_bytes()),
                   HumanBytes(n.capacity_bytes()));
    }
  } else {
    std::cout << "Cluster details: " << cluster.status().message() << "\n";
    if (absl::IsPermissionDenied(cluster.status()) || absl::IsUnauthenticated(cluster.status())) {
      std::cout << "  (node-level details need an account with the role coordinator:operator, "
                   "granted with: freehold-admin roles grant HANDLE coordinator:operator)\n";
    }
  }
  if (funding.ok()) {
    const v1::FundingStatus& f = *funding;
    std::cout << "Funding: new writes " << AdmissionName(f.admission_state());
    if (!f.admission_message().empty()) std::cout << " -- " << f.admission_message();
    std::cout << "\n";
    absl::PrintF("  income/cost     %s / %s per month (coverage %s)\n",
                 Money(f.monthly_income_base_minor(), f.base_currency()),
                 Money(f.monthly_cost_base_minor(), f.base_currency()),
                 std::isfinite(f.coverage_ratio())
                     ? absl::StrFormat("%.0f%%", f.coverage_ratio() * 100)
                     : std::string("full"));
    absl::PrintF("  balance         %s\n", Money(f.balance_base_minor(), f.base_currency()));
    absl::PrintF("  runway          %s\n", Runway(f.runway_seconds()));
    absl::PrintF("  capacity        used %s, funded %s, physical %s (logical)\n",
                 HumanBytes(f.logical_used_bytes()), HumanBytes(f.funded_capacity_logical_bytes()),
                 HumanBytes(f.physical_capacity_logical_bytes()));
    if (f.organizations() > 0) {
      absl::PrintF("  organizations   %s of it owned by %d organization(s)\n",
                   HumanBytes(f.org_logical_used_bytes()), f.organizations());
    }
    if (!f.funding_error().empty()) std::cout << "  note            " << f.funding_error() << "\n";
    if (!f.donate_url().empty()) std::cout << "  donate          " << f.donate_url() << "\n";
  } else if (!funding_served) {
    std::cout << "Funding: not served by this coordinator yet\n";
  } else {
    std::cout << "Funding: " << funding.status().message() << "\n";
  }
  return absl::OkStatus();
}

}  // namespace freehold::cli
