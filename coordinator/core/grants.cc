#include "coordinator/core/grants.h"

#include <cstring>
#include <vector>

#include "absl/strings/str_split.h"
#include "common/encoding.h"

namespace freehold::coordinator {
namespace {

struct TokenParts {
  std::string payload;
  std::string key_id;
};

absl::StatusOr<TokenParts> SplitToken(std::string_view token) {
  std::vector<absl::string_view> parts =
      absl::StrSplit(absl::string_view(token.data(), token.size()), '.');
  if (parts.size() != 3 || !IsValidKeyId(std::string(parts[1]))) {
    return absl::InvalidArgumentError("malformed receipt token");
  }
  absl::StatusOr<std::string> payload = Base64UrlDecode(std::string(parts[0]));
  if (!payload.ok()) return absl::InvalidArgumentError("malformed receipt token");
  return TokenParts{*std::move(payload), std::string(parts[1])};
}

}  // namespace

absl::StatusOr<Receipt> PeekReceipt(std::string_view token, const ClaimsCodec& codec) {
  absl::StatusOr<TokenParts> parts = SplitToken(token);
  if (!parts.ok()) return parts.status();
  return codec.DecodeReceipt(parts->payload);
}

absl::StatusOr<Receipt> VerifyReceipt(std::string_view token, std::string_view node_public_key,
                                      const ClaimsCodec& codec) {
  absl::StatusOr<TokenParts> parts = SplitToken(token);
  if (!parts.ok()) return parts.status();
  if (node_public_key.size() != 32) return absl::InternalError("node key is not 32 bytes");
  // The key id is whatever the node chose; the key bytes are what we trust.
  PublicKey key;
  key.key_id = parts->key_id;
  std::memcpy(key.key.data(), node_public_key.data(), 32);
  TokenVerifier verifier({key});
  absl::StatusOr<std::string> payload = verifier.Verify(token, kReceiptContext);
  if (!payload.ok()) return payload.status();
  return codec.DecodeReceipt(*payload);
}

}  // namespace freehold::coordinator
