// Folder commands (docs/ARCHITECTURE.md#folders): put -r, get -r, ls PATH / -R,
// mkdir [-p], mv, rm -r, find. Each command opens one session and one set of
// connections; paths resolve one component per ResolveEntry call (no listing).
//
// Resume: a file already stored under the same name with the same size and
// modification time is not sent again (put -r), a local file with the size and
// modification time of the remote one is not fetched again (get -r); so an
// interrupted put -r / get -r run again finishes the job.
//
// Name collisions: put -r refuses (before storing anything) when a different
// file (size or time) exists under the same name in the target folder, unless
// --overwrite: then the new file is stored under a temporary name hash, the old one deleted
// (through DeleteObject, whatever that keeps) and the new one renamed into place,
// so a failure never loses the old file before the new one is stored. mv and
// mkdir refuse an existing target name. A file and a folder never share a name.
//
// Symbolic links and special files (sockets, devices, FIFOs) met by put -r are
// skipped with a notice on stderr (and listed under "skipped" with --json);
// their targets are not followed.
#include <dirent.h>
#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>

#include <algorithm>
#include <deque>
#include <functional>
#include <iostream>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/strings/str_format.h"
#include "client/cli/batch_get.h"
#include "client/cli/batch_put.h"
#include "client/cli/commands.h"
#include "client/cli/exit_codes.h"
#include "client/cli/file_io.h"
#include "client/cli/format.h"
#include "client/cli/folder_share_ops.h"
#include "client/cli/progress.h"
#include "client/cli/remote_tree.h"
#include "client/cli/rpc.h"

namespace freehold::cli {
namespace {

struct Opened {
  CoordinatorApi* coordinator = nullptr;
  client::X25519Identity identity;
  FolderKeyOwner key_owner;  // org mode: the organization's key generations
};

// Readers of a shared folder above `folder_id` can open what was just added
// there: its keys are wrapped under the folder's key now (folder_share_ops.h).
absl::Status SyncSharedKeys(Opened& o, RemoteTree& tree, const std::string& folder_id) {
  if (folder_id.empty()) return absl::OkStatus();
  absl::StatusOr<KeySync> k =
      SyncFolderKeysAfterChange(*o.coordinator, tree, o.identity, folder_id, o.key_owner);
  if (!k.ok()) {
    return WithContext(k.status(), "giving the new entries their keys for the folder's readers "
                                   "(stored; `freehold share --list FOLDER` retries later)");
  }
  return absl::OkStatus();
}

absl::StatusOr<Opened> OpenUser(Context& ctx) {
  absl::StatusOr<UserSession*> user = ctx.User();
  if (!user.ok()) return user.status();
  absl::StatusOr<CoordinatorApi*> coordinator = ctx.Coordinator();
  if (!coordinator.ok()) return coordinator.status();
  // The password is asked and hashed once for the whole command.
  absl::StatusOr<client::X25519Identity> identity = (*user)->Identity(ctx.Passwords());
  if (!identity.ok()) return identity.status();
  return Opened{*coordinator, *std::move(identity), FolderKeyOwnerOf(ctx)};
}

int64_t NanosOf(const struct timespec& t) {
  return static_cast<int64_t>(t.tv_sec) * 1000000000 + t.tv_nsec;
}

std::string BaseName(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

void Notice(const Context& ctx, const std::string& text) {
  if (!ctx.options().quiet) std::cerr << "freehold: " << text << "\n";
}

nlohmann::json EntryJson(const RemoteEntry& e, const std::string& path) {
  nlohmann::json j = {{"path", path},
                      {"name", e.name},
                      {"type", e.is_folder ? "folder" : "file"},
                      {"id", e.id}};
  if (!e.is_folder) j["size"] = e.metadata.size;
  j["modified_at"] = e.metadata.modified_unix_nanos != 0 ? IsoTime(e.metadata.modified_unix_nanos)
                                                         : "";
  if (e.metadata.mode != 0) j["mode"] = absl::StrFormat("%04o", e.metadata.mode);
  return j;
}

std::string ChildPath(const std::string& parent, const std::string& name) {
  return parent == "/" ? absl::StrCat("/", name) : absl::StrCat(parent, "/", name);
}

// Walks the folder `id` (path `path`) depth first, parents before children,
// calling `visit` for every entry below it. At most kMaxDepth levels.
constexpr int kMaxDepth = 1000;
absl::Status Walk(RemoteTree& tree, const std::string& id, const std::string& path, int depth,
                  const std::function<absl::Status(const RemoteEntry&, const std::string&)>& visit) {
  if (depth > kMaxDepth) return absl::FailedPreconditionError("folders nested too deep");
  absl::StatusOr<std::vector<RemoteEntry>> children = tree.List(id);
  if (!children.ok()) return children.status();
  std::sort(children->begin(), children->end(),
            [](const RemoteEntry& a, const RemoteEntry& b) { return a.name < b.name; });
  for (const RemoteEntry& c : *children) {
    const std::string p = ChildPath(path, c.name);
    if (absl::Status s = visit(c, p); !s.ok()) return s;
    if (c.is_folder) {
      if (absl::Status s = Walk(tree, c.id, p, depth + 1, visit); !s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

// One local directory of put -r and its remote folder.
struct LocalDir {
  std::string path;
  std::string folder_id;
  bool existed = false;  // the remote folder was there already (merge)
};

}  // namespace

absl::Status RunPutTree(Context& ctx, const PutArgs& args) {
  if (args.files.empty() || args.files.size() > 2) {
    return UsageError("put -r takes DIR [REMOTE]");
  }
  const std::string dir = args.files[0];
  struct stat st;
  if (::lstat(dir.c_str(), &st) != 0) return FileError(errno, "cannot read", dir);
  if (!S_ISDIR(st.st_mode)) return UsageError(absl::StrCat(dir, " is not a directory"));
  std::vector<std::string> remote;
  if (args.files.size() == 2) {
    absl::StatusOr<std::vector<std::string>> parts = SplitRemotePath(args.files[1]);
    if (!parts.ok()) return parts.status();
    remote = *parts;
  } else {
    const std::string base = BaseName(dir);
    if (!IsPortableComponent(base)) {
      return UsageError("give the REMOTE folder to store the directory as");
    }
    remote = {base};
  }
  absl::StatusOr<Opened> o = OpenUser(ctx);
  if (!o.ok()) return o.status();
  RemoteTree tree(*o->coordinator, o->identity, o->key_owner.more);
  const absl::Time start = absl::Now();

  // The target folder: created with its parents if missing; an existing one is
  // merged into.
  bool existed = true;
  std::string top;
  if (!remote.empty()) {
    absl::StatusOr<std::string> parent =
        tree.MkdirAll(std::vector<std::string>(remote.begin(), remote.end() - 1));
    if (!parent.ok()) return parent.status();
    absl::StatusOr<std::optional<RemoteEntry>> e = tree.Lookup(*parent, remote.back());
    if (!e.ok()) return e.status();
    if (e->has_value()) {
      if (!(*e)->is_folder) {
        return absl::AlreadyExistsError(
            absl::StrCat(JoinRemotePath(remote), " exists and is a file"));
      }
      top = (*e)->id;
    } else {
      client::FileMetadata meta;
      meta.created_unix_nanos = absl::ToUnixNanos(absl::Now());
      meta.modified_unix_nanos = NanosOf(st.st_mtim);
      meta.mode = st.st_mode & 07777;
      absl::StatusOr<std::string> id = tree.Mkdir(*parent, remote.back(), meta, false);
      if (!id.ok()) return id.status();
      top = *id;
      existed = false;
    }
  }

  std::vector<PutItem> items;
  std::vector<std::string> replaced;  // object ids to replace, by item (overwrite)
  nlohmann::json skipped = nlohmann::json::array();
  int folders_created = 0;
  size_t already_stored = 0;  // same name, size and modification time: not sent again
  uint64_t total_bytes = 0;   // of the files to send
  std::deque<LocalDir> queue{{dir, top, existed}};
  while (!queue.empty()) {
    LocalDir cur = std::move(queue.front());
    queue.pop_front();
    // Names already in a folder that existed before this command.
    std::map<std::string, RemoteEntry> present;
    if (cur.existed) {
      absl::StatusOr<std::vector<RemoteEntry>> children = tree.List(cur.folder_id);
      if (!children.ok()) return children.status();
      for (RemoteEntry& c : *children) present.emplace(c.name, std::move(c));
    }
    DIR* d = ::opendir(cur.path.c_str());
    if (d == nullptr) return FileError(errno, "cannot read the directory", cur.path);
    std::vector<std::string> names;
    while (struct dirent* ent = ::readdir(d)) {
      const std::string n = ent->d_name;
      if (n != "." && n != "..") names.push_back(n);
    }
    ::closedir(d);
    std::sort(names.begin(), names.end());
    for (const std::string& n : names) {
      const std::string path = absl::StrCat(cur.path, cur.path.back() == '/' ? "" : "/", n);
      struct stat est;
      if (::lstat(path.c_str(), &est) != 0) return FileError(errno, "cannot read", path);
      auto it = present.find(n);
      if (S_ISDIR(est.st_mode)) {
        if (it != present.end()) {
          if (!it->second.is_folder) {
            return absl::AlreadyExistsError(absl::StrCat(
                path, ": a file of that name exists in the target folder; nothing was stored"));
          }
          queue.push_back({path, it->second.id, true});
          continue;
        }
        client::FileMetadata meta;
        meta.created_unix_nanos = absl::ToUnixNanos(absl::Now());
        meta.modified_unix_nanos = NanosOf(est.st_mtim);
        meta.mode = est.st_mode & 07777;
        absl::StatusOr<std::string> id = tree.Mkdir(cur.folder_id, n, meta, false);
        if (!id.ok()) return WithContext(id.status(), absl::StrCat("creating the folder for ", path));
        ++folders_created;
        queue.push_back({path, *id, false});
        continue;
      }
      if (!S_ISREG(est.st_mode)) {
        const char* what = S_ISLNK(est.st_mode) ? "symbolic link" : "special file";
        Notice(ctx, absl::StrCat("skipped the ", what, " ", path, " (not stored)"));
        skipped.push_back({{"path", path}, {"type", what}});
        continue;
      }
      PutItem item{path, n, cur.folder_id, "", true};
      std::string old_id;
      if (it != present.end()) {
        if (it->second.is_folder) {
          return absl::AlreadyExistsError(absl::StrCat(
              path, ": a folder of that name exists in the target folder; nothing was stored"));
        }
        if (it->second.metadata.size == static_cast<uint64_t>(est.st_size) &&
            it->second.metadata.modified_unix_nanos == NanosOf(est.st_mtim)) {
          // Stored already (same size and modification time): an interrupted
          // put -r run again resumes here (docs/ARCHITECTURE.md#sync).
          ++already_stored;
          continue;
        }
        if (!args.overwrite) {
          return absl::AlreadyExistsError(
              absl::StrCat(path, " exists in the target folder (as ", it->second.id,
                           "): give --overwrite to replace it; nothing was stored"));
        }
        // Stored under a random hash first, renamed over the old one after.
        item.name_hash.resize(client::kNameHashBytes);
        randombytes_buf(item.name_hash.data(), item.name_hash.size());
        old_id = it->second.id;
      }
      items.push_back(std::move(item));
      total_bytes += static_cast<uint64_t>(est.st_size);
      replaced.push_back(std::move(old_id));
    }
  }

  BatchPutOptions options;
  options.concurrency = args.concurrency;
  options.upload.admission_retries = args.throttle_retries;
  options.upload.attempts_per_shard = args.shard_tries;
  NoticePrinter notices;
  options.observer = &notices;
  options.upload.max_admission_wait = args.max_throttle_wait;
  if (ctx.options().threads > 0) options.upload.encode_threads = ctx.options().threads;
  if (ctx.Org() != nullptr) options.encrypt_to = &ctx.Org()->current();
  // Large files resume inside the file after an interruption (upload_resume.h).
  absl::StatusOr<const SessionStore*> journal_store = ctx.Store();
  if (journal_store.ok()) options.resume_journals = &(*journal_store)->dir();
  TreeProgress progress(args.events ? TreeProgress::Mode::kJson
                                    : TreeProgress::ModeFor(false, ctx.options().quiet));
  progress.Start(items.size(), total_bytes,
                 {{"command", "put"}, {"remote", JoinRemotePath(remote)},
                  {"already_stored", already_stored}});
  options.on_stored = [&](const PutOutcome& r) { progress.FileDone("put", r.path, r.size); };
  BatchPutResult result = PutFiles(*o->coordinator, ctx.Nodes(), o->identity, items, options);
  int64_t rpcs_extra = 0;
  uint64_t bytes = 0;
  size_t stored = 0, overwritten = 0;
  absl::Status status = result.status;
  for (size_t i = 0; i < items.size(); ++i) {
    const PutOutcome& r = result.outcomes[i];
    if (r.object_id.empty()) continue;
    ++stored;
    bytes += r.size;
    if (replaced[i].empty()) continue;
    // Replace: delete the old file, then give the new one its name.
    absl::Status s = o->coordinator->DeleteObject(replaced[i]);
    if (s.ok() || absl::IsNotFound(s)) {
      RemoteEntry e;
      e.id = r.object_id;
      struct stat fst;
      if (::stat(items[i].path.c_str(), &fst) == 0) {
        e.metadata.size = static_cast<uint64_t>(fst.st_size);
        e.metadata.modified_unix_nanos = NanosOf(fst.st_mtim);
        e.metadata.mode = fst.st_mode & 07777;
      }
      e.metadata.created_unix_nanos = absl::ToUnixNanos(absl::Now());
      s = tree.Move(e, items[i].parent_id, items[i].name);
      rpcs_extra += 1;
    }
    if (!s.ok() && status.ok()) {
      status = WithContext(s, absl::StrCat("replacing ", items[i].path));
    }
    if (s.ok()) ++overwritten;
  }
  if (status.ok()) status = SyncSharedKeys(*o, tree, top);
  const double secs = std::max(1e-6, absl::ToDoubleSeconds(absl::Now() - start));
  if (args.events) {
    if (!status.ok()) progress.Error("", status);
    progress.Finish("", {{"of", items.size()},
                         {"command", "put"},
                         {"folders_created", folders_created},
                         {"overwritten", overwritten},
                         {"already_stored", already_stored},
                         {"skipped", skipped}});
    return status;
  }
  if (ctx.json()) {
    progress.Finish("");
    ctx.PrintJson({{"remote", JoinRemotePath(remote)},
                   {"files", stored},
                   {"of", items.size()},
                   {"bytes", bytes},
                   {"folders_created", folders_created},
                   {"overwritten", overwritten},
                   {"already_stored", already_stored},
                   {"skipped", skipped},
                   {"seconds", secs},
                   {"files_per_second", static_cast<double>(stored) / secs}});
  } else {
    std::string text =
        absl::StrFormat("%d of %d files stored (%s) in %d new folders under %s in %.2f s", stored,
                        items.size(), HumanBytes(bytes), folders_created, JoinRemotePath(remote),
                        secs);
    if (already_stored > 0) absl::StrAppendFormat(&text, " (%d stored already)", already_stored);
    absl::StrAppend(&text, " ", TreeRateText(stored, bytes, secs));
    progress.Finish(text);
  }
  return status;
}

absl::Status RunGetTree(Context& ctx, const GetArgs& args) {
  if (args.objects.empty() || args.objects.size() > 2) {
    return UsageError("get -r takes REMOTE [DIR]");
  }
  absl::StatusOr<std::vector<std::string>> remote = SplitRemotePath(args.objects[0]);
  if (!remote.ok()) return remote.status();
  std::string local = args.objects.size() == 2 ? args.objects[1] : args.output;
  if (local.empty()) {
    if (remote->empty() || !IsPortableComponent(remote->back())) {
      return UsageError("give the local DIR to write the folder into");
    }
    local = remote->back();
  }
  absl::StatusOr<Opened> o = OpenUser(ctx);
  if (!o.ok()) return o.status();
  RemoteTree tree(*o->coordinator, o->identity, o->key_owner.more);
  const absl::Time start = absl::Now();
  absl::StatusOr<RemoteEntry> top = tree.Resolve(*remote);
  if (!top.ok()) return top.status();
  if (!top->is_folder) {
    return UsageError(absl::StrCat(JoinRemotePath(*remote), " is a file: use get without -r"));
  }
  struct stat st;
  if (::stat(local.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) return UsageError(absl::StrCat(local, " exists and is not a directory"));
  } else if (::mkdir(local.c_str(), 0700) != 0) {
    return FileError(errno, "cannot create the directory", local);
  }
  // Folders (created now, times and modes set at the end, deepest first) and files.
  struct Dir {
    std::string path;
    client::FileMetadata meta;
  };
  std::vector<Dir> dirs;
  if (!remote->empty()) dirs.push_back({local, top->metadata});
  std::vector<std::string> ids, outputs;
  size_t already_saved = 0;  // same size and modification time locally: not fetched again
  uint64_t total_bytes = 0;  // of the files to fetch
  std::map<std::string, std::string> local_of_folder{{top->id, local}};
  absl::Status walked = Walk(
      tree, top->id, JoinRemotePath(*remote), 0,
      [&](const RemoteEntry& e, const std::string& path) -> absl::Status {
        if (!IsPortableComponent(e.name)) {
          return absl::FailedPreconditionError(
              absl::StrCat(path, ": the name cannot be a local file name"));
        }
        const std::string out = absl::StrCat(local_of_folder[e.parent_id], "/", e.name);
        if (e.is_folder) {
          if (::mkdir(out.c_str(), 0700) != 0 && errno != EEXIST) {
            return FileError(errno, "cannot create the directory", out);
          }
          local_of_folder[e.id] = out;
          dirs.push_back({out, e.metadata});
        } else {
          struct stat lst;
          if (::lstat(out.c_str(), &lst) == 0 && S_ISREG(lst.st_mode) &&
              static_cast<uint64_t>(lst.st_size) == e.metadata.size &&
              NanosOf(lst.st_mtim) == e.metadata.modified_unix_nanos) {
            // Saved already (an interrupted get -r run again resumes here).
            ++already_saved;
            return absl::OkStatus();
          }
          ids.push_back(e.id);
          outputs.push_back(out);
          total_bytes += e.metadata.size;
        }
        return absl::OkStatus();
      });
  if (!walked.ok()) return walked;
  BatchGetOptions options;
  options.concurrency = args.concurrency;
  options.outputs = outputs;
  options.restore_attributes = true;
  uint64_t bytes = 0;
  size_t count = 0;
  TreeProgress progress(args.events ? TreeProgress::Mode::kJson
                                    : TreeProgress::ModeFor(false, ctx.options().quiet));
  progress.Start(ids.size(), total_bytes,
                 {{"command", "get"}, {"remote", JoinRemotePath(*remote)}, {"output", local},
                  {"already_saved", already_saved}});
  options.on_saved = [&](const GetOutcome& g) {
    bytes += g.size;
    ++count;
    progress.FileDone("get", g.output, g.size);
  };
  absl::Status s = ids.empty() ? absl::OkStatus()
                               : GetFiles(ctx, *o->coordinator, o->identity, ids, local, options);
  // Directory attributes last (writing files into them changed their times).
  for (auto it = dirs.rbegin(); it != dirs.rend() && s.ok(); ++it) {
    if (it->meta.mode != 0 && ::chmod(it->path.c_str(), it->meta.mode & 07777) != 0) {
      s = FileError(errno, "cannot set the permissions of", it->path);
    }
    if (it->meta.modified_unix_nanos != 0) {
      struct timespec times[2];
      times[0].tv_sec = 0;
      times[0].tv_nsec = UTIME_OMIT;
      times[1].tv_sec = static_cast<time_t>(it->meta.modified_unix_nanos / 1000000000);
      times[1].tv_nsec = static_cast<long>(it->meta.modified_unix_nanos % 1000000000);
      if (::utimensat(AT_FDCWD, it->path.c_str(), times, 0) != 0 && s.ok()) {
        s = FileError(errno, "cannot set the modification time of", it->path);
      }
    }
  }
  const double secs = std::max(1e-6, absl::ToDoubleSeconds(absl::Now() - start));
  if (args.events) {
    if (!s.ok()) progress.Error("", s);
    progress.Finish("", {{"of", ids.size()},
                         {"command", "get"},
                         {"folders", dirs.size()},
                         {"already_saved", already_saved}});
    return s;
  }
  if (ctx.json()) {
    progress.Finish("");
    ctx.PrintJson({{"remote", JoinRemotePath(*remote)},
                   {"output", local},
                   {"files", count},
                   {"of", ids.size()},
                   {"folders", dirs.size()},
                   {"already_saved", already_saved},
                   {"bytes", bytes},
                   {"rpcs_tree", tree.rpcs()},
                   {"seconds", secs},
                   {"files_per_second", static_cast<double>(count) / secs}});
  } else {
    std::string text = absl::StrFormat("%d of %d files saved (%s) into %s in %.2f s", count,
                                       ids.size(), HumanBytes(bytes), local, secs);
    if (already_saved > 0) absl::StrAppendFormat(&text, " (%d there already)", already_saved);
    absl::StrAppend(&text, " ", TreeRateText(count, bytes, secs));
    progress.Finish(text);
  }
  return s;
}

absl::Status RunLsPath(Context& ctx, const LsArgs& args) {
  std::vector<std::string> paths = args.paths;
  if (paths.empty()) paths.push_back("/");
  absl::StatusOr<Opened> o = OpenUser(ctx);
  if (!o.ok()) return o.status();
  RemoteTree tree(*o->coordinator, o->identity, o->key_owner.more);
  nlohmann::json arr = nlohmann::json::array();
  for (const std::string& raw : paths) {
    absl::StatusOr<std::vector<std::string>> parts = SplitRemotePath(raw);
    if (!parts.ok()) return parts.status();
    absl::StatusOr<RemoteEntry> e = tree.Resolve(*parts);
    if (!e.ok()) return e.status();
    const std::string base = JoinRemotePath(*parts);
    if (!e->is_folder) {
      if (ctx.json()) {
        arr.push_back(EntryJson(*e, base));
      } else {
        absl::PrintF("%10s  %-16s  %s\n", HumanBytes(e->metadata.size),
                     HumanTime(e->metadata.modified_unix_nanos), base);
      }
      continue;
    }
    auto print = [&](const RemoteEntry& c, const std::string& path) -> absl::Status {
      if (ctx.json()) {
        arr.push_back(EntryJson(c, path));
      } else if (c.is_folder) {
        absl::PrintF("%10s  %-16s  %s/\n", "-", HumanTime(c.metadata.modified_unix_nanos),
                     args.recursive ? path : c.name);
      } else {
        absl::PrintF("%10s  %-16s  %s\n", HumanBytes(c.metadata.size),
                     HumanTime(c.metadata.modified_unix_nanos), args.recursive ? path : c.name);
      }
      return absl::OkStatus();
    };
    if (args.recursive) {
      if (absl::Status s = Walk(tree, e->id, base, 0, print); !s.ok()) return s;
    } else {
      absl::StatusOr<std::vector<RemoteEntry>> children = tree.List(e->id);
      if (!children.ok()) return children.status();
      std::sort(children->begin(), children->end(),
                [](const RemoteEntry& a, const RemoteEntry& b) { return a.name < b.name; });
      for (const RemoteEntry& c : *children) {
        if (absl::Status s = print(c, ChildPath(base, c.name)); !s.ok()) return s;
      }
    }
  }
  if (ctx.json()) ctx.PrintJson(arr);
  return absl::OkStatus();
}

absl::Status RunFind(Context& ctx, const FindArgs& args) {
  absl::StatusOr<std::vector<std::string>> parts = SplitRemotePath(args.path);
  if (!parts.ok()) return parts.status();
  absl::StatusOr<Opened> o = OpenUser(ctx);
  if (!o.ok()) return o.status();
  RemoteTree tree(*o->coordinator, o->identity, o->key_owner.more);
  absl::StatusOr<RemoteEntry> e = tree.Resolve(*parts);
  if (!e.ok()) return e.status();
  const std::string base = JoinRemotePath(*parts);
  nlohmann::json arr = nlohmann::json::array();
  auto visit = [&](const RemoteEntry& c, const std::string& path) -> absl::Status {
    if (ctx.json()) {
      arr.push_back(EntryJson(c, path));
    } else {
      std::cout << path << (c.is_folder ? "/" : "") << "\n";
    }
    return absl::OkStatus();
  };
  if (!e->is_folder) {
    (void)visit(*e, base);
  } else if (absl::Status s = Walk(tree, e->id, base, 0, visit); !s.ok()) {
    return s;
  }
  if (ctx.json()) ctx.PrintJson(arr);
  return absl::OkStatus();
}

absl::Status RunMkdir(Context& ctx, const MkdirArgs& args) {
  std::vector<std::vector<std::string>> all;
  for (const std::string& p : args.paths) {
    absl::StatusOr<std::vector<std::string>> parts = SplitRemotePath(p);
    if (!parts.ok()) return parts.status();
    if (parts->empty()) return UsageError("mkdir: the root exists already");
    all.push_back(*parts);
  }
  absl::StatusOr<Opened> o = OpenUser(ctx);
  if (!o.ok()) return o.status();
  RemoteTree tree(*o->coordinator, o->identity, o->key_owner.more);
  nlohmann::json made = nlohmann::json::array();
  for (const std::vector<std::string>& parts : all) {
    absl::StatusOr<std::string> id;
    if (args.parents) {
      id = tree.MkdirAll(parts);
    } else {
      absl::StatusOr<std::string> parent =
          tree.ResolveFolder(std::vector<std::string>(parts.begin(), parts.end() - 1));
      if (!parent.ok()) return parent.status();
      client::FileMetadata meta;
      meta.created_unix_nanos = meta.modified_unix_nanos = absl::ToUnixNanos(absl::Now());
      id = tree.Mkdir(*parent, parts.back(), meta, false);
      if (absl::IsAlreadyExists(id.status())) {
        return absl::AlreadyExistsError(
            absl::StrCat(JoinRemotePath(parts), " exists already (mkdir -p accepts that)"));
      }
    }
    if (!id.ok()) return id.status();
    if (absl::Status s = SyncSharedKeys(*o, tree, *id); !s.ok()) return s;
    made.push_back({{"path", JoinRemotePath(parts)}, {"id", *id}});
    if (!ctx.json() && !ctx.options().quiet) {
      std::cout << "Folder " << JoinRemotePath(parts) << "\n";
    }
  }
  if (ctx.json()) ctx.PrintJson({{"folders", made}, {"rpcs", tree.rpcs()}});
  return absl::OkStatus();
}

absl::Status RunMv(Context& ctx, const MvArgs& args) {
  if (args.paths.size() < 2) return UsageError("mv takes SRC DST (or SRC... FOLDER)");
  std::vector<std::vector<std::string>> srcs;
  for (size_t i = 0; i + 1 < args.paths.size(); ++i) {
    absl::StatusOr<std::vector<std::string>> p = SplitRemotePath(args.paths[i]);
    if (!p.ok()) return p.status();
    if (p->empty()) return UsageError("mv: the root cannot be moved");
    srcs.push_back(*p);
  }
  absl::StatusOr<std::vector<std::string>> dst = SplitRemotePath(args.paths.back());
  if (!dst.ok()) return dst.status();
  absl::StatusOr<Opened> o = OpenUser(ctx);
  if (!o.ok()) return o.status();
  RemoteTree tree(*o->coordinator, o->identity, o->key_owner.more);
  // DST an existing folder: move into it under the same names.
  absl::StatusOr<RemoteEntry> target = tree.Resolve(*dst);
  if (!target.ok() && !absl::IsNotFound(target.status())) return target.status();
  const bool into = target.ok() && target->is_folder;
  if (!into && srcs.size() > 1) {
    return UsageError(absl::StrCat(JoinRemotePath(*dst), " is not an existing folder"));
  }
  if (target.ok() && !target->is_folder) {
    return absl::AlreadyExistsError(
        absl::StrCat(JoinRemotePath(*dst), " exists; remove it first (mv never replaces)"));
  }
  std::string new_parent;
  if (into) {
    new_parent = target->id;
  } else {
    if (dst->empty()) return UsageError("mv: give the destination path");
    absl::StatusOr<std::string> p =
        tree.ResolveFolder(std::vector<std::string>(dst->begin(), dst->end() - 1));
    if (!p.ok()) return p.status();
    new_parent = *p;
  }
  nlohmann::json moved = nlohmann::json::array();
  for (const std::vector<std::string>& src : srcs) {
    absl::StatusOr<RemoteEntry> e = tree.Resolve(src);
    if (!e.ok()) return e.status();
    const std::string name = into ? src.back() : dst->back();
    if (absl::Status s = tree.Move(*e, new_parent, name); !s.ok()) {
      return WithContext(s, absl::StrCat("mv ", JoinRemotePath(src)));
    }
    std::vector<std::string> to = *dst;
    if (into) to.push_back(src.back());
    if (absl::Status s = SyncSharedKeys(*o, tree, new_parent); !s.ok()) return s;
    moved.push_back({{"from", JoinRemotePath(src)}, {"to", JoinRemotePath(to)}, {"id", e->id}});
    if (!ctx.json() && !ctx.options().quiet) {
      std::cout << "Moved " << JoinRemotePath(src) << " to " << JoinRemotePath(to) << "\n";
    }
  }
  if (ctx.json()) {
    ctx.PrintJson({{"moved", moved}, {"rpcs", tree.rpcs()}, {"list_rpcs", tree.list_rpcs()}});
  }
  return absl::OkStatus();
}

absl::Status RunRmTree(Context& ctx, const RmArgs& args) {
  std::vector<std::vector<std::string>> all;
  for (const std::string& p : args.objects) {
    absl::StatusOr<std::vector<std::string>> parts = SplitRemotePath(p);
    if (!parts.ok()) return parts.status();
    if (parts->empty()) return UsageError("rm: the root cannot be removed");
    all.push_back(*parts);
  }
  absl::StatusOr<Opened> o = OpenUser(ctx);
  if (!o.ok()) return o.status();
  RemoteTree tree(*o->coordinator, o->identity, o->key_owner.more);
  size_t files = 0, folders = 0;
  // Post-order: a folder's content first, then the (now empty) folder.
  std::function<absl::Status(const RemoteEntry&, int)> remove =
      [&](const RemoteEntry& e, int depth) -> absl::Status {
    if (!e.is_folder) {
      absl::Status s = o->coordinator->DeleteObject(e.id);
      if (s.ok()) ++files;
      return s;
    }
    if (depth > kMaxDepth) return absl::FailedPreconditionError("folders nested too deep");
    absl::StatusOr<std::vector<RemoteEntry>> children = tree.List(e.id);
    if (!children.ok()) return children.status();
    for (const RemoteEntry& c : *children) {
      if (absl::Status s = remove(c, depth + 1); !s.ok()) return s;
    }
    absl::Status s = o->coordinator->DeleteFolder(e.id);
    if (s.ok()) ++folders;
    return s;
  };
  for (size_t i = 0; i < all.size(); ++i) {
    const std::vector<std::string>& parts = all[i];
    absl::StatusOr<RemoteEntry> e = tree.Resolve(parts);
    if (!e.ok() && absl::IsNotFound(e.status()) && !args.recursive &&
        !absl::StartsWith(args.objects[i], "/")) {
      // Not a path: a file in the root whose name holds a '/' (stored with
      // --name before folders existed) is still removed by its name.
      RmArgs by_name = args;
      by_name.objects = {args.objects[i]};
      if (absl::Status s = RunRm(ctx, by_name); !s.ok()) return s;
      continue;
    }
    if (!e.ok()) return e.status();
    if (e->is_folder && !args.recursive) {
      return UsageError(absl::StrCat(JoinRemotePath(parts), " is a folder: use rm -r"));
    }
    if (absl::Status s = remove(*e, 0); !s.ok()) {
      return WithContext(s, absl::StrCat("rm ", JoinRemotePath(parts)));
    }
    if (!ctx.json() && !ctx.options().quiet) {
      std::cout << "Deleted " << JoinRemotePath(parts) << (e->is_folder ? "/" : "") << "\n";
    }
  }
  if (ctx.json()) ctx.PrintJson({{"deleted_files", files}, {"deleted_folders", folders}});
  return absl::OkStatus();
}

}  // namespace freehold::cli
