// put, get, export, ls, rm.
#include <sys/stat.h>

#include <algorithm>
#include <iostream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/cli/commands.h"
#include "client/cli/exit_codes.h"
#include "client/cli/file_io.h"
#include "client/cli/format.h"
#include "client/cli/object_ops.h"
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

}  // namespace

absl::Status RunPut(Context& ctx, const PutArgs& args) {
  absl::StatusOr<std::unique_ptr<InputFile>> file = InputFile::Open(args.file);
  if (!file.ok()) return file.status();
  absl::StatusOr<Opened> o = OpenUser(ctx);
  if (!o.ok()) return o.status();
  absl::StatusOr<client::X25519Identity> identity = o->user->Identity(ctx.Passwords());
  if (!identity.ok()) return identity.status();

  client::X25519Recipient self(identity->public_key());
  const client::AgeRecipient* recipients[] = {&self};
  absl::StatusOr<client::NewAgeFile> age = client::NewFileHeader(recipients);
  if (!age.ok()) return age.status();
  client::FileMetadata meta;
  meta.name = args.name.empty() ? SafeFileName(args.file, args.file) : args.name;
  meta.size = (*file)->info().size;
  meta.created_unix_nanos = absl::ToUnixNanos(absl::Now());
  meta.modified_unix_nanos = (*file)->info().modified_unix_nanos;
  absl::StatusOr<std::vector<uint8_t>> sealed =
      client::SealMetadata(client::MetadataKey(*identity), meta);
  if (!sealed.ok()) return UsageError(absl::StrCat("--name: ", sealed.status().message()));

  UploadConfig config;
  config.encode_threads = EncodeThreads(ctx);
  config.admission_retries = args.throttle_retries;
  config.max_admission_wait = args.max_throttle_wait;
  std::unique_ptr<ProgressDisplay> progress = ctx.Progress(absl::StrCat("put ", meta.name));
  Uploader uploader(*o->coordinator, ctx.Nodes(), config, progress.get());
  UploadInput in;
  in.plaintext = file->get();
  in.plaintext_size = meta.size;
  in.encrypted_metadata = AsString(*sealed);
  in.age_header = client::SerializeHeader(age->header);
  in.file_key = &age->file_key;
  absl::StatusOr<UploadResult> r = uploader.Upload(in);
  if (!r.ok()) return WithContext(r.status(), absl::StrCat("put ", args.file, " failed"));
  const double secs = std::max(1e-6, progress->ElapsedSeconds());
  if (ctx.json()) {
    ctx.PrintJson({{"id", r->object_id},
                   {"name", meta.name},
                   {"size", meta.size},
                   {"segments", r->segments},
                   {"coding", absl::StrCat(r->data_shards, "+", r->parity_shards)},
                   {"replaced_shards", r->replaced_shards},
                   {"seconds", secs},
                   {"bytes_per_second", static_cast<double>(meta.size) / secs}});
  } else {
    std::cout << "Stored " << meta.name << " (" << HumanBytes(meta.size) << ") as " << r->object_id
              << "\n";
  }
  return absl::OkStatus();
}

absl::Status RunGet(Context& ctx, const GetArgs& args) {
  absl::StatusOr<Opened> o = OpenUser(ctx);
  if (!o.ok()) return o.status();
  absl::StatusOr<client::X25519Identity> identity = o->user->Identity(ctx.Passwords());
  if (!identity.ok()) return identity.status();
  absl::StatusOr<std::string> id = ResolveObject(*o->coordinator, args.object, &*identity);
  if (!id.ok()) return id.status();
  absl::StatusOr<v1::GetObjectResponse> manifest = o->coordinator->GetObject(*id);
  if (!manifest.ok()) return manifest.status();
  absl::StatusOr<client::SecretBytes> key = OpenFileKey(manifest->age_header(), *identity);
  if (!key.ok()) return key.status();
  absl::StatusOr<client::FileMetadata> meta = client::OpenMetadata(
      client::MetadataKey(*identity), client::AsBytes(manifest->object().encrypted_metadata()));
  const std::string name = meta.ok() ? meta->name : *id;
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
      ResolveObject(*o->coordinator, args.object, identity ? &*identity : nullptr);
  if (!id.ok()) return id.status();
  absl::StatusOr<v1::GetObjectResponse> manifest = o->coordinator->GetObject(*id);
  if (!manifest.ok()) return manifest.status();
  std::string output = args.output;
  if (output.empty()) {
    absl::StatusOr<client::FileMetadata> meta = client::OpenMetadata(
        client::MetadataKey(*identity), client::AsBytes(manifest->object().encrypted_metadata()));
    output = SafeFileName(meta.ok() ? meta->name : *id, *id) + ".age";
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
  absl::StatusOr<std::vector<ListedObject>> list = ListObjects(*o->coordinator, *identity);
  if (!list.ok()) return list.status();
  if (ctx.json()) {
    nlohmann::json arr = nlohmann::json::array();
    for (const ListedObject& l : *list) {
      nlohmann::json j = {
          {"id", l.summary.object_id()},
          {"size", l.plaintext_size},
          {"shared_with_me", l.summary.shared_with_me()},
          {"public_link", l.summary.public_link()},
          {"owner_account_id", l.summary.owner_account_id()},
          {"stored_at", IsoTime(l.summary.committed_at().seconds() * 1000000000LL)}};
      j["name"] = l.metadata ? nlohmann::json(l.metadata->name) : nlohmann::json(nullptr);
      j["modified_at"] = l.metadata ? IsoTime(l.metadata->modified_unix_nanos) : "";
      arr.push_back(std::move(j));
    }
    ctx.PrintJson(arr);
    return absl::OkStatus();
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
    const int64_t when = l.metadata ? l.metadata->modified_unix_nanos
                                    : l.summary.committed_at().seconds() * 1000000000LL;
    absl::PrintF("%-36s  %10s  %-16s  %s%s\n", l.summary.object_id(), HumanBytes(l.plaintext_size),
                 HumanTime(when), l.DisplayName(), flags);
  }
  absl::PrintF("%d files, %s\n", list->size(), HumanBytes(total));
  return absl::OkStatus();
}

absl::Status RunRm(Context& ctx, const RmArgs& args) {
  if (args.objects.empty()) return UsageError("rm needs at least one object ID or file name");
  absl::StatusOr<Opened> o = OpenUser(ctx);
  if (!o.ok()) return o.status();
  std::optional<client::X25519Identity> identity;
  nlohmann::json removed = nlohmann::json::array();
  for (const std::string& arg : args.objects) {
    if (!LooksLikeObjectId(arg) && !identity) {
      absl::StatusOr<client::X25519Identity> id = o->user->Identity(ctx.Passwords());
      if (!id.ok()) return id.status();
      identity = *std::move(id);
    }
    absl::StatusOr<std::string> id =
        ResolveObject(*o->coordinator, arg, identity ? &*identity : nullptr);
    if (!id.ok()) return id.status();
    if (absl::Status s = o->coordinator->DeleteObject(*id); !s.ok()) return s;
    removed.push_back(*id);
    if (!ctx.json()) {
      std::cout << "Deleted " << *id << (arg != *id ? absl::StrCat(" (", arg, ")") : "") << "\n";
    }
  }
  if (ctx.json()) ctx.PrintJson({{"deleted", removed}});
  return absl::OkStatus();
}

}  // namespace freehold::cli
