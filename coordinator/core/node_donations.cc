#include "coordinator/core/node_donations.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "coordinator/core/ids.h"
#include "coordinator/core/text_rules.h"

namespace freehold::coordinator {
namespace {

absl::Status CheckText(absl::string_view value, absl::string_view field, size_t max_bytes,
                       bool multiline) {
  if (absl::StripAsciiWhitespace(value).empty()) {
    return absl::InvalidArgumentError(absl::StrCat(field, " must not be empty"));
  }
  if (value.size() > max_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " must be at most ", max_bytes, " bytes (got ", value.size(), ")"));
  }
  if (!IsCleanText(value, multiline)) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, " must be valid UTF-8 without control characters",
        multiline ? " (newlines and tabs are allowed)" : ""));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateDonorLabel(absl::string_view label) {
  return CheckText(label, "donated_by", kMaxDonorLabelChars, /*multiline=*/false);
}

absl::Status ValidateDonationTerms(absl::string_view terms) {
  return CheckText(terms, "terms", kMaxDonationTermsBytes, /*multiline=*/true);
}

absl::StatusOr<NodeDonation> NodeDonations::Donate(const std::string& node_id,
                                                   const std::string& donated_by,
                                                   const std::string& terms, uint64_t cap_bytes,
                                                   const std::string& operator_name) {
  FH_RETURN_IF_ERROR(CheckNodeId(node_id, "node_id"));
  FH_RETURN_IF_ERROR(ValidateDonorLabel(donated_by));
  FH_RETURN_IF_ERROR(ValidateDonationTerms(terms));
  if (cap_bytes > static_cast<uint64_t>(INT64_MAX)) {
    return absl::InvalidArgumentError("cap_bytes must be at most 2^63-1");
  }
  std::optional<NodeAdmission> admission;
  FH_RETURN_IF_ERROR(store_.Read([&](MetadataTxn& txn) -> absl::Status {
    FH_ASSIGN_OR_RETURN(admission, txn.admissions().Get(node_id, /*for_update=*/false));
    return absl::OkStatus();
  }));
  if (!admission.has_value()) {
    return absl::NotFoundError(absl::StrCat("node ", node_id,
                                            " was never approved; approve it first "
                                            "(freehold-admin nodes approve ",
                                            node_id, ")"));
  }
  if (admission->revoked_at.has_value()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "node ", node_id, " was revoked; approve it again before recording its donation"));
  }
  NodeDonation d;
  d.node_id = node_id;
  d.donated_by = donated_by;
  d.terms = terms;
  d.approved_by = operator_name;
  d.approved_at = clock_.Now();
  d.cap_bytes = cap_bytes;
  FH_RETURN_IF_ERROR(donations_.Upsert(d));
  return d;
}

absl::Status NodeDonations::Withdraw(const std::string& node_id) {
  FH_RETURN_IF_ERROR(CheckNodeId(node_id, "node_id"));
  FH_ASSIGN_OR_RETURN(bool removed, donations_.Remove(node_id));
  if (!removed) {
    return absl::NotFoundError(absl::StrCat("no donation is recorded for node ", node_id));
  }
  return absl::OkStatus();
}

}  // namespace freehold::coordinator
