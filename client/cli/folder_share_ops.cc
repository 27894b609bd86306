#include "client/cli/folder_share_ops.h"

#include <deque>
#include <span>
#include <utility>

#include "absl/strings/str_cat.h"
#include "client/cli/object_ops.h"
#include "client/core/age_file.h"
#include "client/core/age_header.h"
#include "client/core/age_recipients.h"
#include "client/core/folder_keys.h"
#include "client/core/naming_keys.h"
#include "client/core/share_record.h"

namespace freehold::cli {
namespace {

constexpr int kBatch = 1000;

std::span<const uint8_t> Bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// SetEntryKeys in batches, in the order entries were added (a folder's new key
// before the wraps of its children).
class KeyBatcher {
 public:
  KeyBatcher(CoordinatorApi& coordinator, KeySync& stats)
      : coordinator_(coordinator), stats_(stats) {}
  absl::Status Add(v1::EntryKey e) {
    *req_.add_entries() = std::move(e);
    return req_.entries_size() >= kBatch ? Flush() : absl::OkStatus();
  }
  absl::Status Flush() {
    if (req_.entries_size() == 0) return absl::OkStatus();
    absl::Status s = coordinator_.SetEntryKeys(req_);
    req_.clear_entries();
    ++stats_.batches;
    return s;
  }

 private:
  CoordinatorApi& coordinator_;
  KeySync& stats_;
  v1::SetEntryKeysRequest req_;
};

absl::StatusOr<std::string> Wrap(const client::SecretBytes& folder_key,
                                 const std::string& parent_id, const std::string& entry_id,
                                 bool is_folder, const client::SecretBytes& key,
                                 const std::string& name) {
  client::EntryWrap w;
  w.is_folder = is_folder;
  w.key = key.Clone();
  w.name = name;
  absl::StatusOr<std::vector<uint8_t>> sealed = client::SealEntryWrap(folder_key, parent_id, entry_id, w);
  if (!sealed.ok()) return sealed.status();
  return std::string(sealed->begin(), sealed->end());
}

// True if `wrap` opens with `folder_key` for (parent_id, entry_id) as an entry of
// that kind. An entry whose wrap does not (none yet, or sealed under a folder key
// replaced since, RekeyFolder) is wrapped again.
bool WrapOpens(const client::SecretBytes& folder_key, const std::string& parent_id,
               const std::string& entry_id, const std::string& wrap, bool is_folder) {
  if (wrap.empty()) return false;
  absl::StatusOr<client::EntryWrap> w =
      client::OpenEntryWrap(folder_key, Bytes(wrap), parent_id, entry_id);
  return w.ok() && w->is_folder == is_folder;
}

// Org mode after a rotation: the folder's key is in a header that does not open with
// the organization's current generation, so every member of an older generation --
// a removed one included -- could have held it (docs/PROTOCOL.md 9.4).
bool KeyIsStale(const v1::FolderSummary& folder, const FolderKeyOwner& owner) {
  if (owner.encrypt_to == nullptr || folder.age_header().empty()) return false;
  return !OpenFileKey(folder.age_header(), *owner.encrypt_to).ok();
}

// Gives the keyed folder `folder_id` a new key: a header with a stanza for the
// organization's current generation and one for every recipient of its share record
// (accounts and the link, by the public keys the record holds), the record re-sealed
// with the newest naming generation with the new stanzas' shares, in one
// UpdateFolderSharing (compare-and-swap: ABORTED if another device changed it). The
// accounts list and the link flag are kept. Returns the new key; the caller wraps the
// folder's entries (and the folder in its parent) under it.
absl::StatusOr<client::SecretBytes> RekeyFolder(CoordinatorApi& coordinator,
                                                const std::string& folder_id,
                                                const client::X25519Identity& identity,
                                                const FolderKeyOwner& owner) {
  absl::StatusOr<v1::FolderSummary> f = coordinator.GetFolder(folder_id);
  if (!f.ok()) return f.status();
  const client::NamingKeys keys(identity, owner.more);
  absl::StatusOr<client::ShareRecord> record =
      client::OpenShareRecord(keys.share_key(0), Bytes(f->share_record()), f->folder_id());
  for (size_t g = 1; !record.ok() && g < keys.size(); ++g) {
    absl::StatusOr<client::ShareRecord> r =
        client::OpenShareRecord(keys.share_key(g), Bytes(f->share_record()), f->folder_id());
    if (r.ok()) record = std::move(r);
  }
  if (!record.ok()) {
    return absl::DataLossError(absl::StrCat("the share record of folder ", f->folder_id(),
                                            " does not open (altered, or another entry's): ",
                                            record.status().message()));
  }
  std::vector<client::X25519Recipient> recipients;
  recipients.emplace_back(owner.encrypt_to->public_key());
  for (const client::ShareEntry& e : record->entries) {
    absl::StatusOr<client::X25519PublicKey> pk = client::ParseRecipient(e.public_key);
    if (!pk.ok()) {
      return absl::DataLossError(absl::StrCat("the share record of folder ", f->folder_id(),
                                              " holds a malformed key: ", pk.status().message()));
    }
    recipients.emplace_back(*pk);
  }
  std::vector<const client::AgeRecipient*> to;
  for (const client::X25519Recipient& r : recipients) to.push_back(&r);
  absl::StatusOr<client::NewAgeFile> fresh = client::NewFileHeader(to);
  if (!fresh.ok()) return fresh.status();
  if (fresh->header.stanzas.size() != recipients.size()) {
    return absl::InternalError("the new folder header has an unexpected number of stanzas");
  }
  for (size_t i = 0; i < record->entries.size(); ++i) {
    const client::Stanza& st = fresh->header.stanzas[i + 1];
    if (st.args.empty()) return absl::InternalError("a new X25519 stanza has no share");
    record->entries[i].stanza_share = st.args[0];
  }
  absl::StatusOr<std::vector<uint8_t>> sealed =
      client::SealShareRecord(keys.share_key(0), *record, f->folder_id());
  if (!sealed.ok()) return sealed.status();
  v1::UpdateFolderSharingRequest req;
  req.set_folder_id(f->folder_id());
  req.set_age_header(client::SerializeHeader(fresh->header));
  req.set_share_record(std::string(sealed->begin(), sealed->end()));
  for (const std::string& a : f->shared_with_account_ids()) req.add_share_with_account_ids(a);
  req.set_public_link(f->public_link());
  req.set_expected_header_version(f->header_version());
  absl::StatusOr<uint64_t> v = coordinator.UpdateFolderSharing(req);
  if (!v.ok()) return v.status();
  return std::move(fresh->file_key);
}

}  // namespace

FolderKeyOwner FolderKeyOwnerOf(const Context& ctx) {
  FolderKeyOwner owner;
  owner.more = ctx.ExtraIdentities();
  if (ctx.Org() != nullptr) owner.encrypt_to = &ctx.Org()->current();
  return owner;
}

absl::StatusOr<client::SecretBytes> OpenFolderKey(
    const v1::FolderSummary& folder, const client::X25519Identity& identity,
    const std::vector<const client::X25519Identity*>& more) {
  if (folder.age_header().empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("folder ", folder.folder_id(), " has no key (it was never shared)"));
  }
  absl::StatusOr<client::SecretBytes> key = OpenFileKey(folder.age_header(), identity, more);
  if (absl::IsPermissionDenied(key.status())) {
    return absl::PermissionDeniedError(
        absl::StrCat("folder ", folder.folder_id(), " is not shared with your key"));
  }
  return key;
}

absl::StatusOr<KeySync> EnsureFolderKeys(CoordinatorApi& coordinator, RemoteTree& tree,
                                         const client::X25519Identity& identity,
                                         const std::string& folder_id,
                                         const FolderKeyOwner& owner) {
  KeySync stats;
  KeyBatcher batch(coordinator, stats);
  client::X25519Recipient self(
      (owner.encrypt_to != nullptr ? *owner.encrypt_to : identity).public_key());
  const client::AgeRecipient* me[] = {&self};
  auto new_key = [&]() -> absl::StatusOr<client::NewAgeFile> { return client::NewFileHeader(me); };

  absl::StatusOr<v1::FolderSummary> top = coordinator.GetFolder(folder_id);
  if (!top.ok()) return top.status();
  std::deque<std::pair<std::string, client::SecretBytes>> queue;
  if (top->age_header().empty()) {
    absl::StatusOr<client::NewAgeFile> k = new_key();
    if (!k.ok()) return k.status();
    v1::EntryKey e;
    e.set_folder_id(top->folder_id());
    e.set_age_header(client::SerializeHeader(k->header));
    if (absl::Status s = batch.Add(std::move(e)); !s.ok()) return s;
    ++stats.folders_keyed;
    queue.emplace_back(top->folder_id(), std::move(k->file_key));
  } else if (KeyIsStale(*top, owner)) {
    absl::StatusOr<client::SecretBytes> k = RekeyFolder(coordinator, top->folder_id(), identity, owner);
    if (!k.ok()) return k.status();
    ++stats.folders_rekeyed;
    queue.emplace_back(top->folder_id(), *std::move(k));
  } else {
    absl::StatusOr<client::SecretBytes> k = OpenFolderKey(*top, identity, owner.more);
    if (!k.ok()) return k.status();
    queue.emplace_back(top->folder_id(), *std::move(k));
  }
  while (!queue.empty()) {
    const std::string id = queue.front().first;
    const client::SecretBytes key = std::move(queue.front().second);
    queue.pop_front();
    absl::StatusOr<std::vector<RemoteEntry>> children = tree.List(id);
    if (!children.ok()) return children.status();
    std::vector<const RemoteEntry*> files;
    for (const RemoteEntry& c : *children) {
      if (c.name == c.id) {  // the name did not open: cannot be wrapped
        ++stats.skipped;
        continue;
      }
      if (!c.is_folder) {
        if (!WrapOpens(key, id, c.id, c.object.folder_wrap(), false)) files.push_back(&c);
        continue;
      }
      v1::EntryKey e;
      e.set_folder_id(c.id);
      client::SecretBytes child_key;
      bool rekeyed = false;
      if (c.folder.age_header().empty()) {
        absl::StatusOr<client::NewAgeFile> k = new_key();
        if (!k.ok()) return k.status();
        e.set_age_header(client::SerializeHeader(k->header));
        child_key = std::move(k->file_key);
        ++stats.folders_keyed;
      } else if (KeyIsStale(c.folder, owner)) {
        absl::StatusOr<client::SecretBytes> k = RekeyFolder(coordinator, c.id, identity, owner);
        if (!k.ok()) return k.status();
        child_key = *std::move(k);
        rekeyed = true;
        ++stats.folders_rekeyed;
      } else {
        absl::StatusOr<client::SecretBytes> k = OpenFolderKey(c.folder, identity, owner.more);
        if (!k.ok()) return k.status();
        child_key = *std::move(k);
      }
      if (rekeyed || !WrapOpens(key, id, c.id, c.folder.entry_wrap(), true)) {
        absl::StatusOr<std::string> w = Wrap(key, id, c.id, true, child_key, c.name);
        if (!w.ok()) return w.status();
        e.set_wrap(*std::move(w));
        ++stats.entries_wrapped;
      }
      if (!e.age_header().empty() || !e.wrap().empty()) {
        if (absl::Status s = batch.Add(std::move(e)); !s.ok()) return s;
      }
      queue.emplace_back(c.id, std::move(child_key));
    }
    // The file keys come from the files' headers: one GetObjects per 1000 files.
    for (size_t start = 0; start < files.size(); start += kBatch) {
      std::vector<std::string> ids;
      for (size_t i = start; i < files.size() && i < start + kBatch; ++i) ids.push_back(files[i]->id);
      absl::StatusOr<std::vector<absl::StatusOr<v1::GetObjectResponse>>> manifests =
          coordinator.GetObjects(ids);
      if (!manifests.ok()) return manifests.status();
      for (size_t i = 0; i < manifests->size(); ++i) {
        const RemoteEntry& f = *files[start + i];
        if (!(*manifests)[i].ok()) {  // deleted meanwhile
          ++stats.skipped;
          continue;
        }
        absl::StatusOr<client::SecretBytes> file_key =
            OpenFileKey((*manifests)[i]->age_header(), identity, owner.more);
        if (!file_key.ok()) return file_key.status();
        absl::StatusOr<std::string> w = Wrap(key, id, f.id, false, *file_key, f.name);
        if (!w.ok()) return w.status();
        v1::EntryKey e;
        e.set_object_id(f.id);
        e.set_wrap(*std::move(w));
        ++stats.entries_wrapped;
        if (absl::Status s = batch.Add(std::move(e)); !s.ok()) return s;
      }
    }
  }
  if (absl::Status s = batch.Flush(); !s.ok()) return s;
  return stats;
}

absl::StatusOr<KeySync> SyncFolderKeysAfterChange(CoordinatorApi& coordinator, RemoteTree& tree,
                                                  const client::X25519Identity& identity,
                                                  const std::string& folder_id,
                                                  const FolderKeyOwner& owner) {
  // The nearest keyed folder at or above `folder_id`; in org mode also the top of its
  // keyed tree, from which the walk starts if a key on the way is stale (a folder's
  // new key must be wrapped under its parent's new key, never under one a removed
  // member may hold).
  std::string at = folder_id;
  std::string nearest;
  std::string top;
  bool stale = false;
  for (int depth = 0; !at.empty() && depth < 1000; ++depth) {
    absl::StatusOr<v1::FolderSummary> f = coordinator.GetFolder(at);
    if (!f.ok()) return f.status();
    if (f->age_header().empty()) {
      if (!nearest.empty()) break;  // above the keyed tree
    } else {
      if (nearest.empty()) nearest = at;
      top = at;
      stale = stale || KeyIsStale(*f, owner);
      if (owner.encrypt_to == nullptr) break;  // one generation: nothing is stale
    }
    at = f->parent_id();
  }
  if (nearest.empty()) return KeySync();
  return EnsureFolderKeys(coordinator, tree, identity, stale ? top : nearest, owner);
}

absl::StatusOr<SharedTree> WalkSharedFolder(CoordinatorApi& coordinator,
                                            const std::string& folder_id,
                                            const client::SecretBytes& folder_key,
                                            int64_t max_entries) {
  SharedTree out;
  struct Pending {
    std::string id;
    std::string path;
    client::SecretBytes key;
  };
  std::deque<Pending> queue;
  queue.push_back(Pending{folder_id, "", folder_key.Clone()});
  while (!queue.empty()) {
    Pending cur = std::move(queue.front());
    queue.pop_front();
    std::string token;
    for (int page = 0; page < 1000000; ++page) {
      v1::ListFolderRequest req;
      req.set_folder_id(cur.id);
      req.mutable_page()->set_page_size(1000);
      req.mutable_page()->set_page_token(token);
      absl::StatusOr<v1::ListFolderResponse> resp = coordinator.ListFolder(req);
      if (!resp.ok()) return resp.status();
      auto open = [&](const std::string& wrap, const std::string& entry_id,
                      bool want_folder) -> std::optional<client::EntryWrap> {
        if (wrap.empty()) return std::nullopt;
        absl::StatusOr<client::EntryWrap> w =
            client::OpenEntryWrap(cur.key, Bytes(wrap), cur.id, entry_id);
        if (!w.ok() || w->is_folder != want_folder) return std::nullopt;
        return *std::move(w);
      };
      auto join = [&](const std::string& name) {
        return cur.path.empty() ? name : absl::StrCat(cur.path, "/", name);
      };
      for (const v1::FolderSummary& f : resp->folders()) {
        std::optional<client::EntryWrap> w = open(f.entry_wrap(), f.folder_id(), true);
        if (!w.has_value()) {
          ++out.unreadable;
          continue;
        }
        SharedEntry e;
        e.is_folder = true;
        e.id = f.folder_id();
        e.path = join(w->name);
        e.key = w->key.Clone();
        out.entries.push_back(std::move(e));
        queue.push_back(Pending{f.folder_id(), join(w->name), std::move(w->key)});
      }
      for (const v1::ObjectSummary& o : resp->objects()) {
        std::optional<client::EntryWrap> w = open(o.folder_wrap(), o.object_id(), false);
        if (!w.has_value()) {
          ++out.unreadable;
          continue;
        }
        SharedEntry e;
        e.id = o.object_id();
        e.path = join(w->name);
        e.key = std::move(w->key);
        e.object = o;
        out.entries.push_back(std::move(e));
      }
      if (static_cast<int64_t>(out.entries.size()) > max_entries) {
        return absl::InvalidArgumentError(
            absl::StrCat("the shared folder holds more than ", max_entries, " entries"));
      }
      token = resp->next_page_token();
      if (token.empty()) break;
    }
  }
  return out;
}

}  // namespace freehold::cli
