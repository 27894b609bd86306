#include "services/storaged/core/shard_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/encoding.h"
#include "common/secure_compare.h"
#include "common/status.h"
#include "services/storaged/core/internal/sv.h"
#include "services/storaged/core/shard_key.h"

namespace freehold::storaged {
namespace {

constexpr std::string_view kCorruptSuffix = ".corrupt";

uint64_t SatSub(uint64_t a, uint64_t b) { return a > b ? a - b : 0; }

// Entries of a directory (without "." and ".."), or the error.
absl::StatusOr<std::vector<std::string>> ListDir(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return internal::ErrnoStatus(errno, "opendir", dir);
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) {
    std::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    names.emplace_back(name);
  }
  ::closedir(d);
  return names;
}

bool IsHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace

ShardStore::ShardStore(ShardStoreOptions options, StoragedMetrics* metrics, Logger log)
    : options_(std::move(options)),
      metrics_(metrics),
      log_(std::move(log)),
      shards_dir_(options_.data_dir + "/shards"),
      tmp_dir_(options_.data_dir + "/tmp"),
      buffer_pool_(options_.direct_buffer_bytes, 4 * options_.direct_buffers) {}

ShardStore::~ShardStore() = default;

absl::StatusOr<std::unique_ptr<ShardStore>> ShardStore::Open(ShardStoreOptions options,
                                                             StoragedMetrics* metrics, Logger log) {
  if (options.data_dir.empty()) return absl::InvalidArgumentError("data_dir is empty");
  while (options.data_dir.size() > 1 && options.data_dir.back() == '/') {
    options.data_dir.pop_back();
  }
  if (options.direct_buffer_bytes == 0 ||
      options.direct_buffer_bytes % internal::kDirectAlignment != 0) {
    return absl::InvalidArgumentError("direct_buffer_bytes must be a positive multiple of 4096");
  }
  if (options.direct_buffers < 2) {
    return absl::InvalidArgumentError("direct_buffers must be at least 2");
  }
  std::unique_ptr<ShardStore> store(new ShardStore(std::move(options), metrics, std::move(log)));
  FH_RETURN_IF_ERROR(store->Init());
  return store;
}

absl::Status ShardStore::Init() {
  FH_RETURN_IF_ERROR(internal::EnsureDir(options_.data_dir));
  FH_RETURN_IF_ERROR(internal::EnsureDir(shards_dir_));
  FH_RETURN_IF_ERROR(internal::EnsureDir(tmp_dir_));
  const std::string lock_path = options_.data_dir + "/LOCK";
  FH_ASSIGN_OR_RETURN(lock_fd_, internal::OpenFile(lock_path, O_RDWR | O_CREAT, 0600));
  if (::flock(lock_fd_.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return absl::FailedPreconditionError(absl::StrCat("data directory ", options_.data_dir,
                                                        " is in use by another freehold-storaged (",
                                                        lock_path, " is locked)"));
    }
    return internal::ErrnoStatus(errno, "flock", lock_path);
  }
  // Puts that were in progress when the process died are void: nobody got a receipt.
  FH_ASSIGN_OR_RETURN(std::vector<std::string> temps, ListDir(tmp_dir_));
  for (const std::string& name : temps) {
    const std::string path = tmp_dir_ + "/" + name;
    if (::unlink(path.c_str()) != 0) return internal::ErrnoStatus(errno, "unlink", path);
  }
  if (!temps.empty()) {
    FH_RETURN_IF_ERROR(internal::FsyncDir(tmp_dir_));
    log_.Info("removed temporary files of interrupted puts",
              {{"count", temps.size()}, {"dir", tmp_dir_}});
  }
  FH_RETURN_IF_ERROR(Scan());
  absl::MutexLock lock(&mu_);
  log_.Info("shard store opened", {{"data_dir", options_.data_dir},
                                   {"shards", index_.size()},
                                   {"used_bytes", used_},
                                   {"corrupt", corrupt_count_}});
  absl::StatusOr<FsSpace> fs = ReadFsSpace();
  if (fs.ok()) UpdateGaugesLocked(*fs);
  return absl::OkStatus();
}

absl::Status ShardStore::Scan() {
  absl::MutexLock lock(&mu_);
  FH_ASSIGN_OR_RETURN(std::vector<std::string> level1, ListDir(shards_dir_));
  for (const std::string& a : level1) {
    const std::string dir_a = shards_dir_ + "/" + a;
    if (a.size() != 2 || !IsHex(a)) {
      log_.Warn("ignoring unexpected entry in shard directory", {{"path", dir_a}});
      continue;
    }
    FH_ASSIGN_OR_RETURN(std::vector<std::string> level2, ListDir(dir_a));
    for (const std::string& b : level2) {
      const std::string dir_b = dir_a + "/" + b;
      if (b.size() != 2 || !IsHex(b)) {
        log_.Warn("ignoring unexpected entry in shard directory", {{"path", dir_b}});
        continue;
      }
      FH_ASSIGN_OR_RETURN(std::vector<std::string> files, ListDir(dir_b));
      for (const std::string& name : files) {
        const std::string path = dir_b + "/" + name;
        std::vector<std::string> parts = absl::StrSplit(name, '.');
        const bool corrupt = parts.size() == 3 && parts[2] == kCorruptSuffix.substr(1);
        if (!(parts.size() == 2 || corrupt) || parts[1].size() != 64 || !IsHex(parts[1]) ||
            !ValidateShardKey(parts[0]).ok() || FanOutDir(parts[0]) != dir_b) {
          log_.Warn("ignoring unexpected file in shard directory", {{"path", path}});
          continue;
        }
        struct stat st;
        if (::stat(path.c_str(), &st) != 0) return internal::ErrnoStatus(errno, "stat", path);
        if (!S_ISREG(st.st_mode)) {
          log_.Warn("ignoring non-regular file in shard directory", {{"path", path}});
          continue;
        }
        const std::string key(parts[0]);
        auto existing = index_.find(key);
        if (existing != index_.end()) {
          // Only a crash while replacing a corrupt copy leaves two; keep the good one.
          if (existing->second.corrupt && !corrupt) {
            used_ -= existing->second.size;
            --corrupt_count_;
            index_.erase(existing);
          } else {
            log_.Warn("ignoring second copy of a shard", {{"path", path}});
            continue;
          }
        }
        Entry entry;
        entry.size = static_cast<uint64_t>(st.st_size);
        entry.sha256 = *HexDecode(parts[1]);
        entry.corrupt = corrupt;
        entry.generation = next_generation_++;
        entry.stored_at = absl::TimeFromTimespec(st.st_mtim);
        used_ += entry.size;
        if (corrupt) ++corrupt_count_;
        if (!corrupt) ToggleInventoryLocked(key);
        index_.emplace(key, std::move(entry));
      }
    }
  }
  return absl::OkStatus();
}

std::string ShardStore::FanOutDir(std::string_view key) const {
  const bulk::Sha256Hash h = bulk::Sha256Digest(key);
  const std::string hex = HexEncode(std::string_view(reinterpret_cast<const char*>(h.data()), 2));
  return absl::StrCat(shards_dir_, "/", hex.substr(0, 2), "/", hex.substr(2, 2));
}

std::string ShardStore::ShardPath(std::string_view key, std::string_view sha256,
                                  bool corrupt) const {
  return absl::StrCat(FanOutDir(key), "/", internal::Sv(key), ".", HexEncode(sha256),
                      corrupt ? internal::Sv(kCorruptSuffix) : "");
}

absl::StatusOr<ShardStore::FsSpace> ShardStore::ReadFsSpace() const {
  struct statvfs vfs;
  if (::statvfs(options_.data_dir.c_str(), &vfs) != 0) {
    return internal::ErrnoStatus(errno, "statvfs", options_.data_dir);
  }
  FsSpace fs;
  fs.total = static_cast<uint64_t>(vfs.f_blocks) * vfs.f_frsize;
  fs.available = static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
  return fs;
}

StoreStats ShardStore::StatsLocked(const FsSpace& fs) const {
  StoreStats stats;
  stats.capacity_bytes = options_.capacity_bytes != 0 ? options_.capacity_bytes : fs.total;
  stats.used_bytes = used_;
  stats.shard_count = index_.size();
  stats.corrupt_count = corrupt_count_;
  stats.inventory_count = index_.size() - corrupt_count_;
  stats.inventory_digest = inventory_digest_;
  stats.filesystem_bytes = fs.total;
  const uint64_t by_capacity = SatSub(stats.capacity_bytes, used_ + in_flight_);
  const uint64_t by_disk = SatSub(fs.available, unallocated_);
  stats.free_bytes = SatSub(std::min(by_capacity, by_disk), options_.reserve_bytes);
  return stats;
}

void ShardStore::UpdateGaugesLocked(const FsSpace& fs) const {
  if (metrics_ == nullptr) return;
  const StoreStats stats = StatsLocked(fs);
  metrics_->shards.Set(static_cast<double>(stats.shard_count));
  metrics_->capacity_total.Set(static_cast<double>(stats.capacity_bytes));
  metrics_->capacity_used.Set(static_cast<double>(stats.used_bytes));
  metrics_->capacity_free.Set(static_cast<double>(stats.free_bytes));
  metrics_->corrupt_shards.Set(static_cast<double>(stats.corrupt_count));
}

StoreStats ShardStore::Stats() const {
  absl::StatusOr<FsSpace> fs = ReadFsSpace();
  absl::MutexLock lock(&mu_);
  // If statvfs fails, report no room rather than invent some.
  return StatsLocked(fs.ok() ? *fs : FsSpace{});
}

void ShardStore::RefreshMetrics() const {
  absl::StatusOr<FsSpace> fs = ReadFsSpace();
  absl::MutexLock lock(&mu_);
  UpdateGaugesLocked(fs.ok() ? *fs : FsSpace{});
}

void ShardStore::ObserveFsync(double seconds) const {
  if (metrics_ != nullptr) metrics_->fsync_seconds.Observe(seconds);
}

std::optional<StoredShard> ShardStore::Find(std::string_view key) const {
  absl::MutexLock lock(&mu_);
  auto it = index_.find(key);
  if (it == index_.end()) return std::nullopt;
  return StoredShard{it->first,         it->second.size,       it->second.sha256,
                     it->second.corrupt, it->second.generation, it->second.stored_at};
}

absl::StatusOr<PutStart> ShardStore::BeginPut(const std::string& key, uint64_t size,
                                              const std::string& sha256) {
  FH_ASSIGN_OR_RETURN(FsSpace fs, ReadFsSpace());
  {
    absl::MutexLock lock(&mu_);
    auto it = index_.find(key);
    if (it != index_.end() && !it->second.corrupt) {
      if (SecureEquals(it->second.sha256, sha256) && it->second.size == size) {
        return PutStart{nullptr, true};
      }
      return absl::AlreadyExistsError(absl::StrCat(
          "shard ", key, " is already stored with a different sha256; delete it first"));
    }
    const StoreStats stats = StatsLocked(fs);
    if (size > stats.free_bytes) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "not enough space for shard ", key, ": needs ", size, " bytes, ", stats.free_bytes,
          " free (capacity ", stats.capacity_bytes, ", reserve ", options_.reserve_bytes, ")"));
    }
    in_flight_ += size;
    unallocated_ += size;
  }
  const std::string temp_path = absl::StrCat(tmp_dir_, "/", HexEncode(RandomBytes(12)), ".part");
  absl::StatusOr<internal::UniqueFd> fd =
      internal::OpenFile(temp_path, O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (!fd.ok()) {
    absl::MutexLock lock(&mu_);
    in_flight_ -= size;
    unallocated_ -= size;
    return fd.status();
  }
  // From here on the writer owns the temp file and the reservation.
  std::unique_ptr<ShardWriter> writer(
      new ShardWriter(*this, key, size, sha256, *std::move(fd), temp_path));
  if (options_.direct_io && size > 0) {
    writer->direct_ = internal::DirectWriter::Create(writer->fd_.get(), temp_path, buffer_pool_,
                                                     options_.direct_buffers, &writer->hasher_);
  }
  if (options_.preallocate && size > 0) {
    if (::fallocate(writer->fd_.get(), 0, 0, static_cast<off_t>(size)) == 0) {
      writer->preallocated_ = true;
      absl::MutexLock lock(&mu_);
      unallocated_ -= size;
    } else if (errno != EOPNOTSUPP && errno != ENOSYS) {
      absl::Status s = internal::ErrnoStatus(errno, "fallocate", temp_path);
      if (s.code() == absl::StatusCode::kResourceExhausted) {
        s = absl::ResourceExhaustedError(
            absl::StrCat("not enough disk space for shard ", key, " (", size, " bytes)"));
      }
      return s;  // the writer's destructor removes the file and the reservation
    }
  }
  return PutStart{std::move(writer), false};
}

void ShardStore::ReleaseReservation(const ShardWriter& writer) {
  in_flight_ -= writer.size_;
  if (!writer.preallocated_) unallocated_ -= writer.size_;
}

void ShardStore::ToggleInventoryLocked(std::string_view key) {
  const bulk::Sha256Hash h = bulk::Sha256Digest(key);
  for (size_t i = 0; i < h.size(); ++i) inventory_digest_[i] ^= h[i];
}

absl::StatusOr<bool> ShardStore::CommitWriter(ShardWriter& writer) {
  const std::string dir = FanOutDir(writer.key_);
  FH_RETURN_IF_ERROR(internal::EnsureDir(dir));
  const std::string final_path = ShardPath(writer.key_, writer.sha256_, /*corrupt=*/false);
  std::string replaced_path;
  {
    absl::MutexLock lock(&mu_);
    auto it = index_.find(writer.key_);
    if (it != index_.end() && !it->second.corrupt) {
      // Another put of this key won the race.
      if (SecureEquals(it->second.sha256, writer.sha256_)) return true;
      return absl::AlreadyExistsError(absl::StrCat(
          "shard ", writer.key_, " is already stored with a different sha256; delete it first"));
    }
    if (::rename(writer.temp_path_.c_str(), final_path.c_str()) != 0) {
      return internal::ErrnoStatus(errno, "rename into place", final_path);
    }
    if (it != index_.end()) {  // replacing a corrupt copy
      replaced_path = ShardPath(writer.key_, it->second.sha256, /*corrupt=*/true);
      used_ -= it->second.size;
      --corrupt_count_;
      index_.erase(it);
    }
    Entry entry;
    entry.size = writer.size_;
    entry.sha256 = writer.sha256_;
    entry.generation = next_generation_++;
    entry.stored_at = absl::Now();
    ToggleInventoryLocked(writer.key_);
    index_.emplace(writer.key_, std::move(entry));
    used_ += writer.size_;
    ReleaseReservation(writer);
    writer.finished_ = true;
  }
  if (!replaced_path.empty() && ::unlink(replaced_path.c_str()) != 0 && errno != ENOENT) {
    log_.Warn("could not remove replaced corrupt shard", {{"path", replaced_path}});
  }
  const absl::Time start = absl::Now();
  absl::Status synced = internal::FsyncDir(dir);
  ObserveFsync(absl::ToDoubleSeconds(absl::Now() - start));
  RefreshMetrics();
  FH_RETURN_IF_ERROR(synced);
  return false;
}

absl::StatusOr<std::unique_ptr<ShardReader>> ShardStore::Open(const std::string& key) const {
  auto reader = std::unique_ptr<ShardReader>(new ShardReader());
  absl::MutexLock lock(&mu_);
  auto it = index_.find(key);
  if (it == index_.end()) {
    return absl::NotFoundError(absl::StrCat("shard ", key, " is not stored on this node"));
  }
  if (it->second.corrupt) {
    return absl::DataLossError(
        absl::StrCat("shard ", key, " failed its integrity check on this node"));
  }
  reader->path_ = ShardPath(key, it->second.sha256, false);
  FH_ASSIGN_OR_RETURN(reader->fd_, internal::OpenFile(reader->path_, O_RDONLY));
  reader->key_ = key;
  reader->sha256_ = it->second.sha256;
  reader->size_ = it->second.size;
  reader->generation_ = it->second.generation;
  return reader;
}

absl::StatusOr<bool> ShardStore::Delete(const std::string& key) { return DeleteIf(key, 0); }

absl::StatusOr<bool> ShardStore::DeleteGeneration(const std::string& key, uint64_t generation) {
  if (generation == 0) return false;
  return DeleteIf(key, generation);
}

absl::StatusOr<bool> ShardStore::DeleteIf(const std::string& key, uint64_t generation) {
  std::string dir;
  {
    absl::MutexLock lock(&mu_);
    auto it = index_.find(key);
    if (it == index_.end()) return false;
    if (generation != 0 && it->second.generation != generation) return false;
    const std::string path = ShardPath(key, it->second.sha256, it->second.corrupt);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      return internal::ErrnoStatus(errno, "unlink", path);
    }
    used_ -= it->second.size;
    if (it->second.corrupt) --corrupt_count_;
    if (!it->second.corrupt) ToggleInventoryLocked(key);
    index_.erase(it);
    dir = FanOutDir(key);
  }
  absl::Status synced = internal::FsyncDir(dir);
  RefreshMetrics();
  FH_RETURN_IF_ERROR(synced);
  return true;
}

std::vector<std::string> ShardStore::ListKeys(std::string_view after, size_t limit) const {
  std::vector<std::string> keys;
  absl::MutexLock lock(&mu_);
  for (auto it = index_.upper_bound(after); it != index_.end() && keys.size() < limit; ++it) {
    keys.push_back(it->first);
  }
  return keys;
}

bool ShardStore::MarkCorrupt(const std::string& key, uint64_t generation) {
  {
    absl::MutexLock lock(&mu_);
    auto it = index_.find(key);
    if (it == index_.end() || it->second.generation != generation || it->second.corrupt) {
      return false;
    }
    const std::string from = ShardPath(key, it->second.sha256, false);
    const std::string to = ShardPath(key, it->second.sha256, true);
    if (::rename(from.c_str(), to.c_str()) != 0 && errno != ENOENT) {
      log_.Error("could not rename corrupt shard", {{"path", from}});
    }
    it->second.corrupt = true;
    ++corrupt_count_;
    ToggleInventoryLocked(key);
    newly_corrupt_.push_back(key);
  }
  log_.Error("shard failed its integrity check", {{"key", key}});
  RefreshMetrics();
  return true;
}

std::vector<std::string> ShardStore::TakeNewlyCorrupt() {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> keys;
  keys.swap(newly_corrupt_);
  return keys;
}

void ShardStore::PutBackCorrupt(std::vector<std::string> keys) {
  absl::MutexLock lock(&mu_);
  newly_corrupt_.insert(newly_corrupt_.begin(), keys.begin(), keys.end());
}

}  // namespace freehold::storaged
