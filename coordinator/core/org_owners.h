// Which owners are organizations, and what they store (core/org_access.h; migration
// 0014_orgput_org_owners). An organization's objects are owned by the org id, so the
// usage of organizations is the usage of the owner ids recorded here.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace freehold::coordinator {

struct OrgUsage {
  uint64_t organizations = 0;  // organizations owning at least one committed object
  uint64_t objects = 0;        // their committed objects (the trash included)
  uint64_t logical_bytes = 0;  // and those objects' payload bytes
};

// Thread-safe. UNAVAILABLE / INTERNAL from the database.
class OrgOwners {
 public:
  virtual ~OrgOwners() = default;
  // Records `org_id` (canonical UUID) as an organization; idempotent.
  virtual absl::Status Remember(const std::string& org_id) = 0;
  virtual absl::StatusOr<OrgUsage> Usage() = 0;
};

}  // namespace freehold::coordinator
