// Donated disks (issue 23, "donate disk as well as money";
// docs/ARCHITECTURE.md#12-funding-and-admission, "Donated disks"): an operator records
// that an approved storage node is run by a member of the community who donates its
// capacity, with the owner's name (as they wish to be credited) and the terms agreed.
// The record is what makes the node's audited, available capacity count as an in-kind
// donation (inkind_valuation.h); it never changes placement or admission of the node.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/string_view.h"
#include "coordinator/core/store.h"

namespace freehold::coordinator {

inline constexpr size_t kMaxDonorLabelChars = 200;
inline constexpr size_t kMaxDonationTermsBytes = 16384;

struct NodeDonation {
  std::string node_id;
  std::string donated_by;   // owner label, 1..200 bytes, one line
  std::string terms;        // what was agreed, 1..16384 bytes of UTF-8 text
  std::string approved_by;  // the operator: "cert:<id>" or "account:<uuid>"
  absl::Time approved_at = absl::UnixEpoch();
  // Counts at most this many raw bytes of the node's capacity; 0 = no cap beyond
  // the node's own capacity.
  uint64_t cap_bytes = 0;
};

// Persistence of the records (PostgreSQL: coordinator/pg/pg_node_donations.h, migration
// 0019). Each call is its own transaction; UNAVAILABLE when the database is unreachable.
class NodeDonationStore {
 public:
  virtual ~NodeDonationStore() = default;
  // Inserts or replaces the node's record.
  virtual absl::Status Upsert(const NodeDonation& donation) = 0;
  // Removes the node's record; false if there was none.
  virtual absl::StatusOr<bool> Remove(const std::string& node_id) = 0;
  // Every record, by node id.
  virtual absl::StatusOr<std::vector<NodeDonation>> List() = 0;
};

// The field rules below; OK or INVALID_ARGUMENT naming the field (never echoing it).
// Owner label: 1..200 bytes of valid UTF-8 without control characters, not only
// blanks. Terms: 1..16384 bytes of valid UTF-8 whose only control characters are
// newline and tab, not only blanks.
absl::Status ValidateDonorLabel(absl::string_view label);
absl::Status ValidateDonationTerms(absl::string_view terms);

// The operator calls. Thread-safe (state lives in the stores).
class NodeDonations {
 public:
  NodeDonations(MetadataStore& store, NodeDonationStore& donations, Clock& clock)
      : store_(store), donations_(donations), clock_(clock) {}

  // Records (or replaces) the donation of `node_id`, approved now by `operator_name`.
  // INVALID_ARGUMENT a bad node id, label or terms; NOT_FOUND the id was never approved
  // (freehold-admin nodes approve first); FAILED_PRECONDITION its approval was revoked.
  absl::StatusOr<NodeDonation> Donate(const std::string& node_id, const std::string& donated_by,
                                      const std::string& terms, uint64_t cap_bytes,
                                      const std::string& operator_name);
  // Ends the donation: the node keeps storing shards but no longer counts.
  // INVALID_ARGUMENT bad id; NOT_FOUND no donation is recorded for it.
  absl::Status Withdraw(const std::string& node_id);
  absl::StatusOr<std::vector<NodeDonation>> List() { return donations_.List(); }

 private:
  MetadataStore& store_;
  NodeDonationStore& donations_;
  Clock& clock_;
};

}  // namespace freehold::coordinator
