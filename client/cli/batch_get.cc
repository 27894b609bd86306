#include "client/cli/batch_get.h"

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

absl::StatusOr<GetOutcome> GetOne(Context& ctx, CoordinatorApi& coordinator,
                                  const client::X25519Identity& identity,
                                  const client::SecretBytes& meta_key, const std::string& id,
                                  const std::string& dir) {
  absl::StatusOr<v1::GetObjectResponse> manifest = coordinator.GetObject(id);
  if (!manifest.ok()) return manifest.status();
  absl::StatusOr<client::SecretBytes> key = OpenFileKey(manifest->age_header(), identity);
  if (!key.ok()) return key.status();
  absl::StatusOr<client::FileMetadata> meta =
      client::OpenMetadata(meta_key, Bytes(manifest->object().encrypted_metadata()));
  GetOutcome out;
  out.object_id = id;
  out.name = meta.ok() ? meta->name : id;
  out.output = absl::StrCat(dir, "/", SafeFileName(out.name, id));
  out.is_inline = manifest->is_inline();
  if (Exists(out.output)) {
    return UsageError(absl::StrCat(out.output, " already exists; nothing was written to it"));
  }
  absl::StatusOr<std::unique_ptr<OutputFile>> file = OutputFile::Create(out.output);
  if (!file.ok()) return file.status();
  absl::Status s = DownloadObject(ctx, coordinator, *manifest, &*key, **file, nullptr);
  if (s.ok()) s = (*file)->Commit();
  if (!s.ok()) return s;
  out.size = (*file)->bytes_written();
  return out;
}

}  // namespace

absl::Status GetFiles(Context& ctx, CoordinatorApi& coordinator,
                      const client::X25519Identity& identity,
                      const std::vector<std::string>& object_ids, const std::string& dir,
                      const BatchGetOptions& options) {
  const client::SecretBytes meta_key = client::MetadataKey(identity);
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex mu;
  absl::Status first;
  auto work = [&] {
    for (;;) {
      const size_t i = next.fetch_add(1);
      if (i >= object_ids.size() || failed.load()) return;
      absl::StatusOr<GetOutcome> got =
          GetOne(ctx, coordinator, identity, meta_key, object_ids[i], dir);
      std::lock_guard<std::mutex> lock(mu);
      if (!got.ok()) {
        if (first.ok()) {
          first = WithContext(got.status(), absl::StrCat("get ", object_ids[i], " failed"));
        }
        failed.store(true);
        return;
      }
      if (options.on_saved) options.on_saved(*got);
    }
  };
  const int workers =
      std::max(1, std::min<int>(options.concurrency, static_cast<int>(object_ids.size())));
  std::vector<std::thread> threads;
  for (int w = 0; w < workers; ++w) threads.emplace_back(work);
  for (std::thread& t : threads) t.join();
  return first;
}

}  // namespace freehold::cli
