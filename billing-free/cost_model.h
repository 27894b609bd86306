// The cost model of a Freehold deployment: what keeping data stored costs per
// month, in the base currency the donation ledger converts everything into.
//
// Config file format (parsed by ParseCostModel; the caller reads the file):
//
//   # Freehold cost model. Money is in minor units of `currency`
//   # (cents for EUR, yen for JPY, fils for KWD).
//   currency = EUR
//   cost_per_tib_month_minor = 1200   # one TiB (2^40 B) of raw disk, one month
//   fixed_monthly_minor = 150000      # servers, bandwidth, people
//   default_raw_overhead = 1.5        # optional; raw/logical before data exists
//
// One `key = value` per line; blank lines and `#` comments (whole-line or
// trailing) are ignored; whitespace around key and value is trimmed. Keys are
// case-sensitive; every key at most once; unknown keys are errors (a typo must
// not silently leave a default in place).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace freehold::funding {

// Upper bound for any money amount accepted anywhere in this library (minor
// units). Keeps every sum and product in the formulas far from overflow; 10^15
// minor units is ten trillion euros or a quadrillion yen.
inline constexpr int64_t kMaxMoneyMinor = 1'000'000'000'000'000;

struct CostModel {
  // ISO 4217 code of the base currency, three upper-case letters. Required.
  std::string currency;
  // Marginal cost of one TiB (2^40 bytes) of *raw* disk kept filled for one
  // month (disk amortisation, power, replacement), minor units. Required, > 0.
  int64_t cost_per_tib_month_minor = 0;
  // Monthly costs that do not scale with stored bytes, minor units. Required,
  // >= 0.
  int64_t fixed_monthly_minor = 0;
  // Raw bytes per logical byte, (k+m)/k of the erasure code, used only while
  // nothing is stored yet (afterwards the measured ratio is used). >= 1.
  double default_raw_overhead = 1.5;
};

// OK, or INVALID_ARGUMENT naming the first bad field and its value.
absl::Status ValidateCostModel(const CostModel& model);

// Parses the config text above. `source` names the file in error messages.
// Returns INVALID_ARGUMENT "SOURCE:LINE: ..." naming the bad line and field
// (malformed line, unknown or repeated key, bad value), or "SOURCE: ..." for a
// missing required key or a model that fails ValidateCostModel.
absl::StatusOr<CostModel> ParseCostModel(std::string_view text,
                                         std::string_view source = "cost model");

// Renders `model` in the config format; ParseCostModel(FormatCostModel(m))
// yields m again.
std::string FormatCostModel(const CostModel& model);

}  // namespace freehold::funding
