// ShardWriter and ShardReader (declared in shard_store.h).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/encoding.h"
#include "common/secure_compare.h"
#include "services/storaged/core/shard_store.h"

namespace freehold::storaged {

ShardWriter::ShardWriter(ShardStore& store, std::string key, uint64_t size, std::string sha256,
                         internal::UniqueFd fd, std::string temp_path)
    : store_(store),
      key_(std::move(key)),
      size_(size),
      sha256_(std::move(sha256)),
      fd_(std::move(fd)),
      temp_path_(std::move(temp_path)) {}

ShardWriter::~ShardWriter() { Discard(); }

void ShardWriter::Discard() {
  if (finished_) return;
  finished_ = true;
  direct_.reset();  // waits for a background write before the file goes away
  fd_.Reset();
  ::unlink(temp_path_.c_str());
  absl::MutexLock lock(&store_.mu_);
  store_.ReleaseReservation(*this);
}

absl::Status ShardWriter::Append(std::string_view data) {
  if (finished_) return absl::FailedPreconditionError("shard writer is finished");
  if (data.size() > size_ - received_) {
    return absl::InvalidArgumentError(absl::StrCat("data exceeds grant.size_bytes ", size_,
                                                   " (received ", received_ + data.size(),
                                                   " bytes so far)"));
  }
  received_ += data.size();
  absl::Status written;
  if (direct_ != nullptr) {
    written = direct_->Append(data);  // hashed on the DirectWriter's hashing thread
  } else {
    hasher_.Update(data);
    written = internal::WriteAll(fd_.get(), data.data(), data.size(), temp_path_);
  }
  if (!written.ok()) {
    if (written.code() == absl::StatusCode::kResourceExhausted) {
      return absl::ResourceExhaustedError(absl::StrCat("disk full while writing shard ", key_));
    }
    return written;
  }
  if (direct_ != nullptr) return absl::OkStatus();
  // Buffered: start write-back of what has accumulated, without waiting, so the final fsync
  // finds little left to do.
  const uint64_t chunk = store_.options_.writeback_bytes;
  if (chunk > 0 && received_ - written_back_ >= chunk) {
    ::sync_file_range(fd_.get(), static_cast<off_t>(written_back_),
                      static_cast<off_t>(received_ - written_back_), SYNC_FILE_RANGE_WRITE);
    written_back_ = received_;
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> ShardWriter::Commit() {
  if (finished_) return absl::FailedPreconditionError("shard writer is finished");
  if (received_ != size_) {
    Discard();
    return absl::InvalidArgumentError(
        absl::StrCat("stream ended after ", received_, " bytes; grant.size_bytes is ", size_));
  }
  if (direct_ != nullptr) {
    absl::Status flushed = direct_->Finish(size_);  // also completes the hash
    direct_.reset();
    if (!flushed.ok()) {
      Discard();
      return flushed;
    }
  }
  const bulk::Sha256Hash digest = hasher_.Final();
  const std::string actual(reinterpret_cast<const char*>(digest.data()), digest.size());
  if (!SecureEquals(actual, sha256_)) {
    Discard();
    return absl::InvalidArgumentError(absl::StrCat("sha256 mismatch: the data hashes to ",
                                                   HexEncode(actual), ", grant.sha256 is ",
                                                   HexEncode(sha256_)));
  }
  const absl::Time start = absl::Now();
  absl::Status synced = internal::Fsync(fd_.get(), temp_path_);
  store_.ObserveFsync(absl::ToDoubleSeconds(absl::Now() - start));
  if (!synced.ok()) {
    Discard();
    return synced;
  }
  fd_.Reset();
  absl::StatusOr<bool> committed = store_.CommitWriter(*this);
  if (!finished_) Discard();
  return committed;
}

absl::Status ShardReader::ReadAt(uint64_t offset, size_t length, std::string* out) const {
  out->resize(length);
  absl::StatusOr<size_t> n = internal::PreadFull(fd_.get(), out->data(), length, offset, path_);
  if (!n.ok()) {
    out->clear();
    return n.status();
  }
  out->resize(*n);
  if (*n < length && offset + *n < size_) {
    return absl::DataLossError(
        absl::StrCat("shard ", key_, " is shorter on disk than its ", size_, " bytes"));
  }
  return absl::OkStatus();
}

}  // namespace freehold::storaged
