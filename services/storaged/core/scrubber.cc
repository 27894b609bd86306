#include "services/storaged/core/scrubber.h"

#include "common/secure_compare.h"
#include "services/storaged/core/storage_node.h"

namespace freehold::storaged {
namespace {
constexpr size_t kListBatch = 1000;
}  // namespace

Scrubber::Scrubber(ShardStore& store, ScrubberOptions options, StoragedMetrics* metrics, Logger log)
    : store_(store), options_(options), metrics_(metrics), log_(std::move(log)) {}

Scrubber::~Scrubber() { Stop(); }

void Scrubber::Start() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = false;
  }
  if (!thread_.joinable()) thread_ = std::thread([this] { Run(); });
}

void Scrubber::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

uint64_t Scrubber::passes_completed() const {
  absl::MutexLock lock(&mu_);
  return passes_;
}

bool Scrubber::SleepUntil(absl::Time deadline) {
  absl::MutexLock lock(&mu_);
  auto stopped = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stop_; };
  mu_.AwaitWithDeadline(absl::Condition(&stopped), deadline);
  return !stop_;
}

void Scrubber::Run() {
  absl::Duration pause = options_.first_pass_delay;
  while (SleepUntil(absl::Now() + pause)) {
    pause = options_.interval;
    const ScrubPass pass = ScrubOnce();
    if (pass.stopped) return;
    log_.Info(
        "scrub pass finished",
        {{"shards", pass.checked}, {"bytes", pass.bytes}, {"newly_corrupt", pass.newly_corrupt}});
  }
}

ScrubPass Scrubber::ScrubOnce() {
  ScrubPass pass;
  const absl::Time start = absl::Now();
  std::string after;
  std::string chunk;
  bulk::Sha256 hasher;
  while (true) {
    const std::vector<std::string> keys = store_.ListKeys(after, kListBatch);
    if (keys.empty()) break;
    after = keys.back();
    for (const std::string& key : keys) {
      const std::optional<StoredShard> listed = store_.Find(key);
      if (!listed.has_value() || listed->corrupt) continue;  // deleted meanwhile / known
      absl::StatusOr<std::unique_ptr<ShardReader>> reader = store_.Open(key);
      if (!reader.ok()) {
        // Still listed with the same generation, yet its file cannot be opened: the
        // bytes are gone. Mark it like a hash mismatch so the heartbeat reports it.
        // (MarkCorrupt is a no-op if it was deleted or replaced since Find.)
        if (store_.MarkCorrupt(key, listed->generation)) {
          ++pass.newly_corrupt;
          ++pass.unreadable;
          if (metrics_ != nullptr) metrics_->unreadable_shards.Increment();
          log_.Error("scrubber could not open a stored shard",
                     {{"key", key}, {"status", reader.status()}});
        }
        continue;
      }
      bool intact = true;
      bool unreadable = false;
      for (uint64_t offset = 0; offset < (*reader)->size();) {
        const size_t n =
            static_cast<size_t>(std::min<uint64_t>(kReadChunkBytes, (*reader)->size() - offset));
        if (!(*reader)->ReadAt(offset, n, &chunk).ok() || chunk.size() != n) {
          intact = false;  // truncated or unreadable: the bytes are gone
          unreadable = true;
          break;
        }
        hasher.Update(chunk);
        offset += n;
        pass.bytes += n;
        if (metrics_ != nullptr) metrics_->scrubbed_bytes.Increment(static_cast<double>(n));
        if (options_.bytes_per_second > 0) {
          const absl::Time due =
              start + absl::Seconds(static_cast<double>(pass.bytes) /
                                    static_cast<double>(options_.bytes_per_second));
          if (!SleepUntil(due)) {
            pass.stopped = true;
            return pass;
          }
        } else {
          absl::MutexLock lock(&mu_);
          if (stop_) {
            pass.stopped = true;
            return pass;
          }
        }
      }
      const bulk::Sha256Hash digest = hasher.Final();
      if (intact) {
        intact = SecureEquals(
            std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()),
            (*reader)->sha256());
      }
      if (!intact && store_.MarkCorrupt(key, (*reader)->generation())) {
        ++pass.newly_corrupt;
        if (unreadable) {
          ++pass.unreadable;
          if (metrics_ != nullptr) metrics_->unreadable_shards.Increment();
        }
      }
      ++pass.checked;
    }
  }
  absl::MutexLock lock(&mu_);
  ++passes_;
  return pass;
}

}  // namespace freehold::storaged
