// Folder sharing (docs/PROTOCOL.md 9.3): a folder's summary for its owner or a
// reader, the owner's sharing change, and the keys of many entries per call.
// The coordinator never opens a header or a wrap; it stores them, and decides
// who may read a subtree (folder_shares, the public link flag).
#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "coordinator/core/folders.h"
#include "coordinator/core/ids.h"

namespace freehold::coordinator {

absl::StatusOr<FolderSummary> FolderTree::Get(const Caller* caller,
                                              const std::string& raw_folder_id) {
  if (raw_folder_id.empty()) return absl::InvalidArgumentError("folder_id is required");
  FH_ASSIGN_OR_RETURN(const std::string id, CanonicalUuid(raw_folder_id, "folder_id"));
  const std::string me = caller == nullptr ? "" : caller->account_id;
  FolderSummary out;
  FH_RETURN_IF_ERROR(store_.Read([&](MetadataTxn& txn) -> absl::Status {
    FH_ASSIGN_OR_RETURN(std::optional<FolderRecord> f, txn.folders().Get(id, false));
    if (!f.has_value()) return absl::NotFoundError("folder_id: no such folder");
    if (!me.empty() && f->owner_account_id == me) {
      out = SummaryOfFolder(*f, true);
      FH_ASSIGN_OR_RETURN(out.shared_with, txn.folders().Shares(id));
      return absl::OkStatus();
    }
    FH_ASSIGN_OR_RETURN(const bool readable, txn.folders().SubtreeReadable(id, me));
    if (!readable) return absl::NotFoundError("folder_id: no such folder");
    out = SummaryOfFolder(*f, false);
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<uint64_t> FolderTree::UpdateSharing(const Caller& caller,
                                                   const FolderSharingInput& in) {
  if (caller.account_id.empty()) return absl::PermissionDeniedError("only accounts have folders");
  if (in.folder_id.empty()) return absl::InvalidArgumentError("folder_id is required");
  FH_ASSIGN_OR_RETURN(const std::string id, CanonicalUuid(in.folder_id, "folder_id"));
  if (in.age_header.empty()) {
    return absl::InvalidArgumentError("age_header is required (the folder key's header)");
  }
  if (in.age_header.size() > config_.max_header_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("age_header is larger than ", config_.max_header_bytes, " bytes"));
  }
  if (in.share_record.size() > config_.max_metadata_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("share_record is larger than ", config_.max_metadata_bytes, " bytes"));
  }
  if (in.share_with.size() > static_cast<size_t>(config_.max_share_accounts)) {
    return absl::InvalidArgumentError(absl::StrCat("share_with_account_ids has more than ",
                                                   config_.max_share_accounts, " accounts"));
  }
  std::vector<std::string> accounts;
  for (size_t i = 0; i < in.share_with.size(); ++i) {
    FH_ASSIGN_OR_RETURN(
        std::string a,
        CanonicalUuid(in.share_with[i], absl::StrCat("share_with_account_ids[", i, "]")));
    if (a == caller.account_id) continue;  // the owner always reads
    accounts.push_back(std::move(a));
  }
  std::sort(accounts.begin(), accounts.end());
  accounts.erase(std::unique(accounts.begin(), accounts.end()), accounts.end());
  uint64_t version = 0;
  FH_RETURN_IF_ERROR(store_.Transact([&](MetadataTxn& txn) -> absl::Status {
    FH_ASSIGN_OR_RETURN(std::optional<FolderRecord> f, txn.folders().Get(id, true));
    if (!f.has_value()) return absl::NotFoundError("folder_id: no such folder");
    if (f->owner_account_id != caller.account_id) {
      FH_ASSIGN_OR_RETURN(const bool readable, txn.folders().SubtreeReadable(id, caller.account_id));
      if (!readable) return absl::NotFoundError("folder_id: no such folder");
      return absl::PermissionDeniedError(
          absl::StrCat("only the owner of folder ", id, " may change its sharing"));
    }
    if (f->age_header.empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "folder ", id, " has no key yet: give it one with SetEntryKeys first"));
    }
    if (in.expected_header_version != 0 && in.expected_header_version != f->header_version) {
      return absl::AbortedError(absl::StrCat(
          "folder ", id, " changed since it was read (header version ", in.expected_header_version,
          ", now ", f->header_version, "): read it again and retry"));
    }
    FH_ASSIGN_OR_RETURN(version, txn.folders().UpdateSharing(id, in.age_header, in.share_record,
                                                             in.public_link, accounts));
    return absl::OkStatus();
  }));
  log_.Info("folder sharing changed", {{"account_id", caller.account_id},
                                       {"folder_id", id},
                                       {"accounts", static_cast<int64_t>(accounts.size())},
                                       {"public_link", in.public_link}});
  return version;
}

absl::Status FolderTree::SetEntryKeys(const Caller& caller,
                                      const std::vector<EntryKeyInput>& entries) {
  if (caller.account_id.empty()) return absl::PermissionDeniedError("only accounts have folders");
  if (entries.empty()) return absl::InvalidArgumentError("entries is empty");
  if (entries.size() > static_cast<size_t>(kMaxEntryKeys)) {
    return absl::InvalidArgumentError(
        absl::StrCat("entries has ", entries.size(), " entries, more than ", kMaxEntryKeys));
  }
  struct Checked {
    bool is_folder = false;
    std::string id;
  };
  std::vector<Checked> ids(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    const EntryKeyInput& e = entries[i];
    const std::string at = absl::StrCat("entries[", i, "]");
    if (e.folder_id.empty() == e.object_id.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(at, ": give exactly one of folder_id and object_id"));
    }
    ids[i].is_folder = !e.folder_id.empty();
    FH_ASSIGN_OR_RETURN(ids[i].id,
                        CanonicalUuid(ids[i].is_folder ? e.folder_id : e.object_id,
                                      absl::StrCat(at, ids[i].is_folder ? ".folder_id" : ".object_id")));
    if (!ids[i].is_folder && !e.age_header.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(at, ".age_header: only a folder gets a header here"));
    }
    if (e.age_header.empty() && e.wrap.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(at, ": neither age_header nor wrap is set"));
    }
    if (e.age_header.size() > config_.max_header_bytes) {
      return absl::InvalidArgumentError(absl::StrCat(at, ".age_header is larger than ",
                                                     config_.max_header_bytes, " bytes"));
    }
    if (e.wrap.size() > kMaxWrapBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat(at, ".wrap is larger than ", kMaxWrapBytes, " bytes"));
    }
  }
  const std::string& me = caller.account_id;
  FH_RETURN_IF_ERROR(store_.Transact([&](MetadataTxn& txn) -> absl::Status {
    // Whether a folder has a key, as the batch leaves it so far.
    std::map<std::string, bool> keyed;
    auto parent_keyed = [&](const std::string& parent) -> absl::StatusOr<bool> {
      if (parent.empty()) return false;
      auto it = keyed.find(parent);
      if (it != keyed.end()) return it->second;
      FH_ASSIGN_OR_RETURN(std::optional<FolderRecord> p, txn.folders().Get(parent, false));
      const bool k = p.has_value() && !p->age_header.empty();
      keyed[parent] = k;
      return k;
    };
    for (size_t i = 0; i < entries.size(); ++i) {
      const EntryKeyInput& e = entries[i];
      const std::string at = absl::StrCat("entries[", i, "]");
      std::string parent;
      if (ids[i].is_folder) {
        FH_ASSIGN_OR_RETURN(std::optional<FolderRecord> f, txn.folders().Get(ids[i].id, true));
        if (!f.has_value() || f->owner_account_id != me) {
          return absl::NotFoundError(absl::StrCat(at, ".folder_id: no such folder of yours"));
        }
        const bool has_key = keyed.count(f->folder_id) ? keyed[f->folder_id] : !f->age_header.empty();
        if (!e.age_header.empty() && has_key) {
          return absl::AbortedError(absl::StrCat(
              at, ": folder ", f->folder_id, " already has a key: read it again and retry"));
        }
        parent = f->parent_id;
      } else {
        FH_ASSIGN_OR_RETURN(std::optional<ObjectRecord> o, txn.objects().Get(ids[i].id, true));
        if (!o.has_value() || o->owner_account_id != me || o->state != ObjectState::kCommitted ||
            o->trashed()) {
          return absl::NotFoundError(absl::StrCat(at, ".object_id: no such object of yours"));
        }
        parent = o->parent_id;
      }
      if (!e.wrap.empty()) {
        FH_ASSIGN_OR_RETURN(const bool k, parent_keyed(parent));
        if (!k) {
          return absl::FailedPreconditionError(absl::StrCat(
              at, ".wrap: the entry's folder has no key (give the folder one first)"));
        }
      }
      if (ids[i].is_folder) {
        FH_RETURN_IF_ERROR(txn.folders().SetFolderKey(ids[i].id, e.age_header, e.wrap));
        if (!e.age_header.empty()) keyed[ids[i].id] = true;
      } else {
        FH_RETURN_IF_ERROR(txn.folders().SetObjectWrap(ids[i].id, e.wrap));
      }
    }
    return absl::OkStatus();
  }));
  return absl::OkStatus();
}

}  // namespace freehold::coordinator
