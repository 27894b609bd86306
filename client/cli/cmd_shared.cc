// shared ls / shared get: folders other accounts shared with me, and the tree
// download behind `fetch` of a folder link (docs/PROTOCOL.md 9.3).
#include <sys/stat.h>

#include <cerrno>
#include <algorithm>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "client/cli/commands.h"
#include "client/cli/exit_codes.h"
#include "client/cli/file_io.h"
#include "client/cli/folder_share_ops.h"
#include "client/cli/format.h"
#include "client/cli/object_ops.h"
#include "client/cli/remote_tree.h"
#include "client/core/age_stream.h"

namespace freehold::cli {
namespace {

struct ReaderSession {
  CoordinatorApi* coordinator = nullptr;
  client::X25519Identity identity;
};

absl::StatusOr<ReaderSession> OpenReader(Context& ctx) {
  absl::StatusOr<UserSession*> user = ctx.User();
  if (!user.ok()) return user.status();
  absl::StatusOr<CoordinatorApi*> coordinator = ctx.Coordinator();
  if (!coordinator.ok()) return coordinator.status();
  absl::StatusOr<client::X25519Identity> identity = (*user)->Identity(ctx.Passwords());
  if (!identity.ok()) return identity.status();
  return ReaderSession{*coordinator, *std::move(identity)};
}

// The shared folder's key and its tree, as `identity` (an account's or a
// link's) opens them. NOT_FOUND: unknown, not shared with us, or unshared.
absl::StatusOr<SharedTree> OpenTree(CoordinatorApi& coordinator, const std::string& raw_id,
                                    const client::X25519Identity& identity, bool from_link) {
  if (!LooksLikeObjectId(raw_id)) {
    return UsageError(absl::StrCat("\"", raw_id, "\" is not a folder id"));
  }
  absl::StatusOr<v1::FolderSummary> f = coordinator.GetFolder(raw_id);
  if (absl::IsNotFound(f.status()) || absl::IsUnauthenticated(f.status())) {
    return absl::NotFoundError(
        from_link ? "this link no longer works: the folder was deleted or its owner turned the "
                    "public link off"
                  : absl::StrCat("folder ", raw_id,
                                 " is not shared with you (or no longer: it was unshared or "
                                 "deleted)"));
  }
  if (!f.ok()) return f.status();
  absl::StatusOr<client::SecretBytes> key = OpenFolderKey(*f, identity);
  if (!key.ok()) return key.status();
  return WalkSharedFolder(coordinator, f->folder_id(), *key);
}

bool PortablePath(const std::string& path) {
  for (absl::string_view part : absl::StrSplit(path, '/')) {
    if (!IsPortableComponent(std::string(part))) return false;
  }
  return true;
}

}  // namespace

absl::Status FetchSharedFolder(Context& ctx, CoordinatorApi& coordinator,
                               const std::string& folder_id,
                               const client::X25519Identity& identity, const std::string& dir,
                               bool from_link) {
  const absl::Time start = absl::Now();
  absl::StatusOr<SharedTree> tree = OpenTree(coordinator, folder_id, identity, from_link);
  if (!tree.ok()) return tree.status();
  struct stat st;
  if (::stat(dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) return UsageError(absl::StrCat(dir, " exists and is not a directory"));
  } else if (::mkdir(dir.c_str(), 0700) != 0) {
    return FileError(errno, "cannot create the directory", dir);
  }
  std::vector<const SharedEntry*> files;
  int64_t skipped = tree->unreadable;
  for (const SharedEntry& e : tree->entries) {
    if (!PortablePath(e.path)) {  // a name that cannot be a local file name
      ++skipped;
      continue;
    }
    const std::string out = absl::StrCat(dir, "/", e.path);
    if (e.is_folder) {
      if (::mkdir(out.c_str(), 0700) != 0 && errno != EEXIST) {
        return FileError(errno, "cannot create the directory", out);
      }
    } else {
      files.push_back(&e);
    }
  }
  uint64_t bytes = 0;
  size_t saved = 0;
  for (size_t start_at = 0; start_at < files.size(); start_at += 1000) {
    std::vector<std::string> ids;
    for (size_t i = start_at; i < files.size() && i < start_at + 1000; ++i) ids.push_back(files[i]->id);
    // GetObjects needs an account; a link holder asks one manifest at a time.
    absl::StatusOr<std::vector<absl::StatusOr<v1::GetObjectResponse>>> manifests;
    if (from_link) {
      manifests.emplace();
      for (const std::string& id : ids) manifests->push_back(coordinator.GetObject(id));
    } else {
      manifests = coordinator.GetObjects(ids);
    }
    if (!manifests.ok()) return manifests.status();
    for (size_t i = 0; i < manifests->size(); ++i) {
      const SharedEntry& e = *files[start_at + i];
      if (!(*manifests)[i].ok()) {  // removed meanwhile
        ++skipped;
        continue;
      }
      const std::string out = absl::StrCat(dir, "/", e.path);
      absl::StatusOr<std::unique_ptr<OutputFile>> file = OutputFile::Create(out);
      if (!file.ok()) return file.status();
      absl::Status s = DownloadObject(ctx, coordinator, *(*manifests)[i], &e.key, **file, nullptr);
      if (s.ok()) s = (*file)->Commit();
      if (!s.ok()) return WithContext(s, e.path);
      bytes += (*file)->bytes_written();
      ++saved;
    }
  }
  const double secs = std::max(1e-6, absl::ToDoubleSeconds(absl::Now() - start));
  if (ctx.json()) {
    ctx.PrintJson({{"id", folder_id},
                   {"output", dir},
                   {"files", saved},
                   {"folders", tree->entries.size() - files.size()},
                   {"skipped", skipped},
                   {"bytes", bytes},
                   {"seconds", secs}});
  } else {
    absl::PrintF("%d files saved (%s) into %s in %.2f s", saved, HumanBytes(bytes), dir, secs);
    if (skipped > 0) absl::PrintF(" (%d entries not readable yet, skipped)", skipped);
    absl::PrintF("\n");
  }
  return absl::OkStatus();
}

absl::Status RunSharedLs(Context& ctx, const SharedArgs& args) {
  absl::StatusOr<ReaderSession> o = OpenReader(ctx);
  if (!o.ok()) return o.status();
  absl::StatusOr<SharedTree> tree = OpenTree(*o->coordinator, args.folder, o->identity, false);
  if (!tree.ok()) return tree.status();
  if (ctx.json()) {
    nlohmann::json arr = nlohmann::json::array();
    for (const SharedEntry& e : tree->entries) {
      nlohmann::json j = {{"path", e.path}, {"id", e.id}, {"folder", e.is_folder}};
      if (!e.is_folder) {
        absl::StatusOr<uint64_t> size = client::PlaintextSizeForPayload(e.object.size_bytes());
        j["size"] = size.ok() ? *size : 0;
      }
      arr.push_back(std::move(j));
    }
    ctx.PrintJson({{"id", args.folder}, {"entries", arr}, {"unreadable", tree->unreadable}});
    return absl::OkStatus();
  }
  for (const SharedEntry& e : tree->entries) {
    if (e.is_folder) {
      std::cout << e.path << "/\n";
    } else {
      absl::StatusOr<uint64_t> size = client::PlaintextSizeForPayload(e.object.size_bytes());
      std::cout << e.path << "  " << HumanBytes(size.ok() ? *size : 0) << "\n";
    }
  }
  if (tree->unreadable > 0) {
    std::cerr << tree->unreadable << " entries have no key for you yet (the owner's client adds "
                                     "them at its next change of the folder)\n";
  }
  return absl::OkStatus();
}

absl::Status RunSharedGet(Context& ctx, const SharedArgs& args) {
  absl::StatusOr<ReaderSession> o = OpenReader(ctx);
  if (!o.ok()) return o.status();
  return FetchSharedFolder(ctx, *o->coordinator, args.folder, o->identity,
                           args.output.empty() ? args.folder : args.output, false);
}

}  // namespace freehold::cli
