// Org mode (`freehold put|get|ls ... --org ORG`): the command works on the objects the
// organization owns (coordinator/core/org_access.h). The member's wrappings of every
// key generation are fetched from accounts (GetOrgKeys) and opened with the member's
// own identity:
//   - the NAMING identity (the lowest generation held, normally generation 1) gives
//     the metadata and name-hash keys, so names resolve across rotations;
//   - new files are encrypted to the CURRENT generation's recipient, so a removed
//     member (who kept the older identities) cannot open what is written afterwards;
//   - reading opens an age header with any generation held.
// Calls to the coordinator carry "freehold-org: <org id>"; the coordinator checks the
// membership with accounts and refuses non-members and read-only writers.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/cli/accounts_api.h"
#include "client/core/keys.h"

namespace freehold::cli {

struct OrgKeys {
  std::string org_id;
  std::string name;
  std::string role;  // the caller's
  int generation = 0;                         // current
  std::vector<client::X25519Identity> all;    // every generation held, newest first
  int naming_index = 0;                       // index in `all` of the naming identity
  int current_index = 0;                      // index in `all` of the current generation
  bool rotation_due = false;  // a member's account was deleted: rotate before writing
  const client::X25519Identity& naming() const { return all[naming_index]; }
  const client::X25519Identity& current() const { return all[current_index]; }
};

// NOT_FOUND for an unknown organization or a non-member (accounts' answer);
// DATA_LOSS if a wrapping does not open with `me`; FAILED_PRECONDITION if the current
// generation is not among the caller's wrappings.
absl::StatusOr<OrgKeys> OpenOrgKeys(AccountsApi& accounts, const std::string& token,
                                    const std::string& org_name,
                                    const client::X25519Identity& me);

}  // namespace freehold::cli
