#include "services/storaged/core/internal/direct_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "services/storaged/core/internal/files.h"

namespace freehold::storaged::internal {

AlignedBufferPool::AlignedBufferPool(size_t buffer_bytes, size_t max_cached)
    : buffer_bytes_(buffer_bytes), max_cached_(max_cached) {}

AlignedBufferPool::~AlignedBufferPool() {
  absl::MutexLock lock(&mu_);
  for (char* buffer : free_) std::free(buffer);
}

char* AlignedBufferPool::Acquire() {
  {
    absl::MutexLock lock(&mu_);
    if (!free_.empty()) {
      char* buffer = free_.back();
      free_.pop_back();
      return buffer;
    }
  }
  void* memory = nullptr;
  if (::posix_memalign(&memory, kDirectAlignment, buffer_bytes_) != 0) return nullptr;
  return static_cast<char*>(memory);
}

void AlignedBufferPool::Release(char* buffer) {
  if (buffer == nullptr) return;
  {
    absl::MutexLock lock(&mu_);
    if (free_.size() < max_cached_) {
      free_.push_back(buffer);
      return;
    }
  }
  std::free(buffer);
}

std::unique_ptr<DirectWriter> DirectWriter::Create(int fd, std::string path,
                                                   AlignedBufferPool& pool, size_t buffers,
                                                   bulk::Sha256* hasher) {
  if (buffers < 2 || pool.buffer_bytes() == 0 || pool.buffer_bytes() % kDirectAlignment != 0) {
    return nullptr;
  }
  std::unique_ptr<DirectWriter> writer(new DirectWriter(fd, std::move(path), pool, hasher));
  writer->slots_.resize(buffers);
  for (Slot& slot : writer->slots_) {
    slot.data = pool.Acquire();
    if (slot.data == nullptr) return nullptr;  // the destructor releases the others
  }
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_DIRECT) != 0) return nullptr;
  writer->hash_thread_ = std::thread([w = writer.get()] { w->HashLoop(); });
  writer->write_thread_ = std::thread([w = writer.get()] { w->WriteLoop(); });
  return writer;
}

DirectWriter::DirectWriter(int fd, std::string path, AlignedBufferPool& pool, bulk::Sha256* hasher)
    : fd_(fd), path_(std::move(path)), pool_(pool), hasher_(hasher) {}

DirectWriter::~DirectWriter() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  if (hash_thread_.joinable()) hash_thread_.join();
  if (write_thread_.joinable()) write_thread_.join();
  for (Slot& slot : slots_) pool_.Release(slot.data);
}

absl::Status DirectWriter::WriteAt(const char* data, size_t length, uint64_t offset) const {
  size_t done = 0;
  while (done < length) {
    const ssize_t n = ::pwrite(fd_, data + done, length - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, "write", path_);
    }
    if (n == 0) return absl::InternalError(absl::StrCat("write ", path_, ": no progress"));
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

void DirectWriter::HashLoop() {
  uint64_t seq = 0;
  while (true) {
    Slot slot;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](DirectWriter* w) ABSL_EXCLUSIVE_LOCKS_REQUIRED(w->mu_) {
            return w->stop_ || w->hashed_ < w->submitted_;
          },
          this));
      if (hashed_ == submitted_) return;  // stopped with nothing left to hash
      seq = hashed_;
      slot = slots_[seq % slots_.size()];
    }
    hasher_->Update(std::string_view(slot.data, slot.length));
    absl::MutexLock lock(&mu_);
    hashed_ = seq + 1;
    if (stop_) return;
  }
}

void DirectWriter::WriteLoop() {
  uint64_t seq = 0;
  while (true) {
    Slot slot;
    bool failed;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](DirectWriter* w) ABSL_EXCLUSIVE_LOCKS_REQUIRED(w->mu_) {
            return w->stop_ || w->written_ < w->submitted_;
          },
          this));
      if (written_ == submitted_) return;
      seq = written_;
      slot = slots_[seq % slots_.size()];
      failed = !write_status_.ok();
    }
    // After a failure the remaining buffers are consumed without writing, so that
    // nobody waits for them; the caller sees the error.
    absl::Status status =
        failed ? absl::OkStatus() : WriteAt(slot.data, slot.write_length, slot.offset);
    absl::MutexLock lock(&mu_);
    if (!status.ok() && write_status_.ok()) write_status_ = status;
    written_ = seq + 1;
    if (stop_) return;
  }
}

absl::Status DirectWriter::WaitForFreeSlot() {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](DirectWriter* w) ABSL_EXCLUSIVE_LOCKS_REQUIRED(w->mu_) {
        return !w->write_status_.ok() ||
               w->submitted_ < std::min(w->hashed_, w->written_) + w->slots_.size();
      },
      this));
  // After a write error the slot may still be hashed: hand out no buffer.
  if (!write_status_.ok()) return write_status_;
  current_ = slots_[submitted_ % slots_.size()].data;
  return absl::OkStatus();
}

void DirectWriter::Submit(size_t length, size_t write_length) {
  absl::MutexLock lock(&mu_);
  Slot& slot = slots_[submitted_ % slots_.size()];
  slot.length = length;
  slot.write_length = write_length;
  slot.offset = next_offset_;
  next_offset_ += write_length;
  ++submitted_;
  used_ = 0;
  current_ = nullptr;
}

absl::Status DirectWriter::Append(std::string_view data) {
  const size_t capacity = pool_.buffer_bytes();
  while (!data.empty()) {
    if (current_ == nullptr) {
      absl::Status free = WaitForFreeSlot();
      if (!free.ok()) return free;
    }
    const size_t take = std::min(capacity - used_, data.size());
    std::memcpy(current_ + used_, data.data(), take);
    used_ += take;
    data.remove_prefix(take);
    if (used_ == capacity) Submit(capacity, capacity);
  }
  return absl::OkStatus();
}

absl::Status DirectWriter::Finish(uint64_t final_size) {
  if (used_ > 0) {
    // current_ holds the bytes not handed over yet.
    const size_t padded = (used_ + kDirectAlignment - 1) / kDirectAlignment * kDirectAlignment;
    std::memset(current_ + used_, 0, padded - used_);
    Submit(used_, padded);
  }
  absl::Status status;
  {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](DirectWriter* w) ABSL_EXCLUSIVE_LOCKS_REQUIRED(w->mu_) {
          return w->hashed_ == w->submitted_ && w->written_ == w->submitted_;
        },
        this));
    status = write_status_;
    stop_ = true;
  }
  hash_thread_.join();
  write_thread_.join();
  if (!status.ok()) return status;
  if (next_offset_ != final_size && ::ftruncate(fd_, static_cast<off_t>(final_size)) != 0) {
    return ErrnoStatus(errno, "truncate", path_);
  }
  return absl::OkStatus();
}

}  // namespace freehold::storaged::internal
