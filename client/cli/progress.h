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

// Counts of a many-file transfer, as TreeProgress draws them.
struct TreeCounts {
  uint64_t files_done = 0, files_total = 0;
  uint64_t bytes_done = 0, bytes_total = 0;  // bytes_total 0: unknown (or all empty)
};
// Time left at the mean rate so far: by bytes when bytes_total > 0, else by
// files. Zero when everything is done; InfiniteDuration while nothing has moved
// (or `elapsed` is not positive).
absl::Duration TreeEta(const TreeCounts& c, absl::Duration elapsed);
// The terminal line: "3/10 files  1.0 MiB / 4.0 MiB  512.0 KiB/s  ETA 0:06"
// (bytes total left out when unknown); rate = bytes done / elapsed.
std::string TreeProgressLine(const TreeCounts& c, absl::Duration elapsed);
// The rate part of summary lines: "(2.0 MiB/s, 12.5 files/s)".
std::string TreeRateText(uint64_t files, uint64_t bytes, double seconds);

// Progress of a command moving many files (sync, put FILE..., put -r, get
// NAME..., get -r; docs/ARCHITECTURE.md#sync).
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
  // A line of the command's own output on `out` (kTerminal, kPlain: the
  // progress line cleared first, redrawn after; kJson: dropped).
  void Print(const std::string& line);
  // Ends the display; prints `text` (kTerminal, kPlain; nothing if empty) or
  // the summary event with `extra` (kJson).
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
