#include "client/core/age_header.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "client/core/internal/encoding.h"

namespace freehold::client {
namespace {

constexpr size_t kColumns = 64;
constexpr size_t kBytesPerLine = 48;
constexpr size_t kMaxLine = 1 << 16;

absl::Status HeaderError(std::string_view what) {
  return absl::InvalidArgumentError(std::string("age header: ").append(what));
}

bool IsValidArg(std::string_view a) {
  if (a.empty()) return false;
  for (char c : a) {
    if (c < 33 || c > 126) return false;
  }
  return true;
}

std::vector<std::string_view> SplitSpaces(std::string_view s) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t sp = s.find(' ', start);
    out.push_back(s.substr(start, sp == std::string_view::npos ? sp : sp - start));
    if (sp == std::string_view::npos) break;
    start = sp + 1;
  }
  return out;
}

// Line-at-a-time input shared by ParseHeader and ReadHeader.
class LineReader {
 public:
  virtual ~LineReader() = default;
  // A complete line without its '\n'; header error at EOF or on overlong line.
  virtual absl::StatusOr<std::string_view> Next() = 0;
};

class StringLines final : public LineReader {
 public:
  explicit StringLines(std::string_view data) : data_(data) {}
  absl::StatusOr<std::string_view> Next() override {
    size_t nl = data_.find('\n', pos_);
    if (nl == std::string_view::npos) return HeaderError("truncated (missing end of line)");
    if (nl - pos_ > kMaxLine) return HeaderError("line too long");
    std::string_view line = data_.substr(pos_, nl - pos_);
    pos_ = nl + 1;
    if (pos_ > kMaxHeaderBytes) return HeaderError("header too large");
    return line;
  }
  size_t pos() const { return pos_; }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

class StreamLines final : public LineReader {
 public:
  explicit StreamLines(BufferedSource& in) : in_(in) {}
  absl::StatusOr<std::string_view> Next() override {
    absl::StatusOr<bool> got = in_.ReadLine(&line_, kMaxLine + 1);
    if (!got.ok()) {
      if (absl::IsInvalidArgument(got.status())) return HeaderError("line too long");
      return got.status();
    }
    if (!*got) return HeaderError("truncated (missing end of line)");
    total_ += line_.size();
    if (total_ > kMaxHeaderBytes) return HeaderError("header too large");
    return std::string_view(line_).substr(0, line_.size() - 1);
  }

 private:
  BufferedSource& in_;
  std::string line_;
  size_t total_ = 0;
};

absl::StatusOr<AgeHeader> Parse(LineReader& lines) {
  absl::StatusOr<std::string_view> line = lines.Next();
  if (!line.ok()) return line.status();
  if (*line != kAgeVersionLine) {
    return HeaderError("unsupported version line (expected age-encryption.org/v1)");
  }
  AgeHeader header;
  while (true) {
    line = lines.Next();
    if (!line.ok()) return line.status();
    if (line->starts_with("---")) {
      std::vector<std::string_view> parts = SplitSpaces(*line);
      if (parts.size() != 2 || parts[0] != "---") return HeaderError("malformed MAC line");
      std::optional<std::vector<uint8_t>> mac = internal::Base64Decode(parts[1], false);
      if (!mac || mac->size() != 32) return HeaderError("malformed MAC");
      std::copy(mac->begin(), mac->end(), header.mac.begin());
      return header;
    }
    if (!line->starts_with("-> ")) return HeaderError("unexpected line (expected stanza or MAC)");
    std::vector<std::string_view> parts = SplitSpaces(line->substr(3));
    Stanza stanza;
    for (std::string_view p : parts) {
      if (!IsValidArg(p)) return HeaderError("invalid stanza argument");
    }
    stanza.type = std::string(parts[0]);
    for (size_t i = 1; i < parts.size(); ++i) stanza.args.emplace_back(parts[i]);
    while (true) {
      line = lines.Next();
      if (!line.ok()) return line.status();
      if (line->size() > kColumns) return HeaderError("stanza body line longer than 64 columns");
      uint8_t buf[kBytesPerLine + 3];
      std::optional<size_t> n = internal::Base64DecodeInto(*line, false, buf);
      if (!n) return HeaderError("malformed stanza body");
      stanza.body.insert(stanza.body.end(), buf, buf + *n);
      if (*n < kBytesPerLine) break;
    }
    header.stanzas.push_back(std::move(stanza));
  }
}

}  // namespace

std::string SerializeHeaderForMac(const AgeHeader& header) {
  std::string out = std::string(kAgeVersionLine) + "\n";
  for (const Stanza& s : header.stanzas) {
    absl::StrAppend(&out, "-> ", s.type);
    for (const std::string& a : s.args) absl::StrAppend(&out, " ", a);
    out += '\n';
    std::string b64 = internal::Base64Encode(s.body, false);
    size_t i = 0;
    for (; i + kColumns <= b64.size(); i += kColumns) {
      out.append(b64, i, kColumns).append("\n");
    }
    // The final line is always short (possibly empty).
    out.append(b64, i).append("\n");
  }
  out += "---";
  return out;
}

std::string SerializeHeader(const AgeHeader& header) {
  return absl::StrCat(SerializeHeaderForMac(header), " ", internal::Base64Encode(header.mac, false),
                      "\n");
}

absl::StatusOr<AgeHeader> ParseHeader(std::string_view data, size_t* consumed) {
  StringLines lines(data);
  absl::StatusOr<AgeHeader> h = Parse(lines);
  if (h.ok() && consumed != nullptr) *consumed = lines.pos();
  return h;
}

absl::StatusOr<AgeHeader> ReadHeader(BufferedSource& in) {
  StreamLines lines(in);
  return Parse(lines);
}

}  // namespace freehold::client
