// Sequential O_DIRECT file writing with two aligned buffers: while a background
// thread writes one buffer to disk, the caller fills the other, so receiving,
// hashing and disk writes overlap. No page-cache copy, and cold shard bytes do
// not push hot pages out of the cache. The SHA-256 of the bytes is computed on the
// background thread too, just before each buffer is written.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "absl/status/status.h"

namespace freehold::storaged::internal {

inline constexpr size_t kDirectAlignment = 4096;

class DirectWriter {
 public:
  // Switches `fd` (opened for writing at offset 0, not owned, must outlive the
  // writer) to O_DIRECT. Returns null, leaving fd as it was, if the file system
  // refuses O_DIRECT or memory is short. buffer_bytes: a multiple of kDirectAlignment.
  // The background thread only writes (hashing is the caller's, on its own thread),
  // so the disk is kept busy while the caller receives and hashes the next buffer.
  static std::unique_ptr<DirectWriter> Create(int fd, std::string path, size_t buffer_bytes);
  ~DirectWriter();  // waits for a write in progress
  DirectWriter(const DirectWriter&) = delete;
  DirectWriter& operator=(const DirectWriter&) = delete;

  // Appends bytes; a full buffer goes to disk in the background. Errors of earlier
  // background writes surface here (RESOURCE_EXHAUSTED when the disk is full).
  absl::Status Append(std::string_view data);
  // Writes what is left (the last block padded with zeros), waits for every write and
  // truncates the file to `final_size`. Not followed by Append.
  absl::Status Finish(uint64_t final_size);

 private:
  DirectWriter(int fd, std::string path, size_t buffer_bytes);
  absl::Status WaitForWrite();
  void StartWrite(size_t length);
  absl::Status WriteAt(const char* data, size_t length, uint64_t offset) const;

  const int fd_;
  const std::string path_;
  const size_t buffer_bytes_;
  std::unique_ptr<char, void (*)(void*)> buffers_[2] = {{nullptr, &std::free},
                                                        {nullptr, &std::free}};
  int current_ = 0;
  size_t used_ = 0;            // bytes in buffers_[current_]
  uint64_t offset_ = 0;        // file offset of buffers_[current_]
  std::thread writer_;         // writes the other buffer, if joinable
  absl::Status write_status_;  // set by writer_, read after join
};

}  // namespace freehold::storaged::internal
