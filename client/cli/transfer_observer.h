// How the upload/download engines report progress and notable events (a
// storage node replaced, admission throttling) to the user interface.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string_view>

#include "absl/strings/string_view.h"

namespace freehold::cli {

// Implementations must be thread-safe: Moved and Notice are called from
// transfer threads.
class TransferObserver {
 public:
  virtual ~TransferObserver() = default;
  // `total_units` is what Moved adds up to when done (shard bytes); the UI
  // shows progress as that fraction of `display_bytes` (the file's size).
  virtual void Started(uint64_t total_units, uint64_t display_bytes) = 0;
  // Units moved (negative when a failed transfer is retried elsewhere).
  virtual void Moved(int64_t units) = 0;
  // A line for the user (e.g. "storage node X failed; retrying on another").
  virtual void Notice(absl::string_view message) = 0;
  virtual void Finished(bool ok) = 0;
};

// Ignores everything.
class NullObserver final : public TransferObserver {
 public:
  void Started(uint64_t, uint64_t) override {}
  void Moved(int64_t) override {}
  void Notice(absl::string_view) override {}
  void Finished(bool) override {}
};

// Prints notices only (one line each on `out`, stderr by default), for commands that
// show no progress bar (put of many files).
class NoticePrinter final : public TransferObserver {
 public:
  explicit NoticePrinter(std::FILE* out = stderr) : out_(out) {}
  void Started(uint64_t, uint64_t) override {}
  void Moved(int64_t) override {}
  void Notice(absl::string_view message) override {
    std::fprintf(out_, "%.*s\n", static_cast<int>(message.size()), message.data());
    std::fflush(out_);
  }
  void Finished(bool) override {}

 private:
  std::FILE* const out_;
};

}  // namespace freehold::cli
