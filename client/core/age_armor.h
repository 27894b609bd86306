// age ASCII armor: "-----BEGIN AGE ENCRYPTED FILE-----", standard padded
// base64 in 64-column lines, "-----END AGE ENCRYPTED FILE-----".
//
// Contracts:
//  - ArmorWriter (ByteSink) writes the armored form of everything written to
//    it; Close writes the last line and the END line (it does not Close the
//    downstream sink).
//  - ArmorReader (ByteSource) decodes strictly like the reference: optional
//    whitespace-only lines before BEGIN and whitespace after END (each at most
//    1 KiB), LF or CRLF line endings, every line but the last exactly 64
//    columns, canonical padded base64, nothing else. Errors are
//    INVALID_ARGUMENT "age armor: ..." and sticky; status() reports the first.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "client/core/byte_io.h"

namespace freehold::client {

inline constexpr std::string_view kArmorBegin = "-----BEGIN AGE ENCRYPTED FILE-----";
inline constexpr std::string_view kArmorEnd = "-----END AGE ENCRYPTED FILE-----";

class ArmorWriter final : public ByteSink {
 public:
  explicit ArmorWriter(ByteSink& out) : out_(out) {}
  absl::Status Write(std::span<const uint8_t> data) override;
  absl::Status Close() override;

 private:
  absl::Status Start();
  ByteSink& out_;
  bool started_ = false, closed_ = false;
  uint8_t pending_[48];
  size_t pending_len_ = 0;
  std::string line_buf_;
};

class ArmorReader final : public ByteSource {
 public:
  explicit ArmorReader(BufferedSource& in) : in_(in) {}
  absl::StatusOr<size_t> Read(std::span<uint8_t> out) override;
  const absl::Status& status() const { return status_; }

 private:
  absl::Status Fail(std::string_view what);
  absl::StatusOr<std::string> GetLine();
  absl::Status DrainTrailing();
  absl::Status NextLine();  // decodes one more line into unread_, or sets done_

  BufferedSource& in_;
  bool started_ = false, done_ = false;
  absl::Status status_;
  uint8_t unread_[64];
  size_t unread_pos_ = 0, unread_len_ = 0;
};

// True if the input (after optional whitespace) starts with kArmorBegin.
// Does not consume anything.
absl::StatusOr<bool> LooksArmored(BufferedSource& in);

}  // namespace freehold::client
