// Timestamped HMAC-SHA256 webhook signatures (see webhook_signature.h).
#include "services/donations/core/webhook_signature.h"

#include <sodium.h>

#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/encoding.h"
#include "common/secure_compare.h"

namespace freehold::donations {

WebhookSecrets::WebhookSecrets(std::vector<std::string> secrets) : secrets_(std::move(secrets)) {}

WebhookSecrets::~WebhookSecrets() {
  for (std::string& s : secrets_) SecureZero(s);
}

absl::StatusOr<std::vector<std::string>> ParseWebhookSecretsFile(absl::string_view text,
                                                                 absl::string_view source) {
  std::vector<std::string> secrets;
  int line_no = 0;
  auto bad = [&](absl::string_view why) {
    for (std::string& s : secrets) SecureZero(s);
    return absl::InvalidArgumentError(absl::StrCat(source, " line ", line_no, ": ", why));
  };
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line.front() == '#') continue;
    if (line.size() > kMaxWebhookSecretBytes) return bad("secret too long");
    for (char c : line) {
      if (absl::ascii_isspace(static_cast<unsigned char>(c)) || absl::ascii_iscntrl(c)) {
        return bad("one secret per line, without white space");
      }
    }
    for (const std::string& s : secrets) {
      if (SecureEquals(s, std::string_view(line.data(), line.size()))) {
        return bad("secret repeated");
      }
    }
    if (secrets.size() == kMaxWebhookSecrets) {
      return bad(absl::StrCat("more than ", kMaxWebhookSecrets, " secrets"));
    }
    secrets.emplace_back(line);
  }
  if (secrets.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(source, " lists no secret"));
  }
  return secrets;
}

absl::StatusOr<SignatureHeader> ParseSignatureHeader(absl::string_view header) {
  SignatureHeader out;
  bool have_t = false;
  if (header.size() > 4096) return absl::UnauthenticatedError("signature header too long");
  for (absl::string_view part : absl::StrSplit(header, ',')) {
    part = absl::StripAsciiWhitespace(part);
    size_t eq = part.find('=');
    if (eq == absl::string_view::npos) continue;
    absl::string_view key = part.substr(0, eq);
    absl::string_view value = part.substr(eq + 1);
    if (key == "t") {
      if (!absl::SimpleAtoi(value, &out.timestamp) || out.timestamp <= 0) {
        return absl::UnauthenticatedError("signature header has a malformed timestamp");
      }
      have_t = true;
    } else if (key == "v1") {
      auto mac = HexDecode(std::string(value));
      // A malformed v1 entry simply cannot match; keep looking at the others.
      if (mac.ok() && mac->size() == crypto_auth_hmacsha256_BYTES) out.v1.push_back(*mac);
    }
  }
  if (!have_t) return absl::UnauthenticatedError("signature header has no timestamp (t=)");
  if (out.v1.empty()) return absl::UnauthenticatedError("signature header has no v1 signature");
  return out;
}

std::string HmacSha256(absl::string_view key, absl::string_view message) {
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(key.data()),
                              key.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(message.data()),
                                message.size());
  std::string mac(crypto_auth_hmacsha256_BYTES, '\0');
  crypto_auth_hmacsha256_final(&state, reinterpret_cast<unsigned char*>(mac.data()));
  sodium_memzero(&state, sizeof(state));
  return mac;
}

std::string SignPayload(absl::string_view secret, int64_t timestamp, absl::string_view body) {
  std::string message = absl::StrCat(timestamp, ".", body);
  return absl::StrCat("t=", timestamp, ",v1=", HexEncode(HmacSha256(secret, message)));
}

absl::Status VerifySignature(absl::string_view header, absl::string_view body,
                             const WebhookSecrets& secrets, absl::Time now,
                             absl::Duration tolerance) {
  absl::StatusOr<SignatureHeader> parsed = ParseSignatureHeader(header);
  if (!parsed.ok()) return parsed.status();
  std::string message = absl::StrCat(parsed->timestamp, ".", body);
  bool match = false;
  for (const std::string& secret : secrets.secrets()) {
    std::string expected = HmacSha256(secret, message);
    for (const std::string& candidate : parsed->v1) {
      // No early exit: every pair is compared, in constant time.
      match |= SecureEquals(expected, candidate);
    }
    SecureZero(expected);
  }
  if (!match) {
    return absl::UnauthenticatedError(
        "no v1 signature matches an active webhook secret for this timestamp and body");
  }
  absl::Duration skew = absl::AbsDuration(now - absl::FromUnixSeconds(parsed->timestamp));
  if (skew > tolerance) {
    return absl::FailedPreconditionError(
        absl::StrCat("signature timestamp is ", absl::FormatDuration(skew),
                     " away from now, outside the tolerance of ", absl::FormatDuration(tolerance),
                     " (replayed or stale delivery)"));
  }
  return absl::OkStatus();
}

}  // namespace freehold::donations
