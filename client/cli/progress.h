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
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "client/cli/transfer_observer.h"
#include <nlohmann/json.hpp>

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

// Progress of a command moving many files (sync; docs/ARCHITECTURE.md#sync).
// kTerminal: one line on `term`, redrawn in place at most 5 times a second
// (files and bytes done of total, rate, ETA), cleared at the end; then the
// summary line on `out`. kPlain (a pipe, or --quiet): only the summary line on
// `out`. kJson: one JSON object per line on `out`, each with "event":
//   {"event":"start","files":N,"bytes":B, ...extra}
//   {"event":"file","action":"add|update|delete|mkdir","path":P,"bytes":B}
//   {"event":"error","path":P,"code":"NOT_FOUND","message":M}
//   {"event":"summary","files":N,"bytes":B,"seconds":S,"files_per_second":R, ...extra}
// Thread-safe.
class TreeProgress {
 public:
  enum class Mode { kTerminal, kPlain, kJson };
  // kJson if `json`; else kTerminal if `term` is a TTY and not `quiet`; else kPlain.
  static Mode ModeFor(bool json, bool quiet, std::FILE* term = stderr);

  TreeProgress(Mode mode, std::FILE* term = stderr, std::FILE* out = stdout)
      : mode_(mode), term_(term), out_(out) {}

  // Totals to reach; `extra` fields join the start event.
  void Start(uint64_t files, uint64_t bytes, const nlohmann::json& extra = nlohmann::json::object());
  // A step done (counted in files/bytes done unless action is "mkdir" or "delete").
  void FileDone(absl::string_view action, const std::string& path, uint64_t bytes);
  void Error(const std::string& path, const absl::Status& status);
  // Ends the display; prints `text` (kTerminal, kPlain) or the summary event
  // with `extra` (kJson).
  void Finish(const std::string& text, const nlohmann::json& extra = nlohmann::json::object());

  uint64_t files_done() const;
  uint64_t bytes_done() const;
  double ElapsedSeconds() const;

 private:
  void Emit(const nlohmann::json& event) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Draw() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Mode mode_;
  std::FILE* const term_;
  std::FILE* const out_;
  mutable absl::Mutex mu_;
  uint64_t files_total_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t bytes_total_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t files_done_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t bytes_done_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time start_ ABSL_GUARDED_BY(mu_) = absl::Now();
  absl::Time last_draw_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  bool drawn_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace freehold::cli
