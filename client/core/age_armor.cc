#include "client/core/age_armor.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "client/core/internal/encoding.h"

namespace freehold::client {
namespace {

constexpr size_t kColumns = 64;
constexpr size_t kBytesPerLine = 48;
constexpr size_t kMaxWhitespace = 1024;

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}
bool AllSpace(std::string_view s) { return std::all_of(s.begin(), s.end(), IsSpace); }

}  // namespace

absl::Status ArmorWriter::Start() {
  if (started_) return absl::OkStatus();
  started_ = true;
  return out_.Write(AsBytes(std::string(kArmorBegin) + "\n"));
}

absl::Status ArmorWriter::Write(std::span<const uint8_t> data) {
  if (closed_) return absl::FailedPreconditionError("armor writer already closed");
  if (absl::Status s = Start(); !s.ok()) return s;
  line_buf_.clear();
  while (!data.empty()) {
    size_t take = std::min(kBytesPerLine - pending_len_, data.size());
    std::memcpy(pending_ + pending_len_, data.data(), take);
    pending_len_ += take;
    data = data.subspan(take);
    if (pending_len_ == kBytesPerLine) {
      absl::StrAppend(&line_buf_, internal::Base64Encode({pending_, kBytesPerLine}, true), "\n");
      pending_len_ = 0;
      if (line_buf_.size() >= (1 << 16)) {
        if (absl::Status s = out_.Write(AsBytes(line_buf_)); !s.ok()) return s;
        line_buf_.clear();
      }
    }
  }
  return line_buf_.empty() ? absl::OkStatus() : out_.Write(AsBytes(line_buf_));
}

absl::Status ArmorWriter::Close() {
  if (closed_) return absl::FailedPreconditionError("armor writer already closed");
  if (absl::Status s = Start(); !s.ok()) return s;
  closed_ = true;
  std::string tail;
  if (pending_len_ > 0) {
    absl::StrAppend(&tail, internal::Base64Encode({pending_, pending_len_}, true), "\n");
  }
  tail.append(kArmorEnd).append("\n");
  return out_.Write(AsBytes(tail));
}

absl::Status ArmorReader::Fail(std::string_view what) {
  if (status_.ok()) status_ = absl::InvalidArgumentError(std::string("age armor: ").append(what));
  done_ = true;
  return status_;
}

absl::StatusOr<std::string> ArmorReader::GetLine() {
  std::string line;
  absl::StatusOr<bool> got = in_.ReadLine(&line, kColumns * 4);
  if (!got.ok()) {
    if (absl::IsInvalidArgument(got.status())) return Fail("line too long");
    return got.status();
  }
  if (!*got && line.empty()) return Fail("unexpected end of input");
  if (!line.empty() && line.back() == '\n') line.pop_back();
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

absl::Status ArmorReader::DrainTrailing() {
  absl::StatusOr<std::string_view> rest = in_.Peek(kMaxWhitespace);
  if (!rest.ok()) return rest.status();
  if (!AllSpace(*rest)) return Fail("trailing data after the armored file");
  if (rest->size() == kMaxWhitespace) return Fail("too much trailing whitespace");
  done_ = true;
  return absl::OkStatus();
}

absl::Status ArmorReader::NextLine() {
  size_t removed = 0;
  while (!started_) {
    absl::StatusOr<std::string> line = GetLine();
    if (!line.ok()) return line.status();
    if (AllSpace(*line)) {
      removed += line->size() + 1;
      if (removed > kMaxWhitespace) return Fail("too much leading whitespace");
      continue;
    }
    if (*line != kArmorBegin) return Fail("invalid first line (expected BEGIN line)");
    started_ = true;
  }
  absl::StatusOr<std::string> line = GetLine();
  if (!line.ok()) return line.status();
  if (*line == kArmorEnd) return DrainTrailing();
  if (line->size() > kColumns) return Fail("line longer than 64 columns");
  std::optional<size_t> n = internal::Base64DecodeInto(*line, true, unread_);
  if (!n) return Fail("invalid base64 line");
  if (*n == 0) return Fail("empty line");
  unread_pos_ = 0;
  unread_len_ = *n;
  if (*n < kBytesPerLine) {
    absl::StatusOr<std::string> end = GetLine();
    if (!end.ok()) return end.status();
    if (*end != kArmorEnd) return Fail("invalid closing line (expected END line after short line)");
    return DrainTrailing();
  }
  return absl::OkStatus();
}

absl::StatusOr<size_t> ArmorReader::Read(std::span<uint8_t> out) {
  size_t done = 0;
  while (done < out.size()) {
    if (unread_pos_ < unread_len_) {
      size_t n = std::min(out.size() - done, unread_len_ - unread_pos_);
      std::memcpy(out.data() + done, unread_ + unread_pos_, n);
      unread_pos_ += n;
      done += n;
      continue;
    }
    if (!status_.ok()) break;
    if (done_) break;
    if (absl::Status s = NextLine(); !s.ok()) {
      if (status_.ok()) status_ = s;
      break;
    }
  }
  // Hand out what decoded before an error; report the error on the next call.
  if (done > 0) return done;
  if (!status_.ok()) return status_;
  return 0;
}

absl::StatusOr<bool> LooksArmored(BufferedSource& in) {
  absl::StatusOr<std::string_view> head = in.Peek(kMaxWhitespace + kArmorBegin.size());
  if (!head.ok()) return head.status();
  size_t i = 0;
  while (i < head->size() && IsSpace((*head)[i])) ++i;
  return head->substr(i).starts_with(kArmorBegin);
}

}  // namespace freehold::client
