// Sequential O_DIRECT file writing through a ring of aligned buffers, as a
// three-stage pipeline so that one put uses more than one core:
//
//   caller (the receiving thread)   copies bytes into the ring's next free buffer
//   hashing thread                  SHA-256 over each full buffer, in order
//   writing thread                  pwrite(O_DIRECT) of each full buffer, in order
//
// Hashing and writing of a buffer run at the same time (both only read it); a
// buffer is refilled once both are done with it. No page-cache copy, and cold
// shard bytes do not push hot pages out of the cache. The buffers come from an
// AlignedBufferPool so that puts reuse memory that is already faulted in.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "common/bulk/sha256.h"

namespace freehold::storaged::internal {

inline constexpr size_t kDirectAlignment = 4096;

// Aligned buffers of one size, kept for reuse after release (at most max_cached of
// them; the rest are freed). Thread-safe.
class AlignedBufferPool {
 public:
  // buffer_bytes: a multiple of kDirectAlignment.
  AlignedBufferPool(size_t buffer_bytes, size_t max_cached);
  ~AlignedBufferPool();
  AlignedBufferPool(const AlignedBufferPool&) = delete;
  AlignedBufferPool& operator=(const AlignedBufferPool&) = delete;

  size_t buffer_bytes() const { return buffer_bytes_; }
  // A buffer of buffer_bytes() aligned to kDirectAlignment, or null if memory is short.
  char* Acquire();
  void Release(char* buffer);

 private:
  const size_t buffer_bytes_;
  const size_t max_cached_;
  absl::Mutex mu_;
  std::vector<char*> free_ ABSL_GUARDED_BY(mu_);
};

class DirectWriter {
 public:
  // Switches `fd` (opened for writing at offset 0, not owned, must outlive the
  // writer) to O_DIRECT. Returns null, leaving fd as it was, if the file system
  // refuses O_DIRECT or memory is short. Takes `buffers` (>= 2) buffers from `pool`
  // (which must outlive the writer) until destruction. `hasher` (not owned) receives
  // every appended byte, in order, on the hashing thread; the caller must not touch
  // it until Finish has returned.
  static std::unique_ptr<DirectWriter> Create(int fd, std::string path, AlignedBufferPool& pool,
                                              size_t buffers, bulk::Sha256* hasher);
  ~DirectWriter();  // stops both threads (after the buffer each is busy with)
  DirectWriter(const DirectWriter&) = delete;
  DirectWriter& operator=(const DirectWriter&) = delete;

  // Appends bytes; each full buffer is hashed and written in the background. Blocks
  // while every buffer is busy. Errors of earlier background writes surface here
  // (RESOURCE_EXHAUSTED when the disk is full).
  absl::Status Append(std::string_view data);
  // Hands over what is left (written with the last block padded with zeros), waits
  // until every byte is hashed and written, and truncates the file to `final_size`.
  // Not followed by Append.
  absl::Status Finish(uint64_t final_size);

 private:
  struct Slot {
    char* data = nullptr;
    size_t length = 0;        // bytes of the shard in this buffer (hashed)
    size_t write_length = 0;  // bytes written: length rounded up to kDirectAlignment
    uint64_t offset = 0;      // file offset of data[0]
  };

  DirectWriter(int fd, std::string path, AlignedBufferPool& pool, bulk::Sha256* hasher);
  // Waits until the slot of sequence number submitted_ is free (both threads are
  // done with its previous contents) or a write failed.
  absl::Status WaitForFreeSlot();
  // Hands buffer `fill_` with `length` bytes to both threads.
  void Submit(size_t length, size_t write_length);
  void HashLoop();
  void WriteLoop();
  absl::Status WriteAt(const char* data, size_t length, uint64_t offset) const;

  const int fd_;
  const std::string path_;
  AlignedBufferPool& pool_;
  bulk::Sha256* const hasher_;
  std::vector<Slot> slots_;
  // Caller side: the buffer being filled (slots_[submitted_ % size], null until
  // WaitForFreeSlot found it free), its fill level, and the file offset it goes to.
  char* current_ = nullptr;
  size_t used_ = 0;
  uint64_t next_offset_ = 0;

  absl::Mutex mu_;
  uint64_t submitted_ ABSL_GUARDED_BY(mu_) = 0;  // buffers handed to the threads
  uint64_t hashed_ ABSL_GUARDED_BY(mu_) = 0;     // buffers the hashing thread finished
  uint64_t written_ ABSL_GUARDED_BY(mu_) = 0;    // buffers the writing thread finished
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status write_status_ ABSL_GUARDED_BY(mu_);  // first write error
  std::thread hash_thread_;
  std::thread write_thread_;
};

}  // namespace freehold::storaged::internal
