// JSON-lines structured logging with automatic redaction of secret-looking keys.
#include "common/logging.h"

#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace freehold {
namespace {

void AppendJsonString(std::string& out, std::string_view s) {
  out.push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out += buf;
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
}

std::string JsonString(std::string_view s) {
  std::string out;
  AppendJsonString(out, s);
  return out;
}

void AppendField(std::string& out, std::string_view key, const LogValue& value) {
  out.push_back(',');
  AppendJsonString(out, key);
  out.push_back(':');
  if (IsSecretLogKey(key)) {
    out += "\"[REDACTED]\"";
  } else {
    out += value.json();
  }
}

std::shared_ptr<LogSink> DefaultSink() {
  static const auto* sink = new std::shared_ptr<LogSink>(std::make_shared<StderrLogSink>());
  return *sink;
}

}  // namespace

absl::StatusOr<LogLevel> ParseLogLevel(std::string_view text) {
  const std::string t = absl::AsciiStrToLower(std::string(text));
  if (t == "debug") return LogLevel::kDebug;
  if (t == "info") return LogLevel::kInfo;
  if (t == "warn" || t == "warning") return LogLevel::kWarn;
  if (t == "error") return LogLevel::kError;
  return absl::InvalidArgumentError(
      absl::StrCat("log level '", std::string(text), "' is not one of debug, info, warn, error"));
}

std::string_view LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

LogValue::LogValue(std::string_view s) : json_(JsonString(s)) {}

LogValue::LogValue(double v) {
  if (std::isfinite(v)) {
    json_ = absl::StrCat(v);
  } else {
    json_ = JsonString(std::isnan(v) ? "NaN" : (v > 0 ? "+Inf" : "-Inf"));
  }
}

LogValue::LogValue(absl::Duration d) : LogValue(absl::ToDoubleSeconds(d)) {}

LogValue::LogValue(const absl::Status& s) : json_(JsonString(s.ToString())) {}

void StderrLogSink::Write(std::string_view line) {
  std::string buf;
  buf.reserve(line.size() + 1);
  buf.append(line);
  buf.push_back('\n');
  size_t off = 0;
  while (off < buf.size()) {
    ssize_t n = ::write(STDERR_FILENO, buf.data() + off, buf.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // nowhere left to report a logging failure
    }
    off += static_cast<size_t>(n);
  }
}

void CapturingLogSink::Write(std::string_view line) {
  absl::MutexLock lock(&mu_);
  lines_.emplace_back(line);
}

std::vector<std::string> CapturingLogSink::lines() const {
  absl::MutexLock lock(&mu_);
  return lines_;
}

bool IsSecretLogKey(std::string_view key) {
  const std::string k = absl::AsciiStrToLower(std::string(key));
  if (absl::EndsWith(k, "_id") || absl::EndsWith(k, "-id")) return false;
  static constexpr std::string_view kMarkers[] = {
      "secret",  "password", "passwd",        "token",      "auth_key",
      "authkey", "pepper",   "private_key",   "privatekey", "credential",
      "api_key", "apikey",   "authorization", "cookie",     "seed"};
  for (std::string_view m : kMarkers) {
    if (k.find(m) != std::string::npos) return true;
  }
  return false;
}

Logger::Logger(std::string component, LogLevel min_level, std::shared_ptr<LogSink> sink)
    : component_(std::move(component)),
      min_level_(min_level),
      sink_(sink ? std::move(sink) : DefaultSink()) {}

Logger Logger::With(std::initializer_list<LogField> fields) const {
  Logger child = *this;
  for (const LogField& f : fields) AppendField(child.base_fields_, f.key, f.value);
  return child;
}

void Logger::Log(LogLevel level, std::string_view msg, absl::Span<const LogField> fields) const {
  if (!Enabled(level)) return;
  std::string line;
  line.reserve(128 + msg.size() + base_fields_.size());
  line += "{\"ts\":";
  AppendJsonString(line,
                   absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", absl::Now(), absl::UTCTimeZone()));
  line += ",\"level\":";
  AppendJsonString(line, LogLevelName(level));
  line += ",\"component\":";
  AppendJsonString(line, component_);
  line += ",\"msg\":";
  AppendJsonString(line, msg);
  line += base_fields_;
  for (const LogField& f : fields) AppendField(line, f.key, f.value);
  line.push_back('}');
  sink_->Write(line);
}

}  // namespace freehold
