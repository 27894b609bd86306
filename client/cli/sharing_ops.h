// An object's sharing state as its owner keeps it on the coordinator
// (docs/PROTOCOL.md 8.1): the age header, the owner-encrypted share record
// (which stanza is whose) and the accounts with server-side access, changed
// atomically with a compare-and-swap on the header version so that two devices
// sharing at once never drop each other's recipients.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/cli/coordinator_api.h"
#include "client/core/age_header.h"
#include "client/core/keys.h"
#include "client/core/share_record.h"

namespace freehold::cli {

struct SharingState {
  // A folder (docs/PROTOCOL.md 9.3): the header holds the folder key; saved with
  // UpdateFolderSharing, the link flag included.
  bool is_folder = false;
  std::string object_id;  // canonical (the folder id for a folder)
  uint64_t version = 0;   // header_version read
  client::AgeHeader header;
  client::ShareRecord record;
  // Accounts with server-side access: the coordinator's list (which also holds
  // accounts shared with by older clients, without a record entry).
  std::vector<std::string> accounts;
  bool public_link = false;
  // When an operator disabled the public link after an abuse report (ISO 8601,
  // UTC); empty if never. Such a link cannot be turned on again.
  std::string link_disabled_at;
  // Set by a change to go through SetPublicLink(enabled = *link) instead of
  // UpdateHeader.
  std::optional<bool> set_public_link;
};

// The sharing state of `object_id`. PERMISSION_DENIED unless `my_account_id`
// owns it; DATA_LOSS for a damaged header or a share record that does not open
// (altered, or another object's). The record opens with `identity`'s share-record
// key or that of one of `older` (org mode: every key generation held, newest first;
// client/core/naming_keys.h); SaveSharing always seals it with `identity`'s.
absl::StatusOr<SharingState> LoadSharing(
    CoordinatorApi& coordinator, const std::string& object_id,
    const client::X25519Identity& identity, const std::string& my_account_id,
    bool is_folder = false, const std::vector<const client::X25519Identity*>& older = {});

// Accounts of the record that are not in `state.accounts` are added; the
// state is written with expected_header_version = state.version.
absl::Status SaveSharing(CoordinatorApi& coordinator, const SharingState& state,
                         const client::X25519Identity& identity);

// Loads, applies `change` and saves; when another device changed the object
// in between (ABORTED) it starts again, up to `attempts` times. `change` may
// return a status to stop (nothing is saved); *final receives the state saved.
absl::Status ChangeSharing(CoordinatorApi& coordinator, const std::string& object_id,
                           const client::X25519Identity& identity,
                           const std::string& my_account_id,
                           const std::function<absl::Status(SharingState&)>& change,
                           SharingState* final = nullptr, int attempts = 8,
                           bool is_folder = false,
                           const std::vector<const client::X25519Identity*>& older = {});

// Accounts in `state.accounts` without a record entry (shared by an older
// client: their stanza cannot be told apart).
std::vector<std::string> UnrecordedAccounts(const SharingState& state);

}  // namespace freehold::cli
