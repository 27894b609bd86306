#include "client/cli/sharing_ops.h"

#include <algorithm>
#include <span>

#include "absl/strings/str_cat.h"
#include "client/cli/format.h"
#include "client/cli/object_ops.h"
#include "client/core/naming_keys.h"

namespace freehold::cli {
namespace {

std::span<const uint8_t> Bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

bool Contains(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

// The share record with the newest generation's key, else an older one's.
absl::StatusOr<client::ShareRecord> OpenRecord(const client::NamingKeys& keys,
                                               const std::string& blob,
                                               const std::string& id) {
  absl::StatusOr<client::ShareRecord> first =
      client::OpenShareRecord(keys.share_key(0), Bytes(blob), id);
  for (size_t g = 1; !first.ok() && g < keys.size(); ++g) {
    absl::StatusOr<client::ShareRecord> r =
        client::OpenShareRecord(keys.share_key(g), Bytes(blob), id);
    if (r.ok()) return r;
  }
  return first;
}

absl::StatusOr<SharingState> LoadFolderSharing(CoordinatorApi& coordinator,
                                               const std::string& folder_id,
                                               const client::NamingKeys& keys,
                                               const std::string& my_account_id) {
  absl::StatusOr<v1::FolderSummary> f = coordinator.GetFolder(folder_id);
  if (!f.ok()) return f.status();
  if (f->owner_account_id() != my_account_id) {
    return absl::PermissionDeniedError("only the owner of this folder can see or change its sharing");
  }
  if (f->age_header().empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("folder ", f->folder_id(), " has no key yet (share or link it first)"));
  }
  SharingState state;
  state.is_folder = true;
  state.object_id = f->folder_id();
  state.version = f->header_version();
  state.public_link = f->public_link();
  absl::StatusOr<client::AgeHeader> header = client::ParseHeader(f->age_header());
  if (!header.ok()) {
    return absl::DataLossError(
        absl::StrCat("the folder's key header is damaged: ", header.status().message()));
  }
  state.header = *std::move(header);
  absl::StatusOr<client::ShareRecord> record =
      OpenRecord(keys, f->share_record(), state.object_id);
  if (!record.ok()) {
    return absl::DataLossError(absl::StrCat("the share record the server returned for folder ",
                                            state.object_id, " does not open (altered, or "
                                            "another entry's): ",
                                            record.status().message()));
  }
  state.record = *std::move(record);
  state.accounts.assign(f->shared_with_account_ids().begin(), f->shared_with_account_ids().end());
  return state;
}

}  // namespace

absl::StatusOr<SharingState> LoadSharing(
    CoordinatorApi& coordinator, const std::string& raw_id,
    const client::X25519Identity& identity, const std::string& my_account_id, bool is_folder,
    const std::vector<const client::X25519Identity*>& older) {
  const client::NamingKeys keys(identity, older);
  if (is_folder) return LoadFolderSharing(coordinator, raw_id, keys, my_account_id);
  absl::StatusOr<v1::GetObjectResponse> manifest = coordinator.GetObject(raw_id);
  if (!manifest.ok()) return manifest.status();
  if (manifest->object().owner_account_id() != my_account_id) {
    return absl::PermissionDeniedError("only the owner of this object can see or change its sharing");
  }
  SharingState state;
  absl::StatusOr<std::string> id = CanonicalObjectId(manifest->object().object_id());
  if (!id.ok()) return id.status();
  state.object_id = *id;
  state.version = manifest->header_version();
  state.public_link = manifest->object().public_link();
  if (manifest->object().has_link_disabled_at()) {
    state.link_disabled_at =
        IsoTime(manifest->object().link_disabled_at().seconds() * 1000000000LL);
  }
  absl::StatusOr<client::AgeHeader> header = client::ParseHeader(manifest->age_header());
  if (!header.ok()) {
    return absl::DataLossError(
        absl::StrCat("the object's age header is damaged: ", header.status().message()));
  }
  state.header = *std::move(header);
  absl::StatusOr<client::ShareRecord> record =
      OpenRecord(keys, manifest->share_record(), state.object_id);
  if (!record.ok()) {
    return absl::DataLossError(absl::StrCat("the share record the server returned for object ",
                                            state.object_id,
                                            " does not open (altered, or another object's): ",
                                            record.status().message()));
  }
  state.record = *std::move(record);
  state.accounts.assign(manifest->shared_with_account_ids().begin(),
                        manifest->shared_with_account_ids().end());
  return state;
}

absl::Status SaveSharing(CoordinatorApi& coordinator, const SharingState& state,
                         const client::X25519Identity& identity) {
  absl::StatusOr<std::vector<uint8_t>> sealed =
      client::SealShareRecord(client::ShareRecordKey(identity), state.record, state.object_id);
  if (!sealed.ok()) return sealed.status();
  const std::string record(sealed->begin(), sealed->end());
  if (state.is_folder) {
    v1::UpdateFolderSharingRequest req;
    req.set_folder_id(state.object_id);
    req.set_age_header(client::SerializeHeader(state.header));
    req.set_share_record(record);
    for (const std::string& a : state.accounts) req.add_share_with_account_ids(a);
    for (const client::ShareEntry& e : state.record.entries) {
      if (e.kind == client::ShareEntry::Kind::kAccount && !Contains(state.accounts, e.account_id)) {
        req.add_share_with_account_ids(e.account_id);
      }
    }
    req.set_public_link(state.set_public_link.value_or(state.public_link));
    req.set_expected_header_version(state.version);
    absl::StatusOr<uint64_t> v = coordinator.UpdateFolderSharing(req);
    return v.status();
  }
  if (state.set_public_link.has_value()) {
    v1::SetPublicLinkRequest req;
    req.set_object_id(state.object_id);
    req.set_enabled(*state.set_public_link);
    req.set_age_header(client::SerializeHeader(state.header));
    req.set_share_record(record);
    req.set_expected_header_version(state.version);
    return coordinator.SetPublicLink(req);
  }
  std::vector<std::string> accounts = state.accounts;
  for (const client::ShareEntry& e : state.record.entries) {
    if (e.kind == client::ShareEntry::Kind::kAccount && !Contains(accounts, e.account_id)) {
      accounts.push_back(e.account_id);
    }
  }
  v1::UpdateHeaderRequest req;
  req.set_object_id(state.object_id);
  req.set_age_header(client::SerializeHeader(state.header));
  for (const std::string& a : accounts) req.add_share_with_account_ids(a);
  req.set_share_record(record);
  req.set_expected_header_version(state.version);
  return coordinator.UpdateHeader(req);
}

absl::Status ChangeSharing(CoordinatorApi& coordinator, const std::string& object_id,
                           const client::X25519Identity& identity,
                           const std::string& my_account_id,
                           const std::function<absl::Status(SharingState&)>& change,
                           SharingState* final, int attempts, bool is_folder,
                           const std::vector<const client::X25519Identity*>& older) {
  absl::Status last;
  for (int i = 0; i < attempts; ++i) {
    absl::StatusOr<SharingState> state =
        LoadSharing(coordinator, object_id, identity, my_account_id, is_folder, older);
    if (!state.ok()) return state.status();
    if (absl::Status s = change(*state); !s.ok()) return s;
    last = SaveSharing(coordinator, *state, identity);
    if (last.ok()) {
      if (final != nullptr) *final = *std::move(state);
      return last;
    }
    if (!absl::IsAborted(last)) return last;  // ABORTED: another device won; read again
  }
  return absl::AbortedError(absl::StrCat(
      "the sharing of ", object_id, " kept changing on another device; try again (", last.message(),
      ")"));
}

std::vector<std::string> UnrecordedAccounts(const SharingState& state) {
  std::vector<std::string> out;
  for (const std::string& a : state.accounts) {
    bool recorded = false;
    for (const client::ShareEntry& e : state.record.entries) {
      recorded = recorded || (e.kind == client::ShareEntry::Kind::kAccount && e.account_id == a);
    }
    if (!recorded) out.push_back(a);
  }
  return out;
}

}  // namespace freehold::cli
