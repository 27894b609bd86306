// Progress display for put/get/export/fetch: on a terminal a bar redrawn in
// place (percent, bytes, rate over the last seconds, ETA); otherwise plain
// lines (one every few seconds and a summary), so logs stay readable.
#pragma once

#include <cstdio>
#include <deque>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "client/cli/transfer_observer.h"

namespace freehold::cli {

class ProgressDisplay final : public TransferObserver {
 public:
  enum class Mode { kSilent, kTerminal, kLines };
  // Terminal if `out` is a TTY, else lines; kSilent when `quiet`.
  static Mode ModeFor(std::FILE* out, bool quiet);

  // Notices (a node replaced, admission waits) are shown in every mode unless
  // `show_notices` is false.
  ProgressDisplay(std::string label, Mode mode, bool show_notices = true, std::FILE* out = stderr)
      : label_(std::move(label)), mode_(mode), show_notices_(show_notices), out_(out) {}

  void Started(uint64_t total_units, uint64_t display_bytes) override;
  void Moved(int64_t units) override;
  void Notice(absl::string_view message) override;
  void Finished(bool ok) override;

  // Seconds from Started to Finished (or now).
  double ElapsedSeconds() const;

 private:
  void Draw(bool final_line) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  double RateLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string label_;
  const Mode mode_;
  const bool show_notices_;
  std::FILE* const out_;
  mutable absl::Mutex mu_;
  uint64_t total_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t display_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t done_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time start_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::Time end_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::Time last_draw_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  std::deque<std::pair<absl::Time, int64_t>> samples_ ABSL_GUARDED_BY(mu_);
  bool drawn_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace freehold::cli
