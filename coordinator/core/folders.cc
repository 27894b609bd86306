#include "coordinator/core/folders.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "coordinator/core/ids.h"
#include "coordinator/core/small_objects.h"

namespace freehold::coordinator {
namespace {

constexpr int kSummaryOverheadBytes = 128;

FolderSummary Summary(const FolderRecord& f) { return SummaryOfFolder(f, true); }

absl::Status RequireAccount(const Caller& caller) {
  if (caller.account_id.empty()) return absl::PermissionDeniedError("only accounts have folders");
  return absl::OkStatus();
}

absl::Status RequireHash(const std::string& hash, absl::string_view field) {
  if (hash.empty()) return absl::InvalidArgumentError(absl::StrCat(field, " is required"));
  return CheckNameHash(hash, field);
}

// NOT_FOUND unless `folder_id` is empty (root) or one of the account's folders.
absl::Status RequireOwnFolder(MetadataTxn& txn, const std::string& account_id,
                              const std::string& folder_id, absl::string_view field,
                              bool for_update) {
  if (folder_id.empty()) return absl::OkStatus();
  FH_ASSIGN_OR_RETURN(std::optional<FolderRecord> f, txn.folders().Get(folder_id, for_update));
  if (!f.has_value() || f->owner_account_id != account_id) {
    return absl::NotFoundError(absl::StrCat(field, ": no such folder"));
  }
  return absl::OkStatus();
}

absl::Status Taken() {
  return absl::AlreadyExistsError("an entry of that name already exists in the target folder");
}

}  // namespace

FolderSummary SummaryOfFolder(const FolderRecord& f, bool owner) {
  FolderSummary s;
  s.folder_id = f.folder_id;
  s.parent_id = f.parent_id;
  s.name_hash = f.name_hash;
  s.encrypted_metadata = f.encrypted_metadata;
  s.created_at = f.created_at;
  s.age_header = f.age_header;
  s.entry_wrap = f.entry_wrap;
  s.owner_account_id = f.owner_account_id;
  s.shared_with_me = !owner;
  s.public_link = f.public_link;
  if (owner) {
    s.header_version = f.header_version;
    s.share_record = f.share_record;
  }
  return s;
}

absl::StatusOr<std::string> CheckParentId(const std::string& parent_id, absl::string_view field) {
  if (parent_id.empty()) return std::string();
  return CanonicalUuid(parent_id, field);
}

absl::Status CheckObjectPlacement(MetadataTxn& txn, const std::string& account_id,
                                  const std::string& parent_id, const std::string& name_hash,
                                  absl::string_view field,
                                  std::set<std::string>* checked_parents) {
  const std::string at = field.empty() ? "" : absl::StrCat(field, ".");
  if (!parent_id.empty() && name_hash.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(at, "name_hash is required for an object in a folder"));
  }
  if (parent_id.empty() && name_hash.empty()) return absl::OkStatus();  // as before folders
  if (checked_parents == nullptr || !checked_parents->contains(parent_id)) {
    FH_RETURN_IF_ERROR(txn.folders().LockNamespace(account_id, parent_id));
    FH_RETURN_IF_ERROR(
        RequireOwnFolder(txn, account_id, parent_id, absl::StrCat(at, "parent_id"), false));
    if (checked_parents != nullptr) checked_parents->insert(parent_id);
  }
  FH_ASSIGN_OR_RETURN(std::optional<FolderRecord> folder,
                      txn.folders().FindFolder(account_id, parent_id, name_hash));
  if (folder.has_value()) {
    return absl::AlreadyExistsError(absl::StrCat(at, "name_hash: a folder of that name exists there"));
  }
  if (!parent_id.empty()) {
    FH_ASSIGN_OR_RETURN(std::vector<ObjectRecord> objects,
                        txn.folders().FindObjects(account_id, parent_id, name_hash, false, 1));
    if (!objects.empty()) {
      return absl::AlreadyExistsError(
          absl::StrCat(at, "name_hash: an object of that name exists in the folder"));
    }
  }
  return absl::OkStatus();
}

FolderTree::FolderTree(MetadataStore& store, Clock& clock, const CoordinatorConfig& config,
                       Logger log)
    : store_(store), clock_(clock), config_(config), log_(std::move(log)) {}

absl::StatusOr<FolderSummary> FolderTree::Create(const Caller& caller,
                                                 const CreateFolderInput& in) {
  FH_RETURN_IF_ERROR(RequireAccount(caller));
  FH_ASSIGN_OR_RETURN(const std::string parent, CheckParentId(in.parent_id, "parent_id"));
  FH_RETURN_IF_ERROR(RequireHash(in.name_hash, "name_hash"));
  if (in.encrypted_metadata.empty()) {
    return absl::InvalidArgumentError("encrypted_metadata is required (the sealed folder name)");
  }
  if (in.encrypted_metadata.size() > config_.max_metadata_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("encrypted_metadata is larger than ", config_.max_metadata_bytes, " bytes"));
  }
  FolderRecord f;
  f.folder_id = NewUuid();
  f.owner_account_id = caller.account_id;
  f.parent_id = parent;
  f.name_hash = in.name_hash;
  f.encrypted_metadata = in.encrypted_metadata;
  f.created_at = clock_.Now();
  FH_RETURN_IF_ERROR(store_.Transact([&](MetadataTxn& txn) -> absl::Status {
    FH_RETURN_IF_ERROR(txn.folders().LockNamespace(caller.account_id, parent));
    FH_RETURN_IF_ERROR(RequireOwnFolder(txn, caller.account_id, parent, "parent_id", false));
    // Objects in any state: an upload under way holds its name.
    FH_ASSIGN_OR_RETURN(std::vector<ObjectRecord> objects,
                        txn.folders().FindObjects(caller.account_id, parent, in.name_hash,
                                                  /*any_state=*/true, 1));
    if (!objects.empty()) {
      return absl::AlreadyExistsError("an object of that name exists in the parent folder");
    }
    return txn.folders().Insert(f);
  }));
  return Summary(f);
}

absl::StatusOr<FolderPage> FolderTree::List(const Caller* caller, const std::string& raw_folder_id,
                                            int page_size, const std::string& page_token,
                                            uint64_t max_bytes) {
  const std::string me = caller == nullptr ? "" : caller->account_id;
  FH_ASSIGN_OR_RETURN(const std::string folder_id, CheckParentId(raw_folder_id, "folder_id"));
  if (folder_id.empty() && me.empty()) {
    return absl::PermissionDeniedError("only accounts have folders");
  }
  if (page_size < 0) return absl::InvalidArgumentError("page.page_size is out of range");
  if (max_bytes > kMaxPageBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_bytes is larger than ", kMaxPageBytes, " bytes"));
  }
  const uint64_t budget = max_bytes == 0 ? kDefaultPageBytes : max_bytes;
  const int size = page_size == 0 ? kDefaultPageSize : std::min(page_size, kMaxPageSize);
  // Token: "f:<id>" (folders after id) or "o:" / "o:<id>" (objects, after id).
  bool in_objects = false;
  std::string after;
  if (!page_token.empty()) {
    const bool f = absl::StartsWith(page_token, "f:");
    const bool o = absl::StartsWith(page_token, "o:");
    if (!f && !o) return absl::InvalidArgumentError("page.page_token is malformed");
    in_objects = o;
    if (page_token.size() > 2 || f) {
      absl::StatusOr<std::string> id = CanonicalUuid(page_token.substr(2), "page.page_token");
      if (!id.ok()) return absl::InvalidArgumentError("page.page_token is malformed");
      after = *id;
    }
  }
  FolderPage page;
  FH_RETURN_IF_ERROR(store_.Read([&](MetadataTxn& txn) -> absl::Status {
    page = FolderPage();
    // The tree listed is the caller's own, or that of the owner of a folder
    // whose subtree is shared with the caller (or linked).
    std::string owner = me;
    if (!folder_id.empty()) {
      FH_ASSIGN_OR_RETURN(std::optional<FolderRecord> f, txn.folders().Get(folder_id, false));
      if (!f.has_value()) return absl::NotFoundError("folder_id: no such folder");
      if (f->owner_account_id != me) {
        FH_ASSIGN_OR_RETURN(const bool readable, txn.folders().SubtreeReadable(folder_id, me));
        if (!readable) return absl::NotFoundError("folder_id: no such folder");
        owner = f->owner_account_id;
      }
    }
    const bool reader = owner != me;
    uint64_t used = 0;
    int left = size;
    std::string after_object;
    if (!in_objects) {
      FH_ASSIGN_OR_RETURN(std::vector<FolderRecord> folders,
                          txn.folders().ListFolders(owner, folder_id, after, left + 1));
      for (size_t i = 0; i < folders.size(); ++i) {
        const uint64_t bytes = folders[i].encrypted_metadata.size() + kSummaryOverheadBytes;
        const bool room = left > 0 && (page.folders.empty() || used + bytes <= budget);
        if (!room) {
          page.next_page_token = absl::StrCat("f:", page.folders.back().folder_id);
          return absl::OkStatus();
        }
        used += bytes;
        --left;
        page.folders.push_back(SummaryOfFolder(folders[i], !reader));
      }
      if (left == 0 || used >= budget) {
        page.next_page_token = "o:";
        return absl::OkStatus();
      }
    } else {
      after_object = after;
    }
    FH_ASSIGN_OR_RETURN(
        std::vector<ObjectRecord> objects,
        txn.folders().ListObjects(owner, folder_id, after_object, left + 1));
    for (size_t i = 0; i < objects.size(); ++i) {
      const uint64_t bytes = objects[i].encrypted_metadata.size() + kSummaryOverheadBytes;
      const bool first = page.folders.empty() && page.objects.empty();
      if (left == 0 || (!first && used + bytes > budget)) {
        page.next_page_token = page.objects.empty()
                                   ? absl::StrCat("o:", after_object)
                                   : absl::StrCat("o:", page.objects.back().object_id);
        return absl::OkStatus();
      }
      used += bytes;
      --left;
      page.objects.push_back(SummaryOf(objects[i], reader));
    }
    return absl::OkStatus();
  }));
  return page;
}

absl::StatusOr<ResolvedEntry> FolderTree::Resolve(const Caller& caller,
                                                  const std::string& raw_parent_id,
                                                  const std::string& name_hash) {
  FH_RETURN_IF_ERROR(RequireAccount(caller));
  FH_ASSIGN_OR_RETURN(const std::string parent, CheckParentId(raw_parent_id, "parent_id"));
  FH_RETURN_IF_ERROR(RequireHash(name_hash, "name_hash"));
  ResolvedEntry out;
  FH_RETURN_IF_ERROR(store_.Read([&](MetadataTxn& txn) -> absl::Status {
    out = ResolvedEntry();
    FH_RETURN_IF_ERROR(RequireOwnFolder(txn, caller.account_id, parent, "parent_id", false));
    FH_ASSIGN_OR_RETURN(std::optional<FolderRecord> folder,
                        txn.folders().FindFolder(caller.account_id, parent, name_hash));
    if (folder.has_value()) out.folder = Summary(*folder);
    FH_ASSIGN_OR_RETURN(std::vector<ObjectRecord> objects,
                        txn.folders().FindObjects(caller.account_id, parent, name_hash, false,
                                                  kMaxMatchesPerName));
    for (const ObjectRecord& r : objects) out.objects.push_back(SummaryOf(r, false));
    return absl::OkStatus();
  }));
  return out;
}

absl::Status FolderTree::Move(const Caller& caller, const MoveInput& in) {
  FH_RETURN_IF_ERROR(RequireAccount(caller));
  if (in.folder_id.empty() == in.object_id.empty()) {
    return absl::InvalidArgumentError("give exactly one of folder_id and object_id");
  }
  const bool is_folder = !in.folder_id.empty();
  FH_ASSIGN_OR_RETURN(const std::string id,
                      CanonicalUuid(is_folder ? in.folder_id : in.object_id,
                                    is_folder ? "folder_id" : "object_id"));
  FH_ASSIGN_OR_RETURN(const std::string parent, CheckParentId(in.new_parent_id, "new_parent_id"));
  FH_RETURN_IF_ERROR(RequireHash(in.new_name_hash, "new_name_hash"));
  if (in.new_encrypted_metadata.size() > config_.max_metadata_bytes) {
    return absl::InvalidArgumentError(absl::StrCat("new_encrypted_metadata is larger than ",
                                                   config_.max_metadata_bytes, " bytes"));
  }
  const std::string& account = caller.account_id;
  FH_RETURN_IF_ERROR(store_.Transact([&](MetadataTxn& txn) -> absl::Status {
    // Tree lock first (folder moves of this account one at a time), then the
    // target namespace.
    if (is_folder) FH_RETURN_IF_ERROR(txn.folders().LockTree(account));
    FH_RETURN_IF_ERROR(txn.folders().LockNamespace(account, parent));
    FH_RETURN_IF_ERROR(RequireOwnFolder(txn, account, parent, "new_parent_id", false));
    if (is_folder) {
      FH_ASSIGN_OR_RETURN(std::optional<FolderRecord> f, txn.folders().Get(id, true));
      if (!f.has_value() || f->owner_account_id != account) {
        return absl::NotFoundError("folder_id: no such folder");
      }
      if (!parent.empty()) {
        FH_ASSIGN_OR_RETURN(const bool cycle, txn.folders().IsAncestorOrSelf(id, parent));
        if (cycle) {
          return absl::FailedPreconditionError(
              "cannot move a folder into itself or into one of its subfolders");
        }
      }
      if (f->parent_id == parent && f->name_hash == in.new_name_hash) {
        return txn.folders().MoveFolder(id, parent, in.new_name_hash, in.new_encrypted_metadata);
      }
      FH_ASSIGN_OR_RETURN(std::vector<ObjectRecord> objects,
                          txn.folders().FindObjects(account, parent, in.new_name_hash, true, 1));
      if (!objects.empty()) return Taken();
      return txn.folders().MoveFolder(id, parent, in.new_name_hash, in.new_encrypted_metadata);
    }
    FH_ASSIGN_OR_RETURN(std::optional<ObjectRecord> o, txn.objects().Get(id, true));
    if (!o.has_value() || o->state != ObjectState::kCommitted || o->trashed() ||
        !IsOwner(*o, caller)) {
      return absl::NotFoundError("object_id: no such object of yours");
    }
    FH_ASSIGN_OR_RETURN(std::optional<FolderRecord> folder,
                        txn.folders().FindFolder(account, parent, in.new_name_hash));
    if (folder.has_value()) return Taken();
    if (!parent.empty()) {
      FH_ASSIGN_OR_RETURN(std::vector<ObjectRecord> objects,
                          txn.folders().FindObjects(account, parent, in.new_name_hash, false, 1));
      if (!objects.empty() && objects.front().object_id != id) return Taken();
    }
    return txn.folders().MoveObject(id, parent, in.new_name_hash, in.new_encrypted_metadata);
  }));
  log_.Info("entry moved", {{"account_id", account}, {is_folder ? "folder_id" : "object_id", id}});
  return absl::OkStatus();
}

absl::Status FolderTree::Delete(const Caller& caller, const std::string& raw_folder_id) {
  FH_RETURN_IF_ERROR(RequireAccount(caller));
  if (raw_folder_id.empty()) return absl::InvalidArgumentError("folder_id is required");
  FH_ASSIGN_OR_RETURN(const std::string id, CanonicalUuid(raw_folder_id, "folder_id"));
  return store_.Transact([&](MetadataTxn& txn) -> absl::Status {
    FH_ASSIGN_OR_RETURN(std::optional<FolderRecord> f, txn.folders().Get(id, true));
    if (!f.has_value() || f->owner_account_id != caller.account_id) {
      return absl::NotFoundError("folder_id: no such folder");
    }
    FH_ASSIGN_OR_RETURN(const bool busy, txn.folders().HasChildren(id));
    if (busy) return absl::FailedPreconditionError("the folder is not empty");
    return txn.folders().Remove(id);
  });
}

}  // namespace freehold::coordinator
