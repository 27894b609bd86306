// Hex and base64 encodings on top of libsodium.
#include "common/encoding.h"

#include <sodium.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace freehold {
namespace {

std::string Base64EncodeVariant(std::string_view bytes, int variant) {
  if (bytes.empty()) return "";
  const size_t max_len = sodium_base64_encoded_len(bytes.size(), variant);
  std::string out(max_len, '\0');
  sodium_bin2base64(out.data(), max_len, reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), variant);
  out.resize(strnlen(out.data(), max_len));
  return out;
}

absl::StatusOr<std::string> Base64DecodeVariant(std::string_view text, int variant,
                                                const char* what) {
  if (text.empty()) return std::string();
  std::string out(text.size() * 3 / 4 + 3, '\0');
  size_t out_len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), /*ignore=*/nullptr, &out_len, &end, variant) != 0 ||
      end != text.data() + text.size()) {
    return absl::InvalidArgumentError(absl::StrCat("invalid ", what, " text"));
  }
  out.resize(out_len);
  return out;
}

}  // namespace

std::string HexEncode(std::string_view bytes) {
  std::string out(bytes.size() * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                 bytes.size());
  out.pop_back();
  return out;
}

absl::StatusOr<std::string> HexDecode(std::string_view hex) {
  if (hex.size() % 2 != 0) return absl::InvalidArgumentError("hex text has odd length");
  std::string out(hex.size() / 2, '\0');
  size_t out_len = 0;
  const char* end = nullptr;
  if (!hex.empty() && (sodium_hex2bin(reinterpret_cast<unsigned char*>(out.data()), out.size(),
                                      hex.data(), hex.size(), nullptr, &out_len, &end) != 0 ||
                       end != hex.data() + hex.size() || out_len != out.size())) {
    return absl::InvalidArgumentError("invalid hex text");
  }
  return out;
}

std::string Base64UrlEncode(std::string_view bytes) {
  return Base64EncodeVariant(bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

absl::StatusOr<std::string> Base64UrlDecode(std::string_view text) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  return Base64DecodeVariant(text, sodium_base64_VARIANT_URLSAFE_NO_PADDING, "base64url");
}

std::string Base64Encode(std::string_view bytes) {
  return Base64EncodeVariant(bytes, sodium_base64_VARIANT_ORIGINAL);
}

absl::StatusOr<std::string> Base64Decode(std::string_view text) {
  return Base64DecodeVariant(text, sodium_base64_VARIANT_ORIGINAL, "base64");
}

}  // namespace freehold
