#include "client/cli/remote_tree.h"

#include "client/cli/object_ops.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "client/cli/exit_codes.h"

namespace freehold::cli {
namespace {

std::span<const uint8_t> Bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

}  // namespace

absl::StatusOr<std::vector<std::string>> SplitRemotePath(const std::string& path) {
  std::vector<std::string> parts;
  for (absl::string_view p : absl::StrSplit(path, '/', absl::SkipEmpty())) {
    if (p == "." || p == "..") {
      return UsageError(absl::StrCat("the remote path \"", path,
                                     "\" has a . or .. component (give paths from the root)"));
    }
    if (p.size() > client::kMaxMetadataNameBytes) {
      return UsageError(absl::StrCat("a component of the remote path is longer than ",
                                     client::kMaxMetadataNameBytes, " bytes"));
    }
    parts.emplace_back(p);
  }
  return parts;
}

std::string JoinRemotePath(const std::vector<std::string>& parts) {
  return absl::StrCat("/", absl::StrJoin(parts, "/"));
}

bool IsPortableComponent(const std::string& name) {
  return !name.empty() && name != "." && name != ".." &&
         name.find('/') == std::string::npos && name.find('\0') == std::string::npos;
}

RemoteTree::RemoteTree(CoordinatorApi& coordinator, const client::X25519Identity& identity,
                       const std::vector<const client::X25519Identity*>& older)
    : coordinator_(coordinator), keys_(identity, older) {}

std::string RemoteTree::Hash(const std::string& parent_id, const std::string& name) const {
  return keys_.EntryHash(parent_id, name, 0);
}

absl::StatusOr<std::string> RemoteTree::Seal(const client::FileMetadata& metadata,
                                             const std::string& object_id) const {
  // Objects: version 2, bound to the object id (docs/PROTOCOL.md 5.7); folders:
  // version 1 (the coordinator picks a folder's id; its name is bound by its hash).
  absl::StatusOr<std::vector<uint8_t>> sealed =
      object_id.empty() ? client::SealMetadata(metadata_key(), metadata)
                        : client::SealObjectMetadata(metadata_key(), metadata, object_id);
  if (!sealed.ok()) return sealed.status();
  return std::string(sealed->begin(), sealed->end());
}

absl::StatusOr<std::optional<RemoteEntry>> RemoteTree::Lookup(const std::string& parent_id,
                                                              const std::string& name) {
  for (size_t g = 0; g < keys_.size(); ++g) {
    absl::StatusOr<std::optional<RemoteEntry>> e = LookupIn(parent_id, name, g);
    if (!e.ok() || e->has_value()) return e;
  }
  return std::optional<RemoteEntry>();
}

absl::Status RemoteTree::CheckOlderGenerations(const std::string& parent_id,
                                               const std::string& name,
                                               const std::string& moving_id) {
  for (size_t g = 1; g < keys_.size(); ++g) {
    absl::StatusOr<std::optional<RemoteEntry>> e = LookupIn(parent_id, name, g);
    if (!e.ok()) return e.status();
    if (e->has_value() && (*e)->id != moving_id) {
      return absl::AlreadyExistsError(absl::StrCat(
          "\"", name, "\" exists there already (a ", (*e)->is_folder ? "folder" : "file",
          " named before the organization's key was rotated)"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<RemoteEntry>> RemoteTree::LookupIn(const std::string& parent_id,
                                                                const std::string& name,
                                                                size_t g) {
  const client::SecretBytes& metadata_key = keys_.metadata_key(g);
  v1::ResolveEntryRequest req;
  req.set_parent_id(parent_id);
  req.set_name_hash(keys_.EntryHash(parent_id, name, g));
  ++rpcs_;
  absl::StatusOr<v1::ResolveEntryResponse> resp = coordinator_.ResolveEntry(req);
  if (!resp.ok()) return resp.status();
  if (resp->is_folder()) {
    RemoteEntry e;
    e.is_folder = true;
    e.id = resp->folder().folder_id();
    e.parent_id = parent_id;
    e.name = name;
    e.folder = resp->folder();
    absl::StatusOr<client::FileMetadata> meta =
        client::OpenMetadata(metadata_key, Bytes(resp->folder().encrypted_metadata()));
    if (meta.ok()) e.metadata = *meta;
    e.metadata.name = name;
    return std::optional<RemoteEntry>(std::move(e));
  }
  std::vector<RemoteEntry> found;
  for (const v1::ObjectSummary& o : resp->objects()) {
    absl::StatusOr<client::OpenedMetadata> meta = OpenSummaryMetadata(metadata_key, o);
    if (!meta.ok()) continue;
    // Root objects stored by `put FILE` may carry a path as their name; the
    // hash matched, so the name is what was asked for.
    RemoteEntry e;
    e.id = o.object_id();
    e.parent_id = parent_id;
    e.name = name;
    e.metadata = meta->metadata;
    e.object = o;
    found.push_back(std::move(e));
  }
  if (found.empty()) return std::optional<RemoteEntry>();
  if (found.size() > 1) {
    std::vector<std::string> ids;
    for (const RemoteEntry& e : found) ids.push_back(e.id);
    return UsageError(absl::StrCat("several files are named \"", name,
                                   "\" in the root (stored before folders): use an id: ",
                                   absl::StrJoin(ids, ", ")));
  }
  return std::optional<RemoteEntry>(std::move(found.front()));
}

absl::StatusOr<RemoteEntry> RemoteTree::Resolve(const std::vector<std::string>& parts) {
  RemoteEntry cur;
  cur.is_folder = true;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (!cur.is_folder) {
      return absl::FailedPreconditionError(
          absl::StrCat(JoinRemotePath({parts.begin(), parts.begin() + i}), " is a file, not a folder"));
    }
    absl::StatusOr<std::optional<RemoteEntry>> next = Lookup(cur.id, parts[i]);
    if (!next.ok()) return next.status();
    if (!next->has_value()) {
      return absl::NotFoundError(absl::StrCat(
          "no such file or folder: ", JoinRemotePath({parts.begin(), parts.begin() + i + 1})));
    }
    cur = **std::move(next);
  }
  return cur;
}

absl::StatusOr<std::string> RemoteTree::ResolveFolder(const std::vector<std::string>& parts) {
  absl::StatusOr<RemoteEntry> e = Resolve(parts);
  if (!e.ok()) return e.status();
  if (!e->is_folder) {
    return absl::FailedPreconditionError(
        absl::StrCat(JoinRemotePath(parts), " is a file, not a folder"));
  }
  return e->id;
}

absl::StatusOr<std::string> RemoteTree::Mkdir(const std::string& parent_id,
                                              const std::string& name,
                                              client::FileMetadata metadata, bool exist_ok) {
  metadata.name = name;
  if (absl::Status older = CheckOlderGenerations(parent_id, name); !older.ok()) {
    if (!exist_ok || !absl::IsAlreadyExists(older)) return older;
    absl::StatusOr<std::optional<RemoteEntry>> e = Lookup(parent_id, name);
    if (!e.ok()) return e.status();
    if (e->has_value() && (*e)->is_folder) return (*e)->id;
    return absl::AlreadyExistsError(
        absl::StrCat("\"", name, "\" exists and is a file, not a folder"));
  }
  absl::StatusOr<std::string> sealed = Seal(metadata);
  if (!sealed.ok()) return sealed.status();
  v1::CreateFolderRequest req;
  req.set_parent_id(parent_id);
  req.set_name_hash(Hash(parent_id, name));
  req.set_encrypted_metadata(*sealed);
  ++rpcs_;
  absl::StatusOr<v1::CreateFolderResponse> resp = coordinator_.CreateFolder(req);
  if (resp.ok()) return resp->folder().folder_id();
  if (!exist_ok || !absl::IsAlreadyExists(resp.status())) return resp.status();
  absl::StatusOr<std::optional<RemoteEntry>> e = Lookup(parent_id, name);
  if (!e.ok()) return e.status();
  if (!e->has_value() || !(*e)->is_folder) {
    return absl::AlreadyExistsError(
        absl::StrCat("\"", name, "\" exists and is a file, not a folder"));
  }
  return (*e)->id;
}

absl::StatusOr<std::string> RemoteTree::MkdirAll(const std::vector<std::string>& parts) {
  std::string parent;
  for (const std::string& p : parts) {
    absl::StatusOr<std::optional<RemoteEntry>> e = Lookup(parent, p);
    if (!e.ok()) return e.status();
    if (e->has_value()) {
      if (!(*e)->is_folder) {
        return absl::AlreadyExistsError(absl::StrCat("\"", p, "\" exists and is a file"));
      }
      parent = (*e)->id;
      continue;
    }
    client::FileMetadata meta;
    meta.created_unix_nanos = meta.modified_unix_nanos = absl::ToUnixNanos(absl::Now());
    absl::StatusOr<std::string> id = Mkdir(parent, p, meta, /*exist_ok=*/true);
    if (!id.ok()) return id.status();
    parent = *id;
  }
  return parent;
}

absl::StatusOr<std::vector<RemoteEntry>> RemoteTree::List(const std::string& folder_id) {
  std::vector<RemoteEntry> out;
  std::string token;
  for (int page = 0; page < 1000000; ++page) {
    v1::ListFolderRequest req;
    req.set_folder_id(folder_id);
    req.mutable_page()->set_page_size(1000);
    req.mutable_page()->set_page_token(token);
    ++rpcs_;
    ++list_rpcs_;
    absl::StatusOr<v1::ListFolderResponse> resp = coordinator_.ListFolder(req);
    if (!resp.ok()) return resp.status();
    for (const v1::FolderSummary& f : resp->folders()) {
      RemoteEntry e;
      e.is_folder = true;
      e.id = f.folder_id();
      e.parent_id = folder_id;
      e.folder = f;
      // The name must hash to the entry's (parent, name) hash under the generation
      // whose key opened it: a server cannot swap names between folders unnoticed.
      e.name = e.id;
      for (size_t g = 0; g < keys_.size(); ++g) {
        absl::StatusOr<client::FileMetadata> meta =
            client::OpenMetadata(keys_.metadata_key(g), Bytes(f.encrypted_metadata()));
        if (!meta.ok()) continue;
        if (keys_.EntryHash(folder_id, meta->name, g) == f.name_hash()) {
          e.metadata = *meta;
          e.name = meta->name;
        }
        break;
      }
      out.push_back(std::move(e));
    }
    for (const v1::ObjectSummary& o : resp->objects()) {
      RemoteEntry e;
      e.id = o.object_id();
      e.parent_id = folder_id;
      e.object = o;
      size_t g = 0;
      absl::StatusOr<client::OpenedMetadata> meta = OpenSummaryMetadata(keys_, o, &g);
      if (meta.ok()) {
        e.metadata = meta->metadata;
        e.name = meta->metadata.name;
        // In folders the name is one component bound by its hash; root objects
        // stored by `put FILE` before folders may have no hash.
        if (!folder_id.empty() && keys_.EntryHash(folder_id, e.name, g) != o.name_hash()) {
          e.name = e.id;
        }
      } else {
        e.name = e.id;
      }
      out.push_back(std::move(e));
    }
    token = resp->next_page_token();
    if (token.empty()) break;
  }
  return out;
}

absl::Status RemoteTree::Move(const RemoteEntry& entry, const std::string& new_parent_id,
                              const std::string& new_name) {
  client::FileMetadata meta = entry.metadata;
  meta.name = new_name;
  if (absl::Status older = CheckOlderGenerations(new_parent_id, new_name, entry.id);
      !older.ok()) {
    return older;
  }
  absl::StatusOr<std::string> sealed = Seal(meta, entry.is_folder ? std::string() : entry.id);
  if (!sealed.ok()) return sealed.status();
  v1::MoveEntryRequest req;
  if (entry.is_folder) {
    req.set_folder_id(entry.id);
  } else {
    req.set_object_id(entry.id);
  }
  req.set_new_parent_id(new_parent_id);
  req.set_new_name_hash(Hash(new_parent_id, new_name));
  req.set_new_encrypted_metadata(*sealed);
  ++rpcs_;
  return coordinator_.MoveEntry(req);
}

}  // namespace freehold::cli
