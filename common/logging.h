// Structured logging: one JSON object per line, by default to stderr:
//   {"ts":"2024-01-02T03:04:05.123456Z","level":"info","component":"storaged",
//    "msg":"shard stored","key":"ab12","bytes":65536}
//
//   freehold::Logger log("storaged");
//   log.Info("shard stored", {{"key", key}, {"bytes", n}});
//   freehold::Logger node_log = log.With({{"node_id", id}});   // adds fields to every line
//
// Values of keys that look secret (containing "secret", "password", "passwd", "token",
// "auth_key", "pepper", "private_key", "credential", "api_key", "authorization",
// case-insensitive, unless the key ends in "_id") are written as "[REDACTED]".
// Thread-safe: one Logger may be used from many threads; each line is written whole.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

namespace freehold {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// "debug" | "info" | "warn" | "error" (case-insensitive; "warning" also accepted).
absl::StatusOr<LogLevel> ParseLogLevel(std::string_view text);
std::string_view LogLevelName(LogLevel level);

// A JSON-ready value. Implicit from strings, integers, floating point, bool,
// absl::Duration (as seconds, a number) and absl::Status (its string form).
class LogValue {
 public:
  LogValue(const char* s) : LogValue(std::string_view(s)) {}
  LogValue(const std::string& s) : LogValue(std::string_view(s)) {}
  LogValue(std::string_view s);
  LogValue(bool b) : json_(b ? "true" : "false") {}
  template <typename T,
            std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>, int> = 0>
  LogValue(T v) : json_(std::to_string(v)) {}
  LogValue(double v);
  LogValue(float v) : LogValue(static_cast<double>(v)) {}
  LogValue(absl::Duration d);
  LogValue(const absl::Status& s);

  // The encoded JSON value (a quoted string, number, true or false).
  const std::string& json() const { return json_; }

 private:
  std::string json_;
};

struct LogField {
  std::string_view key;
  LogValue value;
};

// Receives finished lines (without the trailing newline). Must be thread-safe.
class LogSink {
 public:
  virtual ~LogSink() = default;
  virtual void Write(std::string_view line) = 0;
};

// Writes each line plus '\n' to stderr with a single write(2).
class StderrLogSink : public LogSink {
 public:
  void Write(std::string_view line) override;
};

// Keeps lines in memory; for tests.
class CapturingLogSink : public LogSink {
 public:
  void Write(std::string_view line) override;
  std::vector<std::string> lines() const;

 private:
  mutable absl::Mutex mu_;
  std::vector<std::string> lines_ ABSL_GUARDED_BY(mu_);
};

// True if a value under `key` is redacted (see the file comment).
bool IsSecretLogKey(std::string_view key);

class Logger {
 public:
  // `sink` defaults to a shared StderrLogSink. Copies share the sink.
  explicit Logger(std::string component, LogLevel min_level = LogLevel::kInfo,
                  std::shared_ptr<LogSink> sink = nullptr);

  // A logger with the same component, level and sink that adds `fields` to every line.
  Logger With(std::initializer_list<LogField> fields) const;

  // Not synchronized: set the level before the logger is shared between threads.
  void set_min_level(LogLevel level) { min_level_ = level; }
  LogLevel min_level() const { return min_level_; }
  bool Enabled(LogLevel level) const { return level >= min_level_; }

  void Debug(std::string_view msg, std::initializer_list<LogField> fields = {}) const {
    Log(LogLevel::kDebug, msg, fields);
  }
  void Info(std::string_view msg, std::initializer_list<LogField> fields = {}) const {
    Log(LogLevel::kInfo, msg, fields);
  }
  void Warn(std::string_view msg, std::initializer_list<LogField> fields = {}) const {
    Log(LogLevel::kWarn, msg, fields);
  }
  void Error(std::string_view msg, std::initializer_list<LogField> fields = {}) const {
    Log(LogLevel::kError, msg, fields);
  }
  void Log(LogLevel level, std::string_view msg, absl::Span<const LogField> fields) const;

 private:
  std::string component_;
  LogLevel min_level_;
  std::shared_ptr<LogSink> sink_;
  std::string base_fields_;  // pre-encoded ',"k":v' pairs from With()
};

}  // namespace freehold
