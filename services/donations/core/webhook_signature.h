// Timestamped HMAC-SHA256 webhook signatures (the scheme Stripe uses):
//   header  "t=<unix seconds>,v1=<hex mac>[,v1=<hex mac>...][,v0=...]"
//   mac     HMAC-SHA256(key = secret bytes as given, message = "<t>." + raw body)
// The raw body is the bytes exactly as received, never a re-serialization.
// Several secrets may be active at once (rotation): a delivery is authentic if any v1
// matches any active secret. MACs are compared in constant time.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace freehold::donations {

// The active signing secrets of one provider. Owns copies and zeroes them on
// destruction. Immutable, thread-safe.
class WebhookSecrets {
 public:
  explicit WebhookSecrets(std::vector<std::string> secrets);
  ~WebhookSecrets();
  WebhookSecrets(const WebhookSecrets&) = delete;
  WebhookSecrets& operator=(const WebhookSecrets&) = delete;

  bool empty() const { return secrets_.empty(); }
  size_t size() const { return secrets_.size(); }
  const std::vector<std::string>& secrets() const { return secrets_; }

 private:
  std::vector<std::string> secrets_;
};

// Most secrets one file may list, and the longest secret accepted (Stripe's are ~40).
inline constexpr size_t kMaxWebhookSecrets = 16;
inline constexpr size_t kMaxWebhookSecretBytes = 1024;

// The --stripe-webhook-secrets-file text: one secret per line (white space around it
// ignored), blank lines and lines starting with '#' skipped. Several secrets = a
// rotation in progress: deliveries signed with any of them are accepted.
// INVALID_ARGUMENT naming `source` and the line (never the secret) when a line holds
// white space inside, is longer than kMaxWebhookSecretBytes, repeats another, or the
// file lists no secret or more than kMaxWebhookSecrets.
absl::StatusOr<std::vector<std::string>> ParseWebhookSecretsFile(absl::string_view text,
                                                                 absl::string_view source);

struct SignatureHeader {
  int64_t timestamp = 0;
  std::vector<std::string> v1;  // decoded MACs (32 bytes each); other schemes ignored
};

// UNAUTHENTICATED if the header is malformed or has no t= or no v1= entry.
absl::StatusOr<SignatureHeader> ParseSignatureHeader(absl::string_view header);

// Raw 32-byte HMAC-SHA256 (libsodium).
std::string HmacSha256(absl::string_view key, absl::string_view message);

// The header value a sender would produce with `secret` (for tests and the benchmark):
// "t=<timestamp>,v1=<hex>".
std::string SignPayload(absl::string_view secret, int64_t timestamp, absl::string_view body);

// Checks `header` against `body`:
//   UNAUTHENTICATED      malformed header, or no v1 MAC matches any secret
//   FAILED_PRECONDITION  authentic, but |now - t| > tolerance (replay / stale delivery)
absl::Status VerifySignature(absl::string_view header, absl::string_view body,
                             const WebhookSecrets& secrets, absl::Time now,
                             absl::Duration tolerance);

}  // namespace freehold::donations
