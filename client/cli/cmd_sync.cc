// `freehold sync SRC DST` (docs/ARCHITECTURE.md#sync): a one-way sync of a
// folder, local to remote or remote to local. The remote side is spelled
// `fh:PATH` (fh:/photos); exactly one side must be remote. The plan
// (client/cli/sync_plan.h) compares sizes and modification times, or with
// --checksum sizes and content hashes (BLAKE2b-256 of the plaintext: local
// files hashed here, remote ones read from the encrypted metadata, recorded
// there by every upload of a sync --checksum); --delete
// also removes what the source no longer has; --dry-run prints the plan and
// changes nothing. Transfers go through PutFiles / GetFiles (batches, inline
// objects, one session and one set of connections).
//
// Resume: every file is committed (remote) or renamed into place (local) as a
// unit, with its modification time, so a sync (or put -r / get -r) that was
// interrupted and is run again finds those files unchanged and sends only the
// rest. A file interrupted mid-transfer is sent again whole: the pending object
// of an interrupted upload is never committed and expires on the coordinator;
// a partial download is a temporary file removed (or left as
// .freehold-partial-*) and never takes the file's name.
//
// Changed remote files are replaced as put -r --overwrite does: stored under a
// temporary name hash, the old one deleted (to the trash), the new one renamed
// into place.
//
// Shared folders: once a sync up has stored its files, the keyed trees it wrote
// into get keys and wraps as after put -r (SyncFolderKeysAfterChange), so the
// folders' readers open the new entries; in org mode a folder whose key is stale
// after a member's removal is re-keyed first (docs/PROTOCOL.md 9.4).
#include <dirent.h>
#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <iostream>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "client/cli/batch_get.h"
#include "client/cli/batch_put.h"
#include "client/cli/commands.h"
#include "client/cli/exit_codes.h"
#include "client/cli/file_io.h"
#include "client/cli/folder_share_ops.h"
#include "client/cli/format.h"
#include "client/cli/progress.h"
#include "client/cli/remote_tree.h"
#include "client/cli/rpc.h"
#include "client/cli/sync_plan.h"
#include "client/core/metadata.h"

namespace freehold::cli {
namespace {

constexpr char kRemotePrefix[] = "fh:";
constexpr int kMaxDepth = 1000;

int64_t NanosOf(const struct timespec& t) {
  return static_cast<int64_t>(t.tv_sec) * 1000000000 + t.tv_nsec;
}

std::string Join(const std::string& a, const std::string& b) {
  if (a.empty()) return b;
  return absl::StrCat(a, a.back() == '/' ? "" : "/", b);
}

std::string ParentOf(const std::string& rel) {
  const size_t slash = rel.rfind('/');
  return slash == std::string::npos ? "" : rel.substr(0, slash);
}

std::string LastOf(const std::string& rel) {
  const size_t slash = rel.rfind('/');
  return slash == std::string::npos ? rel : rel.substr(slash + 1);
}

void Notice(const Context& ctx, const std::string& text) {
  if (!ctx.options().quiet && !ctx.json()) std::cerr << "freehold: " << text << "\n";
}

// A download in progress (or killed): ".NAME.freehold-partial-XXXXXX" (file_io.cc).
bool IsPartialDownload(const std::string& n) {
  static const std::string kMark = ".freehold-partial-";
  return n.size() > kMark.size() + 6 && n[0] == '.' &&
         n.compare(n.size() - 6 - kMark.size(), kMark.size(), kMark) == 0;
}

// Every directory and regular file under `root` (relative paths); symbolic links
// and special files skipped with a notice.
absl::Status ScanLocal(const Context& ctx, const std::string& root, const std::string& rel,
                       int depth, SyncTree* out) {
  if (depth > kMaxDepth) return absl::FailedPreconditionError("directories nested too deep");
  const std::string dir = rel.empty() ? root : Join(root, rel);
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return FileError(errno, "cannot read the directory", dir);
  std::vector<std::string> names;
  while (struct dirent* ent = ::readdir(d)) {
    const std::string n = ent->d_name;
    if (n != "." && n != ".." && !IsPartialDownload(n)) names.push_back(n);
  }
  ::closedir(d);
  for (const std::string& n : names) {
    const std::string r = rel.empty() ? n : absl::StrCat(rel, "/", n);
    const std::string path = Join(root, r);
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) return FileError(errno, "cannot read", path);
    SyncEntry e;
    e.modified_unix_nanos = NanosOf(st.st_mtim);
    e.mode = st.st_mode & 07777;
    if (S_ISDIR(st.st_mode)) {
      e.is_folder = true;
      (*out)[r] = e;
      if (absl::Status s = ScanLocal(ctx, root, r, depth + 1, out); !s.ok()) return s;
    } else if (S_ISREG(st.st_mode)) {
      e.size = static_cast<uint64_t>(st.st_size);
      (*out)[r] = e;
    } else {
      Notice(ctx,
             absl::StrCat("skipped the ", S_ISLNK(st.st_mode) ? "symbolic link" : "special file",
                          " ", path, " (not synced)"));
    }
  }
  return absl::OkStatus();
}

// Every entry below the remote folder `id`.
absl::Status ScanRemote(RemoteTree& tree, const std::string& id, const std::string& rel, int depth,
                        SyncTree* out, std::map<std::string, RemoteEntry>* entries) {
  if (depth > kMaxDepth) return absl::FailedPreconditionError("folders nested too deep");
  absl::StatusOr<std::vector<RemoteEntry>> children = tree.List(id);
  if (!children.ok()) return children.status();
  for (RemoteEntry& c : *children) {
    if (!IsPortableComponent(c.name)) {
      return absl::FailedPreconditionError(absl::StrCat(rel.empty() ? "" : rel + "/", c.name,
                                                        ": the name cannot be a local file name"));
    }
    const std::string r = rel.empty() ? c.name : absl::StrCat(rel, "/", c.name);
    SyncEntry e;
    e.is_folder = c.is_folder;
    e.size = c.is_folder ? 0 : c.metadata.size;
    e.modified_unix_nanos = c.metadata.modified_unix_nanos;
    e.mode = c.metadata.mode;
    e.id = c.id;
    e.content_hash = c.metadata.content_hash;
    (*out)[r] = e;
    const bool folder = c.is_folder;
    const std::string child_id = c.id;
    (*entries)[r] = std::move(c);
    if (folder) {
      if (absl::Status s = ScanRemote(tree, child_id, r, depth + 1, out, entries); !s.ok()) {
        return s;
      }
    }
  }
  return absl::OkStatus();
}

absl::Status SetTimeAndMode(const std::string& path, uint32_t mode, int64_t mtime_ns) {
  if (mode != 0 && ::chmod(path.c_str(), mode & 07777) != 0) {
    return FileError(errno, "cannot set the permissions of", path);
  }
  if (mtime_ns != 0) {
    struct timespec times[2];
    times[0].tv_sec = 0;
    times[0].tv_nsec = UTIME_OMIT;
    times[1].tv_sec = static_cast<time_t>(mtime_ns / 1000000000);
    times[1].tv_nsec = static_cast<long>(mtime_ns % 1000000000);
    if (::utimensat(AT_FDCWD, path.c_str(), times, 0) != 0) {
      return FileError(errno, "cannot set the modification time of", path);
    }
  }
  return absl::OkStatus();
}

// BLAKE2b-256 of the local file at `path` (client::ContentHasher).
absl::StatusOr<std::string> HashLocalFile(const std::string& path) {
  absl::StatusOr<std::unique_ptr<InputFile>> file = InputFile::Open(path);
  if (!file.ok()) return file.status();
  client::ContentHasher hasher;
  std::vector<uint8_t> buf(1 << 20);
  for (;;) {
    absl::StatusOr<size_t> n = (*file)->Read(buf);
    if (!n.ok()) return n.status();
    if (*n == 0) break;
    hasher.Update(std::span<const uint8_t>(buf.data(), *n));
  }
  return hasher.Final();
}

// --checksum: the content hashes of the local files in `local_tree` (rooted at
// `root`) that PlanSync compares by content, i.e. those with a same-sized file
// in `other`, and with `all`, every local file (sync up records the hash of
// what it sends).
absl::Status HashLocalTree(const std::string& root, SyncTree& local_tree, const SyncTree& other,
                           bool all) {
  for (auto& [rel, e] : local_tree) {
    if (e.is_folder) continue;
    auto it = other.find(rel);
    if (!all && (it == other.end() || !NeedsContentHash(e, it->second))) continue;
    absl::StatusOr<std::string> h = HashLocalFile(Join(root, rel));
    if (!h.ok()) return h.status();
    e.content_hash = *std::move(h);
  }
  return absl::OkStatus();
}

struct Counts {
  uint64_t sent = 0, bytes = 0, deleted = 0, folders = 0;
};

std::string SummaryText(bool up, const Counts& c, const SyncPlan& plan, double secs) {
  return absl::StrFormat(
      "sync: %d of %d files %s (%s), %d deleted, %d folders created, %d unchanged in %.2f s %s",
      c.sent, plan.transfer_files, up ? "sent" : "received", HumanBytes(c.bytes), c.deleted,
      c.folders, plan.unchanged_files, secs, TreeRateText(c.sent, c.bytes, secs));
}

nlohmann::json SummaryJson(const Counts& c, const SyncPlan& plan, const std::string& local,
                           const std::string& remote, bool up) {
  return {{"direction", up ? "up" : "down"},
          {"local", local},
          {"remote", remote},
          {"transferred", c.sent},
          {"of", plan.transfer_files},
          {"deleted", c.deleted},
          {"folders_created", c.folders},
          {"unchanged", plan.unchanged_files},
          {"dry_run", false}};
}

// --dry-run: the plan, one line (or JSON event) per step, and a summary.
void PrintPlan(const Context& ctx, const SyncPlan& plan, TreeProgress& progress) {
  uint64_t adds = 0, updates = 0, deletes = 0, mkdirs = 0;
  for (const SyncStep& s : plan.steps) {
    switch (s.action) {
      case SyncAction::kAdd:
        ++adds;
        break;
      case SyncAction::kUpdate:
        ++updates;
        break;
      case SyncAction::kDelete:
        ++deletes;
        break;
      case SyncAction::kMkdir:
        ++mkdirs;
        break;
    }
    const uint64_t bytes = s.action == SyncAction::kDelete ? s.destination.size : s.source.size;
    if (ctx.json()) {
      std::cout << nlohmann::json(
                       {{"event", "plan"},
                        {"action", SyncActionName(s.action)},
                        {"path", s.path},
                        {"folder", s.action == SyncAction::kDelete ? s.destination.is_folder
                                                                   : s.source.is_folder},
                        {"bytes", bytes}})
                       .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                << "\n";
    } else {
      std::cout << absl::StrFormat("%-6s %s%s\n", SyncActionName(s.action), s.path,
                                   (s.action == SyncAction::kMkdir ||
                                    (s.action == SyncAction::kDelete && s.destination.is_folder))
                                       ? "/"
                                       : "");
    }
  }
  progress.Finish(
      absl::StrFormat("dry run: %d to add, %d to update (%s), %d to delete, %d folders to create, "
                      "%d unchanged; nothing was changed",
                      adds, updates, HumanBytes(plan.transfer_bytes), deletes, mkdirs,
                      plan.unchanged_files),
      {{"dry_run", true},
       {"files", 0},
       {"to_add", adds},
       {"to_update", updates},
       {"to_delete", deletes},
       {"to_mkdir", mkdirs},
       {"to_transfer_bytes", plan.transfer_bytes},
       {"unchanged", plan.unchanged_files}});
}

struct Opened {
  CoordinatorApi* coordinator = nullptr;
  client::X25519Identity identity;
  FolderKeyOwner key_owner;  // org mode: the organization's key generations
};

absl::StatusOr<Opened> OpenUser(Context& ctx) {
  absl::StatusOr<UserSession*> user = ctx.User();
  if (!user.ok()) return user.status();
  absl::StatusOr<CoordinatorApi*> coordinator = ctx.Coordinator();
  if (!coordinator.ok()) return coordinator.status();
  absl::StatusOr<client::X25519Identity> identity = (*user)->Identity(ctx.Passwords());
  if (!identity.ok()) return identity.status();
  return Opened{*coordinator, *std::move(identity), FolderKeyOwnerOf(ctx)};
}

// After a sync up wrote below `top` (its remote folder, "" = root): as put -r does,
// the keyed trees it wrote into get their keys (SyncFolderKeysAfterChange): readers of
// a shared folder open the new entries, and in org mode a folder whose key is stale
// after a member's removal is re-keyed first, so the new wraps open with nothing the
// removed member held (docs/PROTOCOL.md 9.4). For the root, each top-level folder
// the sync holds (`folder_ids`, by relative path) is one tree.
absl::Status SyncSharedKeys(Opened& o, RemoteTree& tree, const std::string& top,
                            const std::map<std::string, std::string>& folder_ids) {
  std::vector<std::string> trees;
  if (!top.empty()) {
    trees.push_back(top);
  } else {
    for (const auto& [rel, id] : folder_ids) {
      if (!rel.empty() && rel.find('/') == std::string::npos) trees.push_back(id);
    }
  }
  for (const std::string& id : trees) {
    absl::StatusOr<KeySync> k =
        SyncFolderKeysAfterChange(*o.coordinator, tree, o.identity, id, o.key_owner);
    if (!k.ok()) {
      return WithContext(k.status(), "giving the new entries their keys for the folder's readers "
                                     "(stored; `freehold share --list FOLDER` retries later)");
    }
  }
  return absl::OkStatus();
}

absl::Status SyncUp(Context& ctx, const SyncArgs& args, const std::string& local,
                    const std::vector<std::string>& remote) {
  struct stat st;
  if (::stat(local.c_str(), &st) != 0) return FileError(errno, "cannot read", local);
  if (!S_ISDIR(st.st_mode)) return UsageError(absl::StrCat(local, " is not a directory"));
  SyncTree source;
  if (absl::Status s = ScanLocal(ctx, local, "", 0, &source); !s.ok()) return s;
  absl::StatusOr<Opened> o = OpenUser(ctx);
  if (!o.ok()) return o.status();
  RemoteTree tree(*o->coordinator, o->identity, o->key_owner.more);
  const std::string remote_path = JoinRemotePath(remote);

  // The remote folder: created (with its parents) unless --dry-run.
  SyncTree destination;
  std::map<std::string, RemoteEntry> entries;
  std::string top;
  bool top_exists = true;
  if (!remote.empty()) {
    absl::StatusOr<RemoteEntry> e = tree.Resolve(remote);
    if (absl::IsNotFound(e.status())) {
      top_exists = false;
    } else if (!e.ok()) {
      return e.status();
    } else if (!e->is_folder) {
      return absl::FailedPreconditionError(absl::StrCat(remote_path, " is a file, not a folder"));
    } else {
      top = e->id;
    }
  }
  if (top_exists) {
    if (absl::Status s = ScanRemote(tree, top, "", 0, &destination, &entries); !s.ok()) return s;
  }
  if (args.checksum) {
    if (absl::Status s = HashLocalTree(local, source, destination, /*all=*/true); !s.ok()) {
      return s;
    }
  }
  absl::StatusOr<SyncPlan> plan = PlanSync(source, destination, args.delete_extra, args.checksum);
  if (!plan.ok()) return plan.status();
  TreeProgress progress(TreeProgress::ModeFor(ctx.json(), ctx.options().quiet));
  progress.Start(
      plan->transfer_files, plan->transfer_bytes,
      {{"direction", "up"},
       {"local", local},
       {"remote", remote_path},
       {"dry_run", args.dry_run},
       {"checksum", args.checksum}});
  if (args.dry_run) {
    PrintPlan(ctx, *plan, progress);
    return absl::OkStatus();
  }
  if (!top_exists) {
    absl::StatusOr<std::string> id = tree.MkdirAll(remote);
    if (!id.ok()) return id.status();
    top = *id;
  }
  std::map<std::string, std::string> folder_ids{{"", top}};
  for (const auto& [rel, e] : entries) {
    if (e.is_folder) folder_ids[rel] = e.id;
  }
  Counts counts;
  auto fail = [&](const std::string& path, const absl::Status& s) {
    progress.Error(path, s);
    progress.Finish(SummaryText(true, counts, *plan, progress.ElapsedSeconds()),
                    SummaryJson(counts, *plan, local, remote_path, true));
    return WithContext(s, path);
  };
  auto remove = [&](const SyncStep& step) -> absl::Status {
    absl::Status s = step.destination.is_folder ? o->coordinator->DeleteFolder(step.destination.id)
                                                : o->coordinator->DeleteObject(step.destination.id);
    if (absl::IsNotFound(s)) s = absl::OkStatus();  // gone already
    if (s.ok()) {
      ++counts.deleted;
      progress.FileDone("delete", step.path, step.destination.size);
    }
    return s;
  };

  std::vector<PutItem> items;
  std::vector<const SyncStep*> item_steps;
  size_t i = 0;
  const std::vector<SyncStep>& steps = plan->steps;
  // Conflicting entries removed, then folders created.
  for (; i < steps.size() && steps[i].action != SyncAction::kAdd &&
         steps[i].action != SyncAction::kUpdate;
       ++i) {
    const SyncStep& step = steps[i];
    if (step.action == SyncAction::kDelete) {
      // Only conflicts come before the transfers... and when nothing is sent,
      // the trailing deletes too: both are fine here.
      if (absl::Status s = remove(step); !s.ok()) return fail(step.path, s);
      continue;
    }
    client::FileMetadata meta;
    meta.created_unix_nanos = absl::ToUnixNanos(absl::Now());
    meta.modified_unix_nanos = step.source.modified_unix_nanos;
    meta.mode = step.source.mode;
    absl::StatusOr<std::string> id =
        tree.Mkdir(folder_ids[ParentOf(step.path)], LastOf(step.path), meta, false);
    if (!id.ok()) return fail(step.path, id.status());
    folder_ids[step.path] = *id;
    ++counts.folders;
    progress.FileDone("mkdir", step.path, 0);
  }
  for (; i < steps.size() && steps[i].action != SyncAction::kDelete; ++i) {
    const SyncStep& step = steps[i];
    PutItem item{Join(local, step.path), LastOf(step.path), folder_ids[ParentOf(step.path)], "",
                 true, step.source.content_hash};
    if (step.action == SyncAction::kUpdate) {
      item.name_hash.resize(client::kNameHashBytes);
      randombytes_buf(item.name_hash.data(), item.name_hash.size());
    }
    items.push_back(std::move(item));
    item_steps.push_back(&step);
  }
  absl::Status status;
  if (!items.empty()) {
    BatchPutOptions options;
    options.concurrency = args.concurrency;
    options.upload.admission_retries = args.throttle_retries;
    options.upload.max_admission_wait = args.max_throttle_wait;
    if (ctx.options().threads > 0) options.upload.encode_threads = ctx.options().threads;
    // Org mode: new files go to the organization's current key generation.
    if (ctx.Org() != nullptr) options.encrypt_to = &ctx.Org()->current();
    // Large files resume inside the file after an interruption (upload_resume.h).
    absl::StatusOr<const SessionStore*> journal_store = ctx.Store();
    if (journal_store.ok()) options.resume_journals = &(*journal_store)->dir();
    std::map<std::string, size_t> index_of;
    for (size_t k = 0; k < items.size(); ++k) index_of[items[k].path] = k;
    options.on_stored = [&](const PutOutcome& r) {
      const size_t k = index_of[r.path];
      if (item_steps[k]->action == SyncAction::kAdd) {
        ++counts.sent;
        counts.bytes += r.size;
        progress.FileDone("add", item_steps[k]->path, r.size);
      }
    };
    BatchPutResult result = PutFiles(*o->coordinator, ctx.Nodes(), o->identity, items, options);
    status = result.status;
    // Updates: the old file deleted, the new one renamed into place.
    for (size_t k = 0; k < items.size(); ++k) {
      const PutOutcome& r = result.outcomes[k];
      const SyncStep& step = *item_steps[k];
      if (r.object_id.empty() || step.action != SyncAction::kUpdate) continue;
      absl::Status s = o->coordinator->DeleteObject(step.destination.id);
      if (s.ok() || absl::IsNotFound(s)) {
        RemoteEntry e;
        e.id = r.object_id;
        e.metadata.size = r.size;
        e.metadata.modified_unix_nanos = step.source.modified_unix_nanos;
        e.metadata.mode = step.source.mode;
        e.metadata.content_hash = step.source.content_hash;
        e.metadata.created_unix_nanos = absl::ToUnixNanos(absl::Now());
        s = tree.Move(e, items[k].parent_id, items[k].name);
      }
      if (!s.ok()) {
        if (status.ok()) status = WithContext(s, absl::StrCat("replacing ", step.path));
        progress.Error(step.path, s);
        continue;
      }
      ++counts.sent;
      counts.bytes += r.size;
      progress.FileDone("update", step.path, r.size);
    }
    if (!status.ok()) {
      progress.Error("", status);
      progress.Finish(SummaryText(true, counts, *plan, progress.ElapsedSeconds()),
                      SummaryJson(counts, *plan, local, remote_path, true));
      return status;
    }
  }
  for (; i < steps.size(); ++i) {
    if (absl::Status s = remove(steps[i]); !s.ok()) return fail(steps[i].path, s);
  }
  if (absl::Status s = SyncSharedKeys(*o, tree, top, folder_ids); !s.ok()) {
    progress.Error("", s);
    progress.Finish(SummaryText(true, counts, *plan, progress.ElapsedSeconds()),
                    SummaryJson(counts, *plan, local, remote_path, true));
    return s;
  }
  progress.Finish(SummaryText(true, counts, *plan, progress.ElapsedSeconds()),
                  SummaryJson(counts, *plan, local, remote_path, true));
  return absl::OkStatus();
}

absl::Status SyncDown(Context& ctx, const SyncArgs& args, const std::vector<std::string>& remote,
                      const std::string& local) {
  absl::StatusOr<Opened> o = OpenUser(ctx);
  if (!o.ok()) return o.status();
  RemoteTree tree(*o->coordinator, o->identity, ctx.ExtraIdentities());
  const std::string remote_path = JoinRemotePath(remote);
  absl::StatusOr<RemoteEntry> top = tree.Resolve(remote);
  if (!top.ok()) return top.status();
  if (!top->is_folder) {
    return absl::FailedPreconditionError(absl::StrCat(remote_path, " is a file, not a folder"));
  }
  SyncTree source;
  std::map<std::string, RemoteEntry> entries;
  if (absl::Status s = ScanRemote(tree, top->id, "", 0, &source, &entries); !s.ok()) return s;
  SyncTree destination;
  struct stat st;
  bool local_exists = false;
  if (::stat(local.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) return UsageError(absl::StrCat(local, " is not a directory"));
    local_exists = true;
    if (absl::Status s = ScanLocal(ctx, local, "", 0, &destination); !s.ok()) return s;
    if (args.checksum) {
      if (absl::Status s = HashLocalTree(local, destination, source, /*all=*/false); !s.ok()) {
        return s;
      }
    }
  }
  absl::StatusOr<SyncPlan> plan = PlanSync(source, destination, args.delete_extra, args.checksum);
  if (!plan.ok()) return plan.status();
  TreeProgress progress(TreeProgress::ModeFor(ctx.json(), ctx.options().quiet));
  progress.Start(plan->transfer_files, plan->transfer_bytes,
                 {{"direction", "down"},
                  {"local", local},
                  {"remote", remote_path},
                  {"dry_run", args.dry_run},
                  {"checksum", args.checksum}});
  if (args.dry_run) {
    PrintPlan(ctx, *plan, progress);
    return absl::OkStatus();
  }
  if (!local_exists && ::mkdir(local.c_str(), 0700) != 0) {
    return FileError(errno, "cannot create the directory", local);
  }
  Counts counts;
  auto fail = [&](const std::string& path, const absl::Status& s) {
    progress.Error(path, s);
    progress.Finish(SummaryText(false, counts, *plan, progress.ElapsedSeconds()),
                    SummaryJson(counts, *plan, local, remote_path, false));
    return s;
  };
  std::vector<std::string> ids, outputs;
  std::map<std::string, const SyncStep*> step_of_id;
  for (const SyncStep& step : plan->steps) {
    // Deletes other than conflicts come after every transfer in the plan: they
    // are done once the transfers are (below).
    if (step.action == SyncAction::kDelete && !ids.empty()) break;
    const std::string path = Join(local, step.path);
    switch (step.action) {
      case SyncAction::kDelete: {
        const int rc = step.destination.is_folder ? ::rmdir(path.c_str()) : ::unlink(path.c_str());
        if (rc != 0 && errno != ENOENT) {
          return fail(step.path, FileError(errno, "cannot delete", path));
        }
        ++counts.deleted;
        progress.FileDone("delete", step.path, step.destination.size);
        break;
      }
      case SyncAction::kMkdir:
        if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
          return fail(step.path, FileError(errno, "cannot create the directory", path));
        }
        ++counts.folders;
        progress.FileDone("mkdir", step.path, 0);
        break;
      case SyncAction::kAdd:
      case SyncAction::kUpdate:
        ids.push_back(step.source.id);
        outputs.push_back(path);
        step_of_id[step.source.id] = &step;
        break;
    }
  }
  absl::Status s;
  if (!ids.empty()) {
    BatchGetOptions options;
    options.concurrency = args.concurrency;
    options.outputs = outputs;
    options.restore_attributes = true;
    options.replace_existing = true;
    options.on_saved = [&](const GetOutcome& g) {
      const SyncStep* step = step_of_id[g.object_id];
      ++counts.sent;
      counts.bytes += g.size;
      progress.FileDone(SyncActionName(step->action), step->path, g.size);
    };
    s = GetFiles(ctx, *o->coordinator, o->identity, ids, local, options);
    if (!s.ok()) return fail("", s);
    // The trailing deletes (deepest first).
    bool after = false;
    for (const SyncStep& step : plan->steps) {
      if (step.action == SyncAction::kAdd || step.action == SyncAction::kUpdate) after = true;
      if (!after || step.action != SyncAction::kDelete) continue;
      const std::string path = Join(local, step.path);
      const int rc = step.destination.is_folder ? ::rmdir(path.c_str()) : ::unlink(path.c_str());
      if (rc != 0 && errno != ENOENT) {
        return fail(step.path, FileError(errno, "cannot delete", path));
      }
      ++counts.deleted;
      progress.FileDone("delete", step.path, step.destination.size);
    }
  }
  // Folder attributes last, deepest first (writing into them changed their times).
  for (auto it = source.rbegin(); it != source.rend(); ++it) {
    if (!it->second.is_folder) continue;
    s = SetTimeAndMode(Join(local, it->first), it->second.mode, it->second.modified_unix_nanos);
    if (!s.ok()) return fail(it->first, s);
  }
  if (!remote.empty()) {
    s = SetTimeAndMode(local, top->metadata.mode, top->metadata.modified_unix_nanos);
    if (!s.ok()) return fail("", s);
  }
  progress.Finish(SummaryText(false, counts, *plan, progress.ElapsedSeconds()),
                  SummaryJson(counts, *plan, local, remote_path, false));
  return absl::OkStatus();
}

}  // namespace

absl::Status RunSync(Context& ctx, const SyncArgs& args) {
  const bool src_remote = absl::StartsWith(args.source, kRemotePrefix);
  const bool dst_remote = absl::StartsWith(args.destination, kRemotePrefix);
  if (src_remote == dst_remote) {
    return UsageError(
        "sync takes LOCAL fh:REMOTE (up) or fh:REMOTE LOCAL (down): exactly one side is remote, "
        "spelled fh:/path");
  }
  const std::string& remote_arg = src_remote ? args.source : args.destination;
  const std::string& local = src_remote ? args.destination : args.source;
  if (local.empty()) return UsageError("sync: the local directory is empty");
  absl::StatusOr<std::vector<std::string>> remote =
      SplitRemotePath(remote_arg.substr(sizeof(kRemotePrefix) - 1));
  if (!remote.ok()) return remote.status();
  return src_remote ? SyncDown(ctx, args, *remote, local) : SyncUp(ctx, args, local, *remote);
}

}  // namespace freehold::cli
