// Domain type helpers (see types.h).
#include "services/donations/core/types.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/secure_compare.h"

namespace freehold::donations {

std::optional<absl::string_view> FindHeader(const Headers& headers, absl::string_view name) {
  for (const auto& [k, v] : headers) {
    if (absl::EqualsIgnoreCase(k, name)) return absl::string_view(v);
  }
  return std::nullopt;
}

absl::string_view EntryKindName(EntryKind kind) {
  switch (kind) {
    case EntryKind::kOneOff:
      return "one_off";
    case EntryKind::kRecurring:
      return "recurring";
    case EntryKind::kRefund:
      return "refund";
    case EntryKind::kChargeback:
      return "chargeback";
  }
  return "one_off";
}

absl::StatusOr<EntryKind> ParseEntryKind(absl::string_view name) {
  if (name == "one_off") return EntryKind::kOneOff;
  if (name == "recurring") return EntryKind::kRecurring;
  if (name == "refund") return EntryKind::kRefund;
  if (name == "chargeback") return EntryKind::kChargeback;
  return absl::InvalidArgumentError(absl::StrCat("unknown ledger entry kind \"", name, "\""));
}

absl::string_view EventKindName(EventKind kind) {
  switch (kind) {
    case EventKind::kPayment:
      return "payment";
    case EventKind::kRecurringPayment:
      return "recurring_payment";
    case EventKind::kRefund:
      return "refund";
    case EventKind::kDispute:
      return "dispute";
    case EventKind::kPledgeCreated:
      return "pledge_created";
    case EventKind::kPledgeCancelled:
      return "pledge_cancelled";
    case EventKind::kUnknown:
      return "unknown";
  }
  return "unknown";
}

std::string NewUuid() {
  std::string b = RandomBytes(16);
  b[6] = static_cast<char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<char>((b[8] & 0x3f) | 0x80);
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    absl::StrAppendFormat(&out, "%02x", static_cast<unsigned char>(b[i]));
  }
  return out;
}

bool IsUuid(absl::string_view text) {
  if (text.size() != 36) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (text[i] != '-') return false;
    } else if (!absl::ascii_isxdigit(static_cast<unsigned char>(text[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace freehold::donations
