#include "coordinator/core/funding_config.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace freehold::coordinator {

funding::AdmissionConfig FundingSettings::Admission() const {
  funding::AdmissionConfig out = admission;
  out.throttle_on_funding = !donations.empty();
  return out;
}

absl::Status FundingSettings::Validate() const {
  auto bad = [](auto... parts) { return absl::InvalidArgumentError(absl::StrCat(parts...)); };
  if (refresh <= absl::ZeroDuration()) return bad("--funding-refresh must be > 0");
  if (donations_timeout <= absl::ZeroDuration()) return bad("--donations-timeout must be > 0");
  if (recent_window <= absl::ZeroDuration()) return bad("--recent-writes-window must be > 0");
  if (growth_window <= absl::ZeroDuration()) return bad("--growth-window must be > 0");
  if (inkind_min_audits < 0) {
    return bad("--inkind-min-audits must be >= 0 (got ", inkind_min_audits, ")");
  }
  const funding::AdmissionConfig& a = admission;
  if (!(a.throttle_at > 0 && a.throttle_at <= 1)) {
    return bad("--throttle-at must be in (0, 1] (got ", a.throttle_at, ")");
  }
  if (!(a.physical_reserve_fraction >= 0 && a.physical_reserve_fraction < 1)) {
    return bad("--physical-reserve-fraction must be in [0, 1) (got ", a.physical_reserve_fraction,
               ")");
  }
  if (a.throttle_horizon <= absl::ZeroDuration() ||
      a.throttle_horizon == absl::InfiniteDuration()) {
    return bad("--throttle-horizon must be > 0 and finite");
  }
  if (!(a.min_account_rate_bytes_per_second > 0) ||
      !std::isfinite(a.min_account_rate_bytes_per_second)) {
    return bad("--min-account-rate must be > 0 bytes/s");
  }
  if (a.burst <= absl::ZeroDuration() || a.burst == absl::InfiniteDuration()) {
    return bad("--throttle-burst must be > 0 and finite");
  }
  if (a.donate_url.empty()) return bad("--donate-url must not be empty");
  if (absl::Status s = funding::ValidateAdmissionConfig(Admission()); !s.ok()) {
    return bad("admission settings: ", s.message());
  }
  return absl::OkStatus();
}

funding::CostModel DefaultCostModel() {
  funding::CostModel m;
  m.currency = "EUR";
  m.cost_per_tib_month_minor = 1200;
  m.fixed_monthly_minor = 150000;
  m.default_raw_overhead = 1.5;
  return m;
}

absl::StatusOr<funding::CostModel> LoadCostModel(const std::string& path) {
  if (path.empty()) return DefaultCostModel();
  std::ifstream in(path);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat("--cost-model: cannot read ", path, " (", std::strerror(errno), ")"));
  }
  std::stringstream text;
  text << in.rdbuf();
  absl::StatusOr<funding::CostModel> model = funding::ParseCostModel(text.str(), path);
  if (!model.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--cost-model: ", model.status().message()));
  }
  return model;
}

}  // namespace freehold::coordinator
