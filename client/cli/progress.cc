#include "client/cli/progress.h"

#include <unistd.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/cli/format.h"

namespace freehold::cli {
namespace {
constexpr absl::Duration kTerminalPeriod = absl::Milliseconds(100);
constexpr absl::Duration kLinePeriod = absl::Seconds(5);
constexpr absl::Duration kRateWindow = absl::Seconds(3);
constexpr int kBarWidth = 24;
}  // namespace

ProgressDisplay::Mode ProgressDisplay::ModeFor(std::FILE* out, bool quiet) {
  if (quiet) return Mode::kSilent;
  return ::isatty(::fileno(out)) ? Mode::kTerminal : Mode::kLines;
}

void ProgressDisplay::Started(uint64_t total_units, uint64_t display_bytes) {
  absl::MutexLock lock(&mu_);
  total_ = total_units;
  display_ = display_bytes;
  done_ = 0;
  start_ = absl::Now();
  last_draw_ = start_;
  samples_.clear();
  samples_.emplace_back(start_, 0);
}

double ProgressDisplay::RateLocked(absl::Time now) {
  // Display bytes per second over the last few seconds.
  while (samples_.size() > 2 && now - samples_[1].first > kRateWindow) samples_.pop_front();
  const auto& [t0, u0] = samples_.front();
  const double secs = absl::ToDoubleSeconds(now - t0);
  if (secs <= 0 || total_ == 0) return 0;
  const double units = static_cast<double>(done_ - u0);
  return units / secs * static_cast<double>(display_) / static_cast<double>(total_);
}

void ProgressDisplay::Draw(bool final_line) {
  const absl::Time now = final_line && end_ != absl::InfinitePast() ? end_ : absl::Now();
  const double frac =
      total_ == 0 ? 1.0
                  : std::clamp(static_cast<double>(done_) / static_cast<double>(total_), 0.0, 1.0);
  const uint64_t shown = static_cast<uint64_t>(frac * static_cast<double>(display_));
  if (final_line) {
    const double secs = std::max(1e-6, absl::ToDoubleSeconds(now - start_));
    std::string line = absl::StrFormat("%s: %s in %.1f s (%s)", label_, HumanBytes(display_), secs,
                                       HumanRate(static_cast<double>(display_) / secs));
    if (mode_ == Mode::kTerminal) {
      absl::FPrintF(out_, "\r%s\x1b[K\n", line);
    } else {
      absl::FPrintF(out_, "%s\n", line);
    }
    std::fflush(out_);
    return;
  }
  const double rate = RateLocked(now);
  const double remaining = static_cast<double>(display_ - std::min(shown, display_));
  const absl::Duration eta = rate > 0 ? absl::Seconds(remaining / rate) : absl::InfiniteDuration();
  if (mode_ == Mode::kTerminal) {
    const int filled = static_cast<int>(frac * kBarWidth);
    std::string bar(static_cast<size_t>(filled), '#');
    bar.append(static_cast<size_t>(kBarWidth - filled), '-');
    absl::FPrintF(out_, "\r%s [%s] %3d%%  %s / %s  %s  ETA %s\x1b[K", label_, bar,
                  static_cast<int>(frac * 100), HumanBytes(shown), HumanBytes(display_),
                  HumanRate(rate), HumanDuration(eta));
  } else {
    absl::FPrintF(out_, "%s: %d%% (%s of %s, %s, ETA %s)\n", label_, static_cast<int>(frac * 100),
                  HumanBytes(shown), HumanBytes(display_), HumanRate(rate), HumanDuration(eta));
  }
  std::fflush(out_);
  drawn_ = true;
}

void ProgressDisplay::Moved(int64_t units) {
  if (mode_ == Mode::kSilent) return;
  absl::MutexLock lock(&mu_);
  done_ += units;
  const absl::Time now = absl::Now();
  if (samples_.empty() || now - samples_.back().first > absl::Milliseconds(200)) {
    samples_.emplace_back(now, done_);
  }
  if (now - last_draw_ >= (mode_ == Mode::kTerminal ? kTerminalPeriod : kLinePeriod)) {
    last_draw_ = now;
    Draw(false);
  }
}

void ProgressDisplay::Notice(absl::string_view message) {
  if (!show_notices_) return;
  absl::MutexLock lock(&mu_);
  if (mode_ == Mode::kTerminal && drawn_) {
    absl::FPrintF(out_, "\r\x1b[K%s\n", message);
    Draw(false);
  } else {
    absl::FPrintF(out_, "%s\n", message);
    std::fflush(out_);
  }
}

void ProgressDisplay::Finished(bool ok) {
  absl::MutexLock lock(&mu_);
  if (finished_) return;
  finished_ = true;
  end_ = absl::Now();
  if (mode_ == Mode::kSilent) return;
  if (ok) {
    done_ = static_cast<int64_t>(total_);
    Draw(true);
  } else if (mode_ == Mode::kTerminal && drawn_) {
    absl::FPrintF(out_, "\n");
    std::fflush(out_);
  }
}

double ProgressDisplay::ElapsedSeconds() const {
  absl::MutexLock lock(&mu_);
  const absl::Time end = end_ != absl::InfinitePast() ? end_ : absl::Now();
  return absl::ToDoubleSeconds(end - start_);
}

absl::Duration TreeEta(const TreeCounts& c, absl::Duration elapsed) {
  const bool by_bytes = c.bytes_total > 0;
  const uint64_t done = by_bytes ? c.bytes_done : c.files_done;
  const uint64_t total = by_bytes ? c.bytes_total : c.files_total;
  if (done >= total) return absl::ZeroDuration();
  if (done == 0 || elapsed <= absl::ZeroDuration()) return absl::InfiniteDuration();
  const double per_unit = absl::ToDoubleSeconds(elapsed) / static_cast<double>(done);
  return absl::Seconds(per_unit * static_cast<double>(total - done));
}

std::string TreeProgressLine(const TreeCounts& c, absl::Duration elapsed) {
  const double secs = absl::ToDoubleSeconds(elapsed);
  const double rate = secs > 0 ? static_cast<double>(c.bytes_done) / secs : 0;
  const std::string bytes = c.bytes_total > 0 ? absl::StrCat(HumanBytes(c.bytes_done), " / ",
                                                             HumanBytes(c.bytes_total))
                                              : HumanBytes(c.bytes_done);
  return absl::StrFormat("%d/%d files  %s  %s  ETA %s", c.files_done, c.files_total, bytes,
                         HumanRate(rate), HumanDuration(TreeEta(c, elapsed)));
}

std::string TreeRateText(uint64_t files, uint64_t bytes, double seconds) {
  const double secs = std::max(1e-6, seconds);
  return absl::StrFormat("(%s, %.1f files/s)", HumanRate(static_cast<double>(bytes) / secs),
                         static_cast<double>(files) / secs);
}

TreeProgress::Mode TreeProgress::ModeFor(bool json, bool quiet, std::FILE* term) {
  if (json) return Mode::kJson;
  if (quiet || !::isatty(::fileno(term))) return Mode::kPlain;
  return Mode::kTerminal;
}

void TreeProgress::Emit(const nlohmann::json& event) {
  const std::string line = event.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  absl::FPrintF(out_, "%s\n", line);
  std::fflush(out_);
}

void TreeProgress::Start(uint64_t files, uint64_t bytes, const nlohmann::json& extra) {
  absl::MutexLock lock(&mu_);
  files_total_ = files;
  bytes_total_ = bytes;
  start_ = absl::Now();
  if (mode_ == Mode::kJson) {
    nlohmann::json e = {{"event", "start"}, {"files", files}, {"bytes", bytes}};
    e.update(extra);
    Emit(e);
  } else if (mode_ == Mode::kTerminal) {
    Draw();
  }
}

void TreeProgress::Draw() {
  const absl::Time now = absl::Now();
  last_draw_ = now;
  const TreeCounts c{files_done_, files_total_, bytes_done_, bytes_total_};
  absl::FPrintF(term_, "\r%s\x1b[K", TreeProgressLine(c, now - start_));
  std::fflush(term_);
  drawn_ = true;
}

void TreeProgress::FileDone(absl::string_view action, const std::string& path, uint64_t bytes) {
  absl::MutexLock lock(&mu_);
  const bool counted = action != "mkdir" && action != "delete";
  if (counted) {
    ++files_done_;
    bytes_done_ += bytes;
  }
  if (mode_ == Mode::kJson) {
    Emit({{"event", "file"}, {"action", std::string(action)}, {"path", path}, {"bytes", bytes}});
  } else if (mode_ == Mode::kTerminal && absl::Now() - last_draw_ >= absl::Milliseconds(200)) {
    Draw();
  }
}

void TreeProgress::Error(const std::string& path, const absl::Status& status) {
  absl::MutexLock lock(&mu_);
  if (mode_ != Mode::kJson) return;  // the command's error message says it
  Emit({{"event", "error"},
        {"path", path},
        {"code", absl::StatusCodeToString(status.code())},
        {"message", std::string(status.message())}});
}

void TreeProgress::Print(const std::string& line) {
  absl::MutexLock lock(&mu_);
  if (mode_ == Mode::kJson) return;
  if (mode_ == Mode::kTerminal && drawn_) {
    absl::FPrintF(term_, "\r\x1b[K");
    std::fflush(term_);
  }
  absl::FPrintF(out_, "%s\n", line);
  std::fflush(out_);
  if (mode_ == Mode::kTerminal && drawn_) Draw();
}

void TreeProgress::Finish(const std::string& text, const nlohmann::json& extra) {
  absl::MutexLock lock(&mu_);
  const double secs = std::max(1e-6, absl::ToDoubleSeconds(absl::Now() - start_));
  if (mode_ == Mode::kJson) {
    nlohmann::json e = {{"event", "summary"},
                        {"files", files_done_},
                        {"bytes", bytes_done_},
                        {"seconds", secs},
                        {"files_per_second", static_cast<double>(files_done_) / secs}};
    e.update(extra);
    Emit(e);
    return;
  }
  if (mode_ == Mode::kTerminal && drawn_) {
    absl::FPrintF(term_, "\r\x1b[K");
    std::fflush(term_);
  }
  if (text.empty()) return;
  absl::FPrintF(out_, "%s\n", text);
  std::fflush(out_);
}

uint64_t TreeProgress::files_done() const {
  absl::MutexLock lock(&mu_);
  return files_done_;
}
uint64_t TreeProgress::bytes_done() const {
  absl::MutexLock lock(&mu_);
  return bytes_done_;
}
double TreeProgress::ElapsedSeconds() const {
  absl::MutexLock lock(&mu_);
  return absl::ToDoubleSeconds(absl::Now() - start_);
}

}  // namespace freehold::cli
