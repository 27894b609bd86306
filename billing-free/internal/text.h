// String helpers for billing-free. The Debian build of Abseil keeps its own
// absl::string_view (not std::string_view), so absl::StrCat and friends do not
// accept std::string_view; these small helpers do.
#pragma once

#include <charconv>
#include <concepts>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace freehold::funding::internal {

inline void AppendPiece(std::string& out, std::string_view piece) { out.append(piece); }
template <std::integral T>
requires(!std::same_as<T, char> && !std::same_as<T, bool>) void AppendPiece(std::string& out,
                                                                            T value) {
  out.append(std::to_string(value));
}

// Doubles in their shortest round-trip form ("1.5", "inf").
inline void AppendPiece(std::string& out, double value) {
  char buffer[32];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  out.append(buffer, ec == std::errc() ? end : buffer);
}

// Concatenates strings, integers and doubles.
template <class... Pieces>
std::string Cat(const Pieces&... pieces) {
  std::string out;
  (AppendPiece(out, pieces), ...);
  return out;
}

inline std::string_view StripWhitespace(std::string_view s) {
  constexpr std::string_view kSpace = " \t\r\n\f\v";
  size_t begin = s.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) return {};
  size_t end = s.find_last_not_of(kSpace);
  return s.substr(begin, end - begin + 1);
}

inline std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (true) {
    size_t nl = text.find('\n', start);
    lines.push_back(text.substr(start, nl == std::string_view::npos ? nl : nl - start));
    if (nl == std::string_view::npos) return lines;
    start = nl + 1;
  }
}

}  // namespace freehold::funding::internal
