// trash ls / trash restore / trash empty: deleted files wait in the trash for the
// coordinator's window (docs/ARCHITECTURE.md#10-keeping-data-alive, "Trash").
// Names are decrypted here; an argument that is not an object id is matched
// against the decrypted names of the trash (a usage error listing the ids when
// several trashed files have that name).
#include <algorithm>
#include <iostream>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "client/cli/commands.h"
#include "client/cli/exit_codes.h"
#include "client/cli/format.h"
#include "client/cli/object_ops.h"
#include "client/core/age_stream.h"
#include "client/core/byte_io.h"
#include "client/core/metadata.h"

namespace freehold::cli {
namespace {

struct TrashedFile {
  v1::TrashedObject trashed;
  std::optional<client::FileMetadata> metadata;
  uint64_t plaintext_size = 0;
  std::string DisplayName() const {
    return metadata ? metadata->name : absl::StrCat("(", trashed.object().object_id(), ")");
  }
};

int64_t Nanos(const google::protobuf::Timestamp& t) {
  return t.seconds() * 1000000000LL + t.nanos();
}

struct OpenedTrash {
  CoordinatorApi* coordinator = nullptr;
  std::optional<client::X25519Identity> identity;
  std::vector<const client::X25519Identity*> older;  // org mode: every key generation
};

absl::StatusOr<OpenedTrash> OpenTrash(Context& ctx, bool need_identity) {
  absl::StatusOr<UserSession*> user = ctx.User();
  if (!user.ok()) return user.status();
  absl::StatusOr<CoordinatorApi*> coordinator = ctx.Coordinator();
  if (!coordinator.ok()) return coordinator.status();
  OpenedTrash out;
  out.coordinator = *coordinator;
  if (need_identity) {
    absl::StatusOr<client::X25519Identity> id = (*user)->Identity(ctx.Passwords());
    if (!id.ok()) return id.status();
    out.identity = *std::move(id);
    out.older = ctx.ExtraIdentities();
  }
  return out;
}

// The trash with names decrypted, sorted by name then deletion time.
absl::StatusOr<std::vector<TrashedFile>> ListTrash(
    CoordinatorApi& coordinator, const client::X25519Identity& identity,
    const std::vector<const client::X25519Identity*>& older) {
  absl::StatusOr<std::vector<v1::TrashedObject>> all = coordinator.ListAllTrash();
  if (!all.ok()) return all.status();
  const client::NamingKeys key(identity, older);
  std::vector<TrashedFile> out;
  for (v1::TrashedObject& t : *all) {
    TrashedFile f;
    absl::StatusOr<client::OpenedMetadata> meta = OpenSummaryMetadata(key, t.object());
    if (meta.ok()) f.metadata = std::move(meta->metadata);
    absl::StatusOr<uint64_t> plain = client::PlaintextSizeForPayload(t.object().size_bytes());
    f.plaintext_size = plain.ok() ? *plain : 0;
    f.trashed = std::move(t);
    out.push_back(std::move(f));
  }
  std::stable_sort(out.begin(), out.end(), [](const TrashedFile& a, const TrashedFile& b) {
    if (a.DisplayName() != b.DisplayName()) return a.DisplayName() < b.DisplayName();
    return Nanos(a.trashed.trashed_at()) < Nanos(b.trashed.trashed_at());
  });
  return out;
}

bool AllIds(const std::vector<std::string>& args) {
  return std::all_of(args.begin(), args.end(), [](const std::string& a) {
    return LooksLikeObjectId(a);
  });
}

// Object ids for `args` (ids as given; names matched in the trash).
absl::StatusOr<std::vector<std::string>> ResolveInTrash(OpenedTrash& o,
                                                        const std::vector<std::string>& args) {
  std::vector<std::string> out;
  std::optional<std::vector<TrashedFile>> trash;
  for (const std::string& arg : args) {
    if (LooksLikeObjectId(arg)) {
      out.push_back(arg);
      continue;
    }
    if (!trash.has_value()) {
      absl::StatusOr<std::vector<TrashedFile>> t = ListTrash(*o.coordinator, *o.identity, o.older);
      if (!t.ok()) return t.status();
      trash = *std::move(t);
    }
    std::vector<std::string> ids;
    for (const TrashedFile& f : *trash) {
      if (f.metadata && f.metadata->name == arg) ids.push_back(f.trashed.object().object_id());
    }
    if (ids.empty()) return absl::NotFoundError(absl::StrCat("no file named ", arg, " in the trash"));
    if (ids.size() > 1) {
      return UsageError(absl::StrCat(ids.size(), " files named ", arg,
                                     " are in the trash; choose one by id: ",
                                     absl::StrJoin(ids, ", ")));
    }
    out.push_back(ids[0]);
  }
  return out;
}

}  // namespace

absl::Status RunTrashLs(Context& ctx) {
  absl::StatusOr<OpenedTrash> o = OpenTrash(ctx, true);
  if (!o.ok()) return o.status();
  absl::StatusOr<std::vector<TrashedFile>> list = ListTrash(*o->coordinator, *o->identity, o->older);
  if (!list.ok()) return list.status();
  if (ctx.json()) {
    nlohmann::json arr = nlohmann::json::array();
    for (const TrashedFile& f : *list) {
      nlohmann::json j = {{"id", f.trashed.object().object_id()},
                          {"size", f.plaintext_size},
                          {"deleted_at", IsoTime(Nanos(f.trashed.trashed_at()))},
                          {"purge_at", IsoTime(Nanos(f.trashed.purge_at()))}};
      j["name"] = f.metadata ? nlohmann::json(f.metadata->name) : nlohmann::json(nullptr);
      arr.push_back(std::move(j));
    }
    ctx.PrintJson(arr);
    return absl::OkStatus();
  }
  if (list->empty()) {
    std::cout << "The trash is empty.\n";
    return absl::OkStatus();
  }
  uint64_t total = 0;
  absl::PrintF("%-36s  %10s  %-16s  %-16s  %s\n", "ID", "SIZE", "DELETED", "GONE FOR GOOD",
               "NAME");
  for (const TrashedFile& f : *list) {
    total += f.plaintext_size;
    absl::PrintF("%-36s  %10s  %-16s  %-16s  %s\n", f.trashed.object().object_id(),
                 HumanBytes(f.plaintext_size), HumanTime(Nanos(f.trashed.trashed_at())),
                 HumanTime(Nanos(f.trashed.purge_at())), f.DisplayName());
  }
  absl::PrintF("%d files in the trash, %s (restore: freehold trash restore ID|NAME)\n",
               list->size(), HumanBytes(total));
  return absl::OkStatus();
}

absl::Status RunTrashRestore(Context& ctx, const TrashArgs& args) {
  if (args.objects.empty()) {
    return UsageError("trash restore needs at least one object ID or file name");
  }
  absl::StatusOr<OpenedTrash> o = OpenTrash(ctx, !AllIds(args.objects));
  if (!o.ok()) return o.status();
  absl::StatusOr<std::vector<std::string>> ids = ResolveInTrash(*o, args.objects);
  if (!ids.ok()) return ids.status();
  if (absl::Status s = o->coordinator->RestoreObjects(*ids, args.keep_both); !s.ok()) return s;
  if (ctx.json()) {
    ctx.PrintJson({{"restored", *ids}});
  } else {
    for (size_t i = 0; i < ids->size(); ++i) {
      const std::string& arg = args.objects[i];
      std::cout << "Restored " << (*ids)[i]
                << (arg != (*ids)[i] ? absl::StrCat(" (", arg, ")") : "") << "\n";
    }
  }
  return absl::OkStatus();
}

absl::Status RunTrashEmpty(Context& ctx, const TrashArgs& args) {
  absl::StatusOr<OpenedTrash> o = OpenTrash(ctx, !AllIds(args.objects));
  if (!o.ok()) return o.status();
  absl::StatusOr<std::vector<std::string>> ids = ResolveInTrash(*o, args.objects);
  if (!ids.ok()) return ids.status();
  absl::StatusOr<uint64_t> purged = o->coordinator->EmptyTrash(*ids);
  if (!purged.ok()) return purged.status();
  if (ctx.json()) {
    ctx.PrintJson({{"deleted_for_good", *purged}});
  } else {
    std::cout << "Deleted " << *purged << (*purged == 1 ? " file" : " files")
              << " for good (not restorable)\n";
  }
  return absl::OkStatus();
}

}  // namespace freehold::cli
