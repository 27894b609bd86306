#include "client/core/age_file.h"

#include <sodium.h>

#include <cstdlib>

#include "client/core/age_armor.h"
#include "client/core/age_stream.h"
#include "client/core/internal/hkdf.h"

namespace freehold::client {
namespace {

bool HasScrypt(std::span<const Stanza> stanzas) {
  for (const Stanza& s : stanzas) {
    if (s.type == "scrypt") return true;
  }
  return false;
}

absl::StatusOr<std::vector<Stanza>> WrapAll(const SecretBytes& file_key,
                                            std::span<const AgeRecipient* const> recipients) {
  std::vector<Stanza> out;
  for (const AgeRecipient* r : recipients) {
    absl::StatusOr<std::vector<Stanza>> st = r->Wrap(file_key);
    if (!st.ok()) return st.status();
    for (Stanza& s : *st) out.push_back(std::move(s));
  }
  return out;
}

}  // namespace

SecretBytes GenerateFileKey() { return SecretBytes::Random(kFileKeyBytes); }

std::array<uint8_t, 32> ComputeHeaderMac(const SecretBytes& file_key, const AgeHeader& header) {
  SecretBytes key = internal::HkdfSha256(file_key.span(), {}, "header", 32);
  return internal::HmacSha256(key.span(), AsBytes(SerializeHeaderForMac(header)));
}

absl::StatusOr<AgeHeader> BuildHeader(const SecretBytes& file_key,
                                      std::span<const AgeRecipient* const> recipients) {
  if (recipients.empty()) return absl::InvalidArgumentError("recipients: at least one required");
  absl::StatusOr<std::vector<Stanza>> stanzas = WrapAll(file_key, recipients);
  if (!stanzas.ok()) return stanzas.status();
  if (HasScrypt(*stanzas) && stanzas->size() != 1) {
    return absl::InvalidArgumentError("recipients: a passphrase (scrypt) recipient must be alone");
  }
  AgeHeader header;
  header.stanzas = std::move(*stanzas);
  header.mac = ComputeHeaderMac(file_key, header);
  return header;
}

absl::StatusOr<NewAgeFile> NewFileHeader(std::span<const AgeRecipient* const> recipients) {
  SecretBytes key = GenerateFileKey();
  absl::StatusOr<AgeHeader> header = BuildHeader(key, recipients);
  if (!header.ok()) return header.status();
  return NewAgeFile{std::move(*header), std::move(key)};
}

absl::StatusOr<SecretBytes> UnwrapFileKey(const AgeHeader& header,
                                          std::span<const AgeIdentity* const> identities) {
  if (HasScrypt(header.stanzas) && header.stanzas.size() != 1) {
    return absl::InvalidArgumentError("age header: an scrypt stanza must be the only stanza");
  }
  for (const AgeIdentity* id : identities) {
    absl::StatusOr<SecretBytes> key = id->Unwrap(header.stanzas);
    if (absl::IsNotFound(key.status())) continue;
    if (!key.ok()) return key.status();
    std::array<uint8_t, 32> mac = ComputeHeaderMac(*key, header);
    if (sodium_memcmp(mac.data(), header.mac.data(), mac.size()) != 0) {
      return absl::DataLossError("age header: MAC mismatch (header altered)");
    }
    return key;
  }
  return absl::PermissionDeniedError("age: no identity matches any recipient stanza");
}

absl::StatusOr<AgeHeader> AddRecipients(const AgeHeader& header,
                                        std::span<const AgeIdentity* const> opener,
                                        std::span<const AgeRecipient* const> added) {
  absl::StatusOr<SecretBytes> key = UnwrapFileKey(header, opener);
  if (!key.ok()) return key.status();
  absl::StatusOr<std::vector<Stanza>> stanzas = WrapAll(*key, added);
  if (!stanzas.ok()) return stanzas.status();
  if (HasScrypt(header.stanzas) || HasScrypt(*stanzas)) {
    return absl::InvalidArgumentError(
        "recipients: cannot add recipients next to a passphrase (scrypt) stanza");
  }
  AgeHeader out = header;
  for (Stanza& s : *stanzas) out.stanzas.push_back(std::move(s));
  out.mac = ComputeHeaderMac(*key, out);
  return out;
}

absl::StatusOr<PublicLink> AddPublicLink(const AgeHeader& header,
                                         std::span<const AgeIdentity* const> opener) {
  X25519Identity link = X25519Identity::Generate();
  X25519Recipient r(link.public_key());
  const AgeRecipient* added[] = {&r};
  absl::StatusOr<AgeHeader> h = AddRecipients(header, opener, added);
  if (!h.ok()) return h.status();
  return PublicLink{std::move(link), std::move(*h)};
}

absl::Status EncryptFile(std::span<const AgeRecipient* const> recipients, ByteSource& plaintext,
                         ByteSink& out, const EncryptOptions& options) {
  absl::StatusOr<NewAgeFile> file = NewFileHeader(recipients);
  if (!file.ok()) return file.status();
  std::unique_ptr<ArmorWriter> armor;
  ByteSink* sink = &out;
  if (options.armor) {
    armor = std::make_unique<ArmorWriter>(out);
    sink = armor.get();
  }
  if (absl::Status s = sink->Write(AsBytes(SerializeHeader(file->header))); !s.ok()) return s;
  absl::StatusOr<std::unique_ptr<StreamEncryptor>> enc =
      StreamEncryptor::Create(file->file_key, *sink, options.backend);
  if (!enc.ok()) return enc.status();
  if (absl::StatusOr<uint64_t> n = Pump(plaintext, **enc, 1 << 20); !n.ok()) return n.status();
  if (absl::Status s = (*enc)->Close(); !s.ok()) return s;
  return armor ? armor->Close() : absl::OkStatus();
}

absl::Status DecryptFile(std::span<const AgeIdentity* const> identities, ByteSource& in,
                         ByteSink& plaintext, bulk::Backend backend) {
  BufferedSource raw(in);
  absl::StatusOr<bool> armored = LooksArmored(raw);
  if (!armored.ok()) return armored.status();
  std::unique_ptr<ArmorReader> dearmor;
  std::unique_ptr<BufferedSource> dearmored;
  BufferedSource* src = &raw;
  if (*armored) {
    dearmor = std::make_unique<ArmorReader>(raw);
    dearmored = std::make_unique<BufferedSource>(*dearmor);
    src = dearmored.get();
  }
  absl::StatusOr<AgeHeader> header = ReadHeader(*src);
  if (!header.ok())
    return (dearmor && !dearmor->status().ok()) ? dearmor->status() : header.status();
  absl::StatusOr<SecretBytes> key = UnwrapFileKey(*header, identities);
  if (!key.ok()) return key.status();
  absl::StatusOr<std::unique_ptr<StreamDecryptor>> dec =
      StreamDecryptor::Create(*key, plaintext, backend);
  if (!dec.ok()) return dec.status();
  absl::StatusOr<uint64_t> n = Pump(*src, **dec, 1 << 20);
  if (!n.ok()) return n.status();
  return (*dec)->Close();
}

}  // namespace freehold::client
