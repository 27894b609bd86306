// Org mode (`freehold put|get|ls ... --org ORG`): the command works on the objects the
// organization owns (coordinator/core/org_access.h). The member's wrappings of every
// key generation are fetched from accounts (GetOrgKeys) and opened with the member's
// own identity:
//   - the CURRENT generation is the naming identity of what is written now: new
//     names, metadata, name hashes and share records use its keys, and new files and
//     folder keys are encrypted to its recipient, so a removed member (who kept the
//     older identities) can open nothing written afterwards;
//   - reading tries every generation held, newest first: an age header opens with
//     any of them, and a name or metadata blob with the generation it was written
//     under (client/core/naming_keys.h), so names written before a rotation still
//     resolve by path.
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
  int current_index = 0;                      // index in `all` of the current generation
  bool rotation_due = false;  // a member's account was deleted: rotate before writing
  // What is written now is named with the current generation (see above).
  const client::X25519Identity& naming() const { return all[current_index]; }
  const client::X25519Identity& current() const { return all[current_index]; }
};

// NOT_FOUND for an unknown organization or a non-member (accounts' answer);
// DATA_LOSS if a wrapping does not open with `me`; FAILED_PRECONDITION if the current
// generation is not among the caller's wrappings.
absl::StatusOr<OrgKeys> OpenOrgKeys(AccountsApi& accounts, const std::string& token,
                                    const std::string& org_name,
                                    const client::X25519Identity& me);

}  // namespace freehold::cli
