#include "client/cli/batch_get.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "client/cli/exit_codes.h"
#include "client/cli/file_io.h"
#include "client/cli/object_ops.h"
#include "client/cli/rpc.h"
#include "client/core/age_stream.h"
#include "client/core/metadata.h"

namespace freehold::cli {
namespace {

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

std::span<const uint8_t> Bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// Saves one object of a manifest (GetObject or GetObjects).
absl::StatusOr<GetOutcome> SaveOne(Context& ctx, CoordinatorApi& coordinator,
                                   const client::X25519Identity& identity,
                                   const client::NamingKeys& meta_key, const std::string& id,
                                   const absl::StatusOr<v1::GetObjectResponse>& manifest,
                                   const std::string& dir, const std::string& output,
                                   bool restore, bool replace) {
  if (!manifest.ok()) return manifest.status();
  absl::StatusOr<client::SecretBytes> key = OpenFileKey(manifest->age_header(), identity, ctx.ExtraIdentities());
  if (!key.ok()) return key.status();
  absl::StatusOr<client::OpenedMetadata> meta = OpenSummaryMetadata(meta_key, manifest->object());
  if (absl::IsDataLoss(meta.status())) return meta.status();
  GetOutcome out;
  out.object_id = id;
  out.name = meta.ok() ? meta->metadata.name : id;
  out.output = output.empty() ? absl::StrCat(dir, "/", SafeFileName(out.name, id)) : output;
  out.is_inline = manifest->is_inline();
  if (!replace && Exists(out.output)) {
    return UsageError(absl::StrCat(out.output, " already exists; nothing was written to it"));
  }
  absl::StatusOr<std::unique_ptr<OutputFile>> file = OutputFile::Create(out.output);
  if (!file.ok()) return file.status();
  absl::Status s = DownloadObject(ctx, coordinator, *manifest, &*key, **file, nullptr);
  if (s.ok()) s = (*file)->Commit();
  if (!s.ok()) return s;
  out.size = (*file)->bytes_written();
  if (restore && meta.ok()) {
    if (meta->metadata.mode != 0 && ::chmod(out.output.c_str(), meta->metadata.mode & 07777) != 0) {
      return FileError(errno, "cannot set the permissions of", out.output);
    }
    struct timespec times[2];
    times[0].tv_sec = 0;
    times[0].tv_nsec = UTIME_OMIT;
    times[1].tv_sec = static_cast<time_t>(meta->metadata.modified_unix_nanos / 1000000000);
    times[1].tv_nsec = static_cast<long>(meta->metadata.modified_unix_nanos % 1000000000);
    if (::utimensat(AT_FDCWD, out.output.c_str(), times, 0) != 0) {
      return FileError(errno, "cannot set the modification time of", out.output);
    }
  }
  return out;
}

}  // namespace

absl::Status GetFiles(Context& ctx, CoordinatorApi& coordinator,
                      const client::X25519Identity& identity,
                      const std::vector<std::string>& object_ids, const std::string& dir,
                      const BatchGetOptions& options) {
  if (!options.outputs.empty() && options.outputs.size() != object_ids.size()) {
    return absl::InvalidArgumentError("GetFiles: one output per object id");
  }
  const client::NamingKeys meta_key(identity, ctx.ExtraIdentities());
  // Work in chunks: one GetObjects call (one transaction) per chunk of ids.
  constexpr size_t kChunk = 32;
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::atomic<bool> batched{true};  // false once the coordinator lacks GetObjects
  std::mutex mu;
  absl::Status first;
  auto fail = [&](const absl::Status& s, const std::string& id) {
    std::lock_guard<std::mutex> lock(mu);
    if (first.ok()) first = WithContext(s, absl::StrCat("get ", id, " failed"));
    failed.store(true);
  };
  auto work = [&] {
    for (;;) {
      const size_t start = next.fetch_add(kChunk);
      if (start >= object_ids.size() || failed.load()) return;
      const size_t end = std::min(object_ids.size(), start + kChunk);
      std::vector<std::string> chunk(object_ids.begin() + start, object_ids.begin() + end);
      std::vector<absl::StatusOr<v1::GetObjectResponse>> manifests;
      if (batched.load()) {
        absl::StatusOr<std::vector<absl::StatusOr<v1::GetObjectResponse>>> got =
            coordinator.GetObjects(chunk);
        if (absl::IsUnimplemented(got.status())) {
          batched.store(false);
        } else if (!got.ok()) {
          return fail(got.status(), chunk.front());
        } else {
          manifests = *std::move(got);
        }
      }
      if (!batched.load()) {
        for (const std::string& id : chunk) manifests.push_back(coordinator.GetObject(id));
      }
      for (size_t i = 0; i < chunk.size() && !failed.load(); ++i) {
        absl::StatusOr<GetOutcome> got =
            SaveOne(ctx, coordinator, identity, meta_key, chunk[i], manifests[i], dir,
                    options.outputs.empty() ? std::string() : options.outputs[start + i],
                    options.restore_attributes, options.replace_existing);
        if (!got.ok()) return fail(got.status(), chunk[i]);
        std::lock_guard<std::mutex> lock(mu);
        if (options.on_saved) options.on_saved(*got);
      }
    }
  };
  const int workers = std::max(
      1, std::min<int>(options.concurrency, static_cast<int>((object_ids.size() + kChunk - 1) /
                                                            kChunk)));
  std::vector<std::thread> threads;
  for (int w = 0; w < workers; ++w) threads.emplace_back(work);
  for (std::thread& t : threads) t.join();
  return first;
}

}  // namespace freehold::cli
