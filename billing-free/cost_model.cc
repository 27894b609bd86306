// Parsing and validation of the cost model config (format in cost_model.h).
#include "billing-free/cost_model.h"

#include <charconv>
#include <cmath>
#include <optional>
#include <system_error>

#include "absl/strings/str_format.h"
#include "billing-free/internal/text.h"

namespace freehold::funding {
namespace {

bool IsCurrencyCode(std::string_view code) {
  if (code.size() != 3) return false;
  for (char c : code) {
    if (c < 'A' || c > 'Z') return false;
  }
  return true;
}

// Whole-string non-negative decimal integer; no sign, no spaces, no exponent.
std::optional<int64_t> ParseMinorUnits(std::string_view text) {
  if (text.empty() || text.front() < '0' || text.front() > '9') return std::nullopt;
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<double> ParseDecimal(std::string_view text) {
  if (text.empty()) return std::nullopt;
  double value = 0;
  auto [end, ec] =
      std::from_chars(text.data(), text.data() + text.size(), value, std::chars_format::fixed);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

}  // namespace

absl::Status ValidateCostModel(const CostModel& model) {
  if (!IsCurrencyCode(model.currency)) {
    return absl::InvalidArgumentError(
        internal::Cat("currency: expected an ISO 4217 code of three upper-case letters, got '",
                      model.currency, "'"));
  }
  if (model.cost_per_tib_month_minor <= 0 || model.cost_per_tib_month_minor > kMaxMoneyMinor) {
    return absl::InvalidArgumentError(internal::Cat("cost_per_tib_month_minor: must be in 1..",
                                                    kMaxMoneyMinor, " minor units, got ",
                                                    model.cost_per_tib_month_minor));
  }
  if (model.fixed_monthly_minor < 0 || model.fixed_monthly_minor > kMaxMoneyMinor) {
    return absl::InvalidArgumentError(internal::Cat("fixed_monthly_minor: must be in 0..",
                                                    kMaxMoneyMinor, " minor units, got ",
                                                    model.fixed_monthly_minor));
  }
  if (!std::isfinite(model.default_raw_overhead) || model.default_raw_overhead < 1.0 ||
      model.default_raw_overhead > 1000.0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "default_raw_overhead: must be a ratio in [1, 1000], got %g", model.default_raw_overhead));
  }
  return absl::OkStatus();
}

absl::StatusOr<CostModel> ParseCostModel(std::string_view text, std::string_view source) {
  CostModel model;
  bool seen_currency = false, seen_cost = false, seen_fixed = false, seen_overhead = false;
  int line_number = 0;
  for (std::string_view raw_line : internal::SplitLines(text)) {
    ++line_number;
    auto error = [&](std::string_view what) {
      return absl::InvalidArgumentError(internal::Cat(source, ":", line_number, ": ", what));
    };
    std::string_view line = raw_line;
    if (size_t hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    line = internal::StripWhitespace(line);
    if (line.empty()) continue;
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      return error(internal::Cat("expected 'key = value', got '", line, "'"));
    }
    std::string_view key = internal::StripWhitespace(line.substr(0, eq));
    std::string_view value = internal::StripWhitespace(line.substr(eq + 1));
    if (key.empty()) return error("missing key before '='");
    if (value.empty()) return error(internal::Cat(key, ": missing value after '='"));

    auto mark_seen = [&](bool& seen) -> absl::Status {
      if (seen) return error(internal::Cat(key, ": repeated key"));
      seen = true;
      return absl::OkStatus();
    };
    if (key == "currency") {
      if (absl::Status s = mark_seen(seen_currency); !s.ok()) return s;
      if (!IsCurrencyCode(value)) {
        return error(internal::Cat(
            "currency: expected an ISO 4217 code of three upper-case letters, got '", value, "'"));
      }
      model.currency = std::string(value);
    } else if (key == "cost_per_tib_month_minor" || key == "fixed_monthly_minor") {
      bool is_cost = key == "cost_per_tib_month_minor";
      if (absl::Status s = mark_seen(is_cost ? seen_cost : seen_fixed); !s.ok()) return s;
      std::optional<int64_t> amount = ParseMinorUnits(value);
      if (!amount.has_value() || *amount > kMaxMoneyMinor) {
        return error(internal::Cat(key, ": expected a whole number of minor units in 0..",
                                   kMaxMoneyMinor, ", got '", value, "'"));
      }
      (is_cost ? model.cost_per_tib_month_minor : model.fixed_monthly_minor) = *amount;
    } else if (key == "default_raw_overhead") {
      if (absl::Status s = mark_seen(seen_overhead); !s.ok()) return s;
      std::optional<double> ratio = ParseDecimal(value);
      if (!ratio.has_value()) {
        return error(
            internal::Cat(key, ": expected a decimal ratio such as 1.5, got '", value, "'"));
      }
      model.default_raw_overhead = *ratio;
    } else {
      return error(
          internal::Cat("unknown key '", key,
                        "' (known: currency, cost_per_tib_month_minor, fixed_monthly_minor, "
                        "default_raw_overhead)"));
    }
  }
  for (auto [seen, key] :
       {std::pair{seen_currency, "currency"}, std::pair{seen_cost, "cost_per_tib_month_minor"},
        std::pair{seen_fixed, "fixed_monthly_minor"}}) {
    if (!seen) return absl::InvalidArgumentError(internal::Cat(source, ": missing key ", key));
  }
  if (absl::Status s = ValidateCostModel(model); !s.ok()) {
    return absl::InvalidArgumentError(internal::Cat(source, ": ", std::string(s.message())));
  }
  return model;
}

std::string FormatCostModel(const CostModel& model) {
  return absl::StrFormat(
      "currency = %s\ncost_per_tib_month_minor = %d\nfixed_monthly_minor = %d\n"
      "default_raw_overhead = %.17g\n",
      model.currency, model.cost_per_tib_month_minor, model.fixed_monthly_minor,
      model.default_raw_overhead);
}

}  // namespace freehold::funding
