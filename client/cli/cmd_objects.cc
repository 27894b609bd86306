// put, get, export, ls, rm.
#include <sys/stat.h>

#include <algorithm>
#include <iostream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "client/cli/commands.h"
#include "client/cli/exit_codes.h"
#include "client/cli/file_io.h"
#include "client/cli/format.h"
#include "client/cli/object_ops.h"
#include "client/cli/progress.h"
#include "client/cli/batch_get.h"
#include "client/cli/batch_put.h"
#include "client/cli/file_io.h"
#include "client/cli/rpc.h"
#include "client/cli/uploader.h"
#include "client/core/age_file.h"
#include "client/core/age_header.h"
#include "client/core/age_stream.h"
#include "client/core/metadata.h"

namespace freehold::cli {
namespace {

std::string AsString(std::span<const uint8_t> b) {
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

// Where human-readable results go: stderr when the data itself goes to stdout.
std::ostream& ResultStream(const std::string& output) {
  return output == "-" ? std::cerr : std::cout;
}

struct Opened {
  UserSession* user = nullptr;
  CoordinatorApi* coordinator = nullptr;
};

absl::StatusOr<Opened> OpenUser(Context& ctx) {
  absl::StatusOr<UserSession*> user = ctx.User();
  if (!user.ok()) return user.status();
  absl::StatusOr<CoordinatorApi*> coordinator = ctx.Coordinator();
  if (!coordinator.ok()) return coordinator.status();
  return Opened{*user, *coordinator};
}

int EncodeThreads(const Context& ctx) {
  if (ctx.options().threads > 0) return ctx.options().threads;
  const unsigned hw = std::thread::hardware_concurrency();
  return hw >= 4 ? 2 : 1;
}

// Downloads (decrypting or raw) to `output`, committing the file on success.
// `prefix` is written before the payload (the age header for export).
absl::Status SaveObject(Context& ctx, CoordinatorApi& coordinator,
                        const v1::GetObjectResponse& manifest, const client::SecretBytes* key,
                        const std::string& output, const std::string& label,
                        const std::string& prefix) {
  absl::StatusOr<std::unique_ptr<OutputFile>> out = OutputFile::Create(output);
  if (!out.ok()) return out.status();
  if (!prefix.empty()) {
    if (absl::Status s = (*out)->Write(client::AsBytes(prefix)); !s.ok()) return s;
  }
  std::unique_ptr<ProgressDisplay> progress = ctx.Progress(label);
  absl::Status s = DownloadObject(ctx, coordinator, manifest, key, **out, progress.get());
  if (s.ok()) s = (*out)->Commit();
  if (!s.ok() && output != "-" && !absl::IsResourceExhausted(s)) {
    return WithContext(s, absl::StrCat("nothing was written to ", output));
  }
  return s;
}

bool IsDirectory(const std::string& path) {
  struct stat st;
  return !path.empty() && ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

absl::Status CheckName(const std::string& name) {
  if (name.size() > client::kMaxMetadataNameBytes) {
    return UsageError(absl::StrCat("the name \"", name.substr(0, 40), "...\" is longer than ",
                                   client::kMaxMetadataNameBytes, " bytes"));
  }
  return absl::OkStatus();
}

// get with several objects, or into a directory.
absl::Status RunGetMany(Context& ctx, CoordinatorApi& coordinator,
                        const client::X25519Identity& identity, const GetArgs& args) {
  const std::string dir = args.output.empty() ? "." : args.output;
  if (args.output == "-") return UsageError("-o - takes one OBJECT");
  if (!IsDirectory(dir)) {
    return UsageError(absl::StrCat("-o ", dir, " is not a directory (needed with several OBJECTs)"));
  }
  absl::StatusOr<std::vector<std::string>> ids = ResolveObjects(coordinator, args.objects, &identity, ctx.ExtraIdentities());
  if (!ids.ok()) return ids.status();
  BatchGetOptions options;
  options.concurrency = args.concurrency;
  nlohmann::json saved = nlohmann::json::array();
  uint64_t bytes = 0;
  size_t count = 0;
  // Sizes are known only as each manifest arrives: progress counts files.
  TreeProgress progress(args.events ? TreeProgress::Mode::kJson
                                    : TreeProgress::ModeFor(false, ctx.options().quiet));
  progress.Start(ids->size(), 0, {{"command", "get"}, {"output", dir}});
  options.on_saved = [&](const GetOutcome& g) {
    bytes += g.size;
    ++count;
    progress.FileDone("get", g.output, g.size);
    if (args.events) return;
    if (ctx.json()) {
      saved.push_back({{"id", g.object_id}, {"name", g.name}, {"size", g.size},
                       {"output", g.output}, {"inline", g.is_inline}});
    } else if (!ctx.options().quiet) {
      progress.Print(absl::StrCat("Saved ", g.name, " (", HumanBytes(g.size), ") to ", g.output));
    }
  };
  const absl::Time start = absl::Now();
  absl::Status s = GetFiles(ctx, coordinator, identity, *ids, dir, options);
  const double secs = std::max(1e-6, absl::ToDoubleSeconds(absl::Now() - start));
  if (args.events) {
    if (!s.ok()) progress.Error("", s);
    progress.Finish("", {{"of", ids->size()}, {"command", "get"}});
  } else if (ctx.json()) {
    progress.Finish("");
    ctx.PrintJson({{"saved", saved}, {"seconds", secs}});
  } else {
    progress.Finish(absl::StrFormat("%d of %d files saved (%s) in %.2f s %s", count, ids->size(),
                                    HumanBytes(bytes), secs, TreeRateText(count, bytes, secs)));
  }
  return s;
}

}  // namespace

absl::Status RunPut(Context& ctx, const PutArgs& args) {
  if (args.files.empty()) return UsageError("put needs at least one FILE");
  if (!args.name.empty() && args.files.size() > 1) {
    return UsageError("--name names one file; give it with a single FILE");
  }
  std::vector<PutItem> items;
  uint64_t total_bytes = 0;
  for (const std::string& f : args.files) {
    // Refuse a missing or unreadable file before anything is stored.
    absl::StatusOr<std::unique_ptr<InputFile>> file = InputFile::Open(f);
    if (!file.ok()) return file.status();
    total_bytes += (*file)->info().size;
    items.push_back(PutItem{f, args.name.empty() ? SafeFileName(f, f) : args.name});
    if (absl::Status s = CheckName(items.back().name); !s.ok()) return s;
  }
  absl::StatusOr<Opened> o = OpenUser(ctx);
  if (!o.ok()) return o.status();
  // The password is asked and hashed once for the whole command.
  absl::StatusOr<client::X25519Identity> identity = o->user->Identity(ctx.Passwords());
  if (!identity.ok()) return identity.status();

  BatchPutOptions options;
  options.concurrency = args.concurrency;
  options.upload.encode_threads = EncodeThreads(ctx);
  options.upload.admission_retries = args.throttle_retries;
  options.upload.attempts_per_shard = args.shard_tries;
  NoticePrinter notices;
  options.observer = &notices;
  options.upload.max_admission_wait = args.max_throttle_wait;
  if (ctx.Org() != nullptr) options.encrypt_to = &ctx.Org()->current();
  // Large files resume inside the file after an interruption (upload_resume.h).
  absl::StatusOr<const SessionStore*> journal_store = ctx.Store();
  if (journal_store.ok()) options.resume_journals = &(*journal_store)->dir();
  const bool single = items.size() == 1;
  // One large file on a terminal: a byte-level bar (the uploader reports shard
  // bytes; notices go through it too).
  std::unique_ptr<ProgressDisplay> bar;
  if (single && !args.events &&
      ProgressDisplay::ModeFor(stderr, ctx.options().quiet) == ProgressDisplay::Mode::kTerminal) {
    bar = std::make_unique<ProgressDisplay>(absl::StrCat("put ", items[0].name),
                                            ProgressDisplay::Mode::kTerminal);
    options.observer = bar.get();
  }
  nlohmann::json stored = nlohmann::json::array();
  const absl::Time start = absl::Now();
  // One file: its "Stored" line (or JSON) says it all; several: progress.
  TreeProgress progress(args.events ? TreeProgress::Mode::kJson
                        : single    ? TreeProgress::Mode::kPlain
                                    : TreeProgress::ModeFor(false, ctx.options().quiet));
  progress.Start(items.size(), total_bytes, {{"command", "put"}});
  options.on_stored = [&](const PutOutcome& r) {
    progress.FileDone("put", r.path, r.size);
    if (args.events) {
      return;
    } else if (ctx.json()) {
      nlohmann::json j = {{"id", r.object_id},          {"name", r.name},
                          {"size", r.size},              {"inline", r.is_inline},
                          {"segments", r.segments},      {"replaced_shards", r.replaced_shards},
                          {"degraded_segments", r.degraded_segments}, {"path", r.path},
                          {"resumed_segments", r.resumed_segments}};
      j["coding"] = r.is_inline ? "inline" : absl::StrCat(r.data_shards, "+", r.parity_shards);
      stored.push_back(std::move(j));
    } else if (!ctx.options().quiet || single) {
      progress.Print(absl::StrCat("Stored ", r.name, " (", HumanBytes(r.size), ") as ",
                                  r.object_id, r.is_inline ? " (inline)" : ""));
    }
  };
  BatchPutResult result = PutFiles(*o->coordinator, ctx.Nodes(), *identity, items, options);
  const double secs = std::max(1e-6, absl::ToDoubleSeconds(absl::Now() - start));
  if (args.events) {
    if (!result.status.ok()) progress.Error("", result.status);
    progress.Finish("", {{"of", items.size()}, {"command", "put"}});
    return result.status;
  }
  if (ctx.json() || single) progress.Finish("");
  if (ctx.json()) {
    if (single && result.status.ok()) {
      nlohmann::json j = stored.at(0);
      j["seconds"] = secs;
      j["bytes_per_second"] = static_cast<double>(j["size"].get<uint64_t>()) / secs;
      ctx.PrintJson(j);
    } else if (!single) {
      ctx.PrintJson({{"stored", stored}, {"seconds", secs}});
    }
  } else if (!single) {
    uint64_t bytes = 0;
    size_t count = 0;
    for (const PutOutcome& r : result.outcomes) {
      if (r.object_id.empty()) continue;
      bytes += r.size;
      ++count;
    }
    progress.Finish(absl::StrFormat("%d of %d files stored (%s) in %.2f s %s", count, items.size(),
                                    HumanBytes(bytes), secs, TreeRateText(count, bytes, secs)));
  }
  return result.status;
}

absl::Status RunGet(Context& ctx, const GetArgs& args) {
  if (args.objects.empty()) return UsageError("get needs at least one OBJECT");
  absl::StatusOr<Opened> o = OpenUser(ctx);
  if (!o.ok()) return o.status();
  absl::StatusOr<client::X25519Identity> identity = o->user->Identity(ctx.Passwords());
  if (!identity.ok()) return identity.status();
  if (args.objects.size() > 1 || IsDirectory(args.output)) {
    return RunGetMany(ctx, *o->coordinator, *identity, args);
  }
  absl::StatusOr<std::string> id = ResolveObject(*o->coordinator, args.objects[0], &*identity,
                                                     ctx.ExtraIdentities());
  if (!id.ok()) return id.status();
  absl::StatusOr<v1::GetObjectResponse> manifest = o->coordinator->GetObject(*id);
  if (!manifest.ok()) return manifest.status();
  absl::StatusOr<client::SecretBytes> key = OpenFileKey(manifest->age_header(), *identity, ctx.ExtraIdentities());
  if (!key.ok()) return key.status();
  const client::NamingKeys naming(*identity, ctx.ExtraIdentities());
  size_t generation = 0;
  absl::StatusOr<client::OpenedMetadata> meta =
      OpenSummaryMetadata(naming, manifest->object(), &generation);
  const client::SecretBytes& meta_key = naming.metadata_key(generation);
  if (absl::IsDataLoss(meta.status())) return meta.status();
  const std::string name = meta.ok() ? meta->metadata.name : *id;
  std::string output = args.output;
  if (output.empty()) {
    output = SafeFileName(name, *id);
    if (Exists(output)) {
      return UsageError(
          absl::StrCat(output, " already exists here: choose where to write with -o"));
    }
  }
  const absl::Time start = absl::Now();
  if (absl::Status s = SaveObject(ctx, *o->coordinator, *manifest, &*key, output,
                                  absl::StrCat("get ", name), "");
      !s.ok()) {
    return s;
  }
  absl::StatusOr<uint64_t> size = client::PlaintextSizeForPayload(manifest->object().size_bytes());
  const double secs = std::max(1e-6, absl::ToDoubleSeconds(absl::Now() - start));
  if (meta.ok() && meta->version == client::kMetadataVersionLegacy) {
    // Bind the old-format metadata to its object now (docs/PROTOCOL.md 5.7).
    absl::StatusOr<int> migrated =
        MigrateLegacyMetadata(*o->coordinator, meta_key, {&manifest->object()});
    if (!migrated.ok()) {
      std::cerr << "freehold: warning: could not migrate the metadata of " << *id << ": "
                << migrated.status().message() << "\n";
    }
  }
  if (ctx.json()) {
    ctx.PrintJson({{"id", *id},
                   {"name", name},
                   {"size", size.ok() ? *size : 0},
                   {"output", output},
                   {"seconds", secs},
                   {"bytes_per_second", static_cast<double>(size.ok() ? *size : 0) / secs}});
  } else {
    ResultStream(output) << "Saved " << name << " (" << HumanBytes(size.ok() ? *size : 0) << ") to "
                         << (output == "-" ? "standard output" : output) << "\n";
  }
  return absl::OkStatus();
}

absl::Status RunExport(Context& ctx, const GetArgs& args) {
  absl::StatusOr<Opened> o = OpenUser(ctx);
  if (!o.ok()) return o.status();
  // The identity is needed only to find a name (argument or default output).
  std::optional<client::X25519Identity> identity;
  if (!LooksLikeObjectId(args.object) || args.output.empty()) {
    absl::StatusOr<client::X25519Identity> id = o->user->Identity(ctx.Passwords());
    if (!id.ok()) return id.status();
    identity = *std::move(id);
  }
  absl::StatusOr<std::string> id =
      ResolveObject(*o->coordinator, args.object, identity ? &*identity : nullptr,
                    ctx.ExtraIdentities());
  if (!id.ok()) return id.status();
  absl::StatusOr<v1::GetObjectResponse> manifest = o->coordinator->GetObject(*id);
  if (!manifest.ok()) return manifest.status();
  std::string output = args.output;
  if (output.empty()) {
    absl::StatusOr<client::OpenedMetadata> meta =
        OpenSummaryMetadata(client::NamingKeys(*identity, ctx.ExtraIdentities()),
                            manifest->object());
    if (absl::IsDataLoss(meta.status())) return meta.status();
    output = SafeFileName(meta.ok() ? meta->metadata.name : *id, *id) + ".age";
    if (Exists(output)) {
      return UsageError(
          absl::StrCat(output, " already exists here: choose where to write with -o"));
    }
  }
  if (absl::Status s = SaveObject(ctx, *o->coordinator, *manifest, nullptr, output,
                                  absl::StrCat("export ", *id), manifest->age_header());
      !s.ok()) {
    return s;
  }
  const uint64_t bytes = manifest->age_header().size() + manifest->object().size_bytes();
  if (ctx.json()) {
    ctx.PrintJson({{"id", *id}, {"output", output}, {"bytes", bytes}});
  } else {
    ResultStream(output) << "Exported " << *id << " as an age file (" << HumanBytes(bytes)
                         << ") to " << (output == "-" ? "standard output" : output)
                         << "; decrypt it with: age -d -i <recovery key file>\n";
  }
  return absl::OkStatus();
}

absl::Status RunLs(Context& ctx) {
  absl::StatusOr<Opened> o = OpenUser(ctx);
  if (!o.ok()) return o.status();
  absl::StatusOr<client::X25519Identity> identity = o->user->Identity(ctx.Passwords());
  if (!identity.ok()) return identity.status();
  absl::StatusOr<std::vector<ListedObject>> list = ListObjects(*o->coordinator, *identity, ctx.ExtraIdentities());
  if (!list.ok()) return list.status();
  // Old-format metadata is bound to its object as it is met (docs/PROTOCOL.md 5.7);
  // metadata that does not belong to its object is refused (exit status below).
  std::vector<const v1::ObjectSummary*> legacy;
  std::vector<std::string> refused;
  for (const ListedObject& l : *list) {
    if (l.legacy_metadata) legacy.push_back(&l.summary);
    if (!l.metadata_error.empty()) refused.push_back(l.summary.object_id());
  }
  int migrated = 0;
  if (!legacy.empty()) {
    absl::StatusOr<int> n =
        MigrateLegacyMetadata(*o->coordinator, client::MetadataKey(*identity), legacy);
    if (!n.ok()) {
      std::cerr << "freehold: warning: could not migrate old-format metadata: "
                << n.status().message() << "\n";
    } else {
      migrated = *n;
      if (migrated > 0 && !ctx.json() && !ctx.options().quiet) {
        std::cerr << "Bound the metadata of " << migrated
                  << " older file(s) to their objects (a one-time migration).\n";
      }
    }
  }
  const absl::Status refusal =
      refused.empty()
          ? absl::OkStatus()
          : absl::DataLossError(absl::StrCat(
                "the metadata the server returned for ", refused.size(),
                " object(s) does not belong to them (swapped or altered on the server; their "
                "names are not shown): ",
                absl::StrJoin(refused, ", ")));
  if (ctx.json()) {
    nlohmann::json arr = nlohmann::json::array();
    for (const ListedObject& l : *list) {
      nlohmann::json j = {
          {"id", l.summary.object_id()},
          {"size", l.plaintext_size},
          {"shared_with_me", l.summary.shared_with_me()},
          {"public_link", l.summary.public_link()},
          {"link_disabled_at", l.summary.has_link_disabled_at()
                                   ? IsoTime(l.summary.link_disabled_at().seconds() * 1000000000LL)
                                   : ""},
          {"owner_account_id", l.summary.owner_account_id()},
          {"stored_at", IsoTime(l.summary.committed_at().seconds() * 1000000000LL)}};
      j["name"] = l.metadata ? nlohmann::json(l.metadata->name) : nlohmann::json(nullptr);
      j["modified_at"] = l.metadata ? IsoTime(l.metadata->modified_unix_nanos) : "";
      if (!l.metadata_error.empty()) j["metadata_error"] = l.metadata_error;
      arr.push_back(std::move(j));
    }
    ctx.PrintJson(arr);
    return refusal;
  }
  if (list->empty()) {
    std::cout << "No files yet. Store one with: freehold put FILE\n";
    return absl::OkStatus();
  }
  uint64_t total = 0;
  absl::PrintF("%-36s  %10s  %-16s  %s\n", "ID", "SIZE", "MODIFIED", "NAME");
  for (const ListedObject& l : *list) {
    total += l.plaintext_size;
    std::string flags;
    if (l.summary.public_link()) flags += " [public link]";
    if (l.summary.has_link_disabled_at()) {
      flags += absl::StrCat(" [public link disabled after an abuse report on ",
                            IsoTime(l.summary.link_disabled_at().seconds() * 1000000000LL).substr(0, 10),
                            "]");
    }
    const int64_t when = l.metadata ? l.metadata->modified_unix_nanos
                                    : l.summary.committed_at().seconds() * 1000000000LL;
    absl::PrintF("%-36s  %10s  %-16s  %s%s\n", l.summary.object_id(), HumanBytes(l.plaintext_size),
                 HumanTime(when), l.DisplayName(), flags);
  }
  absl::PrintF("%d files, %s\n", list->size(), HumanBytes(total));
  return refusal;
}

absl::Status RunRm(Context& ctx, const RmArgs& args) {
  if (args.objects.empty()) return UsageError("rm needs at least one object ID or file name");
  absl::StatusOr<Opened> o = OpenUser(ctx);
  if (!o.ok()) return o.status();
  std::optional<client::X25519Identity> identity;
  nlohmann::json removed = nlohmann::json::array();
  nlohmann::json trashed = nlohmann::json::array();
  for (const std::string& arg : args.objects) {
    if (!LooksLikeObjectId(arg) && !identity) {
      absl::StatusOr<client::X25519Identity> id = o->user->Identity(ctx.Passwords());
      if (!id.ok()) return id.status();
      identity = *std::move(id);
    }
    absl::StatusOr<std::string> id =
        ResolveObject(*o->coordinator, arg, identity ? &*identity : nullptr,
                      ctx.ExtraIdentities());
    if (!id.ok()) return id.status();
    google::protobuf::Timestamp purge_at;
    if (absl::Status s = o->coordinator->DeleteObject(*id, &purge_at); !s.ok()) return s;
    removed.push_back(*id);
    const int64_t purge_nanos = purge_at.seconds() * 1000000000LL + purge_at.nanos();
    trashed.push_back({{"id", *id}, {"purge_at", IsoTime(purge_nanos)}});
    if (!ctx.json()) {
      std::cout << "Deleted " << *id << (arg != *id ? absl::StrCat(" (", arg, ")") : "");
      // A coordinator without a trash window answers the delete time: final.
      if (absl::FromUnixNanos(purge_nanos) > absl::Now()) {
        std::cout << ": in the trash until " << HumanTime(purge_nanos)
                  << " (undo: freehold trash restore " << *id << ")";
      }
      std::cout << "\n";
    }
  }
  if (ctx.json()) ctx.PrintJson({{"deleted", removed}, {"trash", trashed}});
  return absl::OkStatus();
}

}  // namespace freehold::cli

namespace freehold::cli {

absl::Status RunMigrateMetadata(Context& ctx) {
  absl::StatusOr<Opened> o = OpenUser(ctx);
  if (!o.ok()) return o.status();
  absl::StatusOr<client::X25519Identity> identity = o->user->Identity(ctx.Passwords());
  if (!identity.ok()) return identity.status();
  absl::StatusOr<std::vector<ListedObject>> list = ListObjects(*o->coordinator, *identity, ctx.ExtraIdentities());
  if (!list.ok()) return list.status();
  std::vector<const v1::ObjectSummary*> legacy;
  int refused = 0;
  for (const ListedObject& l : *list) {
    if (l.legacy_metadata) legacy.push_back(&l.summary);
    if (!l.metadata_error.empty()) ++refused;
  }
  absl::StatusOr<int> migrated =
      MigrateLegacyMetadata(*o->coordinator, client::MetadataKey(*identity), legacy);
  if (!migrated.ok()) return migrated.status();
  if (ctx.json()) {
    ctx.PrintJson({{"migrated", *migrated}, {"old_format", legacy.size()}, {"refused", refused}});
  } else {
    std::cout << "Bound the metadata of " << *migrated << " of " << legacy.size()
              << " older file(s) to their objects.";
    if (refused > 0) std::cout << " " << refused << " object(s) have metadata that does not belong to them (see `freehold ls`).";
    std::cout << "\n";
  }
  return absl::OkStatus();
}

}  // namespace freehold::cli
