#include "client/core/org_keys.h"

#include <array>

#include "client/core/age_file.h"
#include "client/core/age_recipients.h"
#include "client/core/byte_io.h"
#include "client/core/secret_bytes.h"

namespace freehold::client {

absl::StatusOr<std::string> WrapOrgIdentity(const X25519Identity& org,
                                            std::string_view member_recipient) {
  absl::StatusOr<X25519PublicKey> key = ParseRecipient(member_recipient);
  if (!key.ok()) return absl::InvalidArgumentError("member recipient: not an age1 recipient");
  X25519Recipient recipient(*key);
  const std::array<const AgeRecipient*, 1> recipients = {&recipient};
  SecretBytes text = org.Encode();
  SpanSource in(text.span());
  std::string out;
  StringSink sink(&out);
  absl::Status s = EncryptFile(recipients, in, sink);
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<X25519Identity> UnwrapOrgIdentity(std::string_view wrapped,
                                                 const X25519Identity& member) {
  X25519AgeIdentity identity(member.Clone());
  const std::array<const AgeIdentity*, 1> identities = {&identity};
  SpanSource in(wrapped);
  std::string plain;
  StringSink sink(&plain);
  absl::Status s = DecryptFile(identities, in, sink);
  SecretBytes text = SecretBytes::CopyOf(plain);
  std::fill(plain.begin(), plain.end(), '\0');
  if (!s.ok()) return s;
  absl::StatusOr<X25519Identity> org = ParseIdentity(text.view());
  if (!org.ok()) return absl::InvalidArgumentError("wrapped key: not an age identity");
  return org;
}

}  // namespace freehold::client
