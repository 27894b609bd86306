// ShardStore: the shards of one node in its data directory.
//
// Layout (all files mode 0600, directories 0700):
//   <data_dir>/LOCK                               flock'ed while a store is open
//   <data_dir>/tmp/<random>.part                  puts in progress (removed at Open)
//   <data_dir>/shards/<aa>/<bb>/<key>.<sha256 hex>           a stored shard
//   <data_dir>/shards/<aa>/<bb>/<key>.<sha256 hex>.corrupt   one the scrubber condemned
// where aabb are the first two bytes of SHA-256(key) in hex (even fan-out whatever
// the keys look like). The hash lives in the file name, so a rename publishes bytes
// and hash atomically. Used bytes and the index are rebuilt by scanning at Open.
//
// Durability: a put is written to tmp/, fsynced, renamed into place, and the target
// directory is fsynced before Commit returns. A crash leaves either the old state or
// the complete new shard (plus a temp file that Open removes).
//
// Space: a put is admitted only if its size fits in
//   min(capacity - used - in_flight, file system available) - reserve,
// and its temp file is preallocated, so the disk is never filled to the last byte.
//
// Thread-safety: every method may be called from any thread. Writers and readers
// are owned by one caller at a time.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/bulk/sha256.h"
#include "common/logging.h"
#include "services/storaged/core/internal/direct_writer.h"
#include "services/storaged/core/internal/files.h"
#include "services/storaged/core/metrics.h"

namespace freehold::storaged {

struct ShardStoreOptions {
  std::string data_dir;
  uint64_t capacity_bytes = 0;  // 0 = size of the file system holding data_dir
  uint64_t reserve_bytes = 0;   // never handed out (see the file comment)
  bool preallocate = true;      // fallocate temp files to their final size
  // Write shards with O_DIRECT through a ring of direct_buffers aligned buffers of
  // direct_buffer_bytes each per put in progress (internal/direct_writer.h: the
  // receiving thread fills them, one thread hashes and one writes). Falls back to
  // buffered writes (hashed on the receiving thread) where the file system refuses
  // O_DIRECT. Released buffers are kept for reuse, up to 4 puts' worth.
  bool direct_io = true;
  size_t direct_buffer_bytes = 2 << 20;  // a multiple of 4096
  size_t direct_buffers = 4;             // >= 2
  // Buffered writes only: start write-back every this many bytes so the final fsync
  // is short (0 = only the final fsync).
  uint64_t writeback_bytes = 8 << 20;
};

struct StoredShard {
  std::string key;
  uint64_t size_bytes = 0;
  std::string sha256;  // raw 32 bytes
  bool corrupt = false;
  uint64_t generation = 0;  // changes whenever the key is stored again (MarkCorrupt)
  // When the bytes were stored: the commit time, or the file's mtime for shards found
  // by the scan at Open (the orphan sweep spares shards younger than its grace period).
  absl::Time stored_at = absl::InfinitePast();
};

struct StoreStats {
  uint64_t capacity_bytes = 0;
  uint64_t used_bytes = 0;  // sizes of stored shards (corrupt ones included)
  uint64_t free_bytes = 0;  // what a put may still use (after the reserve)
  uint64_t shard_count = 0;
  uint64_t corrupt_count = 0;
  uint64_t filesystem_bytes = 0;
  // Inventory for the coordinator's reconciliation: intact shards (shard_count -
  // corrupt_count) and the XOR of SHA-256(key) over their keys (order-independent).
  uint64_t inventory_count = 0;
  bulk::Sha256Hash inventory_digest{};  // total size of the data dir's file system (statvfs)
};

class ShardStore;

// An open stored shard. Reads keep working if the shard is deleted meanwhile.
class ShardReader {
 public:
  uint64_t size() const { return size_; }
  const std::string& sha256() const { return sha256_; }
  const std::string& key() const { return key_; }
  uint64_t generation() const { return generation_; }
  // Reads up to `length` bytes at `offset` into *out (replacing its contents). A short
  // read before size() means the file was truncated underneath: DATA_LOSS.
  absl::Status ReadAt(uint64_t offset, size_t length, std::string* out) const;

 private:
  friend class ShardStore;
  internal::UniqueFd fd_;
  std::string key_;
  std::string path_;
  std::string sha256_;
  uint64_t size_ = 0;
  uint64_t generation_ = 0;
};

// One put in progress. Destroying it without a successful Commit removes the temp
// file and releases the reserved space. Not thread-safe (one stream owns it).
class ShardWriter {
 public:
  ~ShardWriter();
  ShardWriter(const ShardWriter&) = delete;
  ShardWriter& operator=(const ShardWriter&) = delete;

  // Appends bytes. INVALID_ARGUMENT if they go past the declared size,
  // RESOURCE_EXHAUSTED if the disk is full, INTERNAL for other I/O errors.
  absl::Status Append(std::string_view data);
  uint64_t received() const { return received_; }
  uint64_t expected_size() const { return size_; }

  // Checks size and SHA-256 (INVALID_ARGUMENT naming which), makes the shard durable
  // and visible. Returns true if an identical shard appeared meanwhile (the new copy
  // is dropped). ALREADY_EXISTS if a different shard with this key appeared meanwhile.
  // The writer is finished afterwards, whatever the result.
  absl::StatusOr<bool> Commit();

 private:
  friend class ShardStore;
  ShardWriter(ShardStore& store, std::string key, uint64_t size, std::string sha256,
              internal::UniqueFd fd, std::string temp_path);
  void Discard();

  ShardStore& store_;
  const std::string key_;
  const uint64_t size_;
  const std::string sha256_;
  internal::UniqueFd fd_;
  const std::string temp_path_;
  bulk::Sha256 hasher_;
  uint64_t received_ = 0;
  uint64_t written_back_ = 0;
  bool preallocated_ = false;
  bool finished_ = false;
  std::unique_ptr<internal::DirectWriter> direct_;  // null: buffered writes
};

// What BeginPut decided: a writer, or "already stored with this hash".
struct PutStart {
  std::unique_ptr<ShardWriter> writer;  // null iff already_present
  bool already_present = false;
};

class ShardStore {
 public:
  // Creates the layout if needed, takes the LOCK (FAILED_PRECONDITION if another
  // process holds it), removes temp files, and scans shards. `metrics` may be null and
  // must outlive the store.
  static absl::StatusOr<std::unique_ptr<ShardStore>> Open(ShardStoreOptions options,
                                                          StoragedMetrics* metrics, Logger log);
  ~ShardStore();

  std::optional<StoredShard> Find(std::string_view key) const;

  // Starts a put of `size` bytes hashing to `sha256` (32 raw bytes) under `key`
  // (already validated). Already stored with this hash and not corrupt -> already_present.
  // ALREADY_EXISTS if stored (not corrupt) with another hash; RESOURCE_EXHAUSTED if it
  // does not fit (message says how much is free); file errors otherwise.
  absl::StatusOr<PutStart> BeginPut(const std::string& key, uint64_t size,
                                    const std::string& sha256);

  // NOT_FOUND if absent, DATA_LOSS if the scrubber found it corrupt.
  absl::StatusOr<std::unique_ptr<ShardReader>> Open(const std::string& key) const;

  // Removes the shard (corrupt or not). Returns whether it existed.
  absl::StatusOr<bool> Delete(const std::string& key);
  // Removes the shard only if it is still the copy of `generation` (not stored again
  // since it was looked at). Returns whether it was removed.
  absl::StatusOr<bool> DeleteGeneration(const std::string& key, uint64_t generation);

  // Up to `limit` keys greater than `after`, in ascending order.
  std::vector<std::string> ListKeys(std::string_view after, size_t limit) const;

  // Marks the shard read through a reader of `generation` as corrupt (renames it to
  // *.corrupt so restarts remember). No-op if the key was replaced or deleted since.
  // Returns true if it was newly marked.
  bool MarkCorrupt(const std::string& key, uint64_t generation);
  // Keys marked corrupt since the last call (for heartbeats). PutBackCorrupt returns
  // them when a heartbeat failed.
  std::vector<std::string> TakeNewlyCorrupt();
  void PutBackCorrupt(std::vector<std::string> keys);

  StoreStats Stats() const;
  // Re-reads file system space and updates the gauges.
  void RefreshMetrics() const;

  const std::string& data_dir() const { return options_.data_dir; }
  // Where `key` with `sha256` (raw) lives; for tests and tools.
  std::string ShardPath(std::string_view key, std::string_view sha256, bool corrupt) const;

 private:
  friend class ShardWriter;
  struct Entry {
    uint64_t size = 0;
    std::string sha256;
    bool corrupt = false;
    uint64_t generation = 0;
    absl::Time stored_at = absl::InfinitePast();
  };
  struct FsSpace {
    uint64_t total = 0;
    uint64_t available = 0;
  };

  ShardStore(ShardStoreOptions options, StoragedMetrics* metrics, Logger log);
  absl::Status Init();
  absl::Status Scan();
  absl::StatusOr<FsSpace> ReadFsSpace() const;
  StoreStats StatsLocked(const FsSpace& fs) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void UpdateGaugesLocked(const FsSpace& fs) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::string FanOutDir(std::string_view key) const;
  absl::StatusOr<bool> CommitWriter(ShardWriter& writer);
  // Delete and DeleteGeneration: `generation` 0 = any.
  absl::StatusOr<bool> DeleteIf(const std::string& key, uint64_t generation);
  void ReleaseReservation(const ShardWriter& writer) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ObserveFsync(double seconds) const;

  const ShardStoreOptions options_;
  StoragedMetrics* const metrics_;
  const Logger log_;
  const std::string shards_dir_;
  const std::string tmp_dir_;
  internal::UniqueFd lock_fd_;
  internal::AlignedBufferPool buffer_pool_;

  mutable absl::Mutex mu_;
  std::map<std::string, Entry, std::less<>> index_ ABSL_GUARDED_BY(mu_);
  uint64_t used_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  // In-flight bytes not yet preallocated on disk (so not yet seen by statvfs).
  uint64_t unallocated_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t corrupt_count_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t next_generation_ ABSL_GUARDED_BY(mu_) = 1;
  std::vector<std::string> newly_corrupt_ ABSL_GUARDED_BY(mu_);
  // XOR of SHA-256(key) over the intact (not corrupt) entries of index_; every change
  // of that set goes through ToggleInventoryLocked.
  bulk::Sha256Hash inventory_digest_ ABSL_GUARDED_BY(mu_){};
  void ToggleInventoryLocked(std::string_view key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
};

}  // namespace freehold::storaged
