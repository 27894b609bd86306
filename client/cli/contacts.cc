#include "client/cli/contacts.h"

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "client/core/key_fingerprint.h"
#include "client/core/keys.h"

namespace freehold::cli {
namespace {

using json = nlohmann::json;
constexpr absl::string_view kContactsFile = "contacts.json";

}  // namespace

std::string FingerprintOf(const std::string& public_key) {
  absl::StatusOr<client::X25519PublicKey> key = client::ParseRecipient(public_key);
  if (!key.ok()) return "?";
  return client::KeyFingerprint(*key);
}

absl::StatusOr<std::optional<PinnedKey>> ContactsStore::Get(const std::string& handle) const {
  absl::StatusOr<std::string> text = dir_.Read(kContactsFile);
  if (absl::IsNotFound(text.status())) return std::optional<PinnedKey>();
  if (!text.ok()) return text.status();
  json j = json::parse(*text, nullptr, false);
  if (!j.is_object()) {
    return absl::DataLossError(absl::StrCat(dir_.path(), "/contacts.json is damaged; move it away "
                                                         "and verify your contacts again"));
  }
  if (!j.contains(owner_) || !j[owner_].is_object() || !j[owner_].contains(handle)) {
    return std::optional<PinnedKey>();
  }
  const json& e = j[owner_][handle];
  if (!e.is_object() || !e.contains("public_key") || !e["public_key"].is_string()) {
    return absl::DataLossError(absl::StrCat("contacts.json: the entry of ", handle, " is damaged"));
  }
  PinnedKey k;
  k.account_id = e.value("account_id", "");
  k.public_key = e["public_key"].get<std::string>();
  k.verified = e.value("verified", false);
  k.pinned_at = e.value("pinned_at", "");
  return std::optional<PinnedKey>(std::move(k));
}

absl::Status ContactsStore::Put(const std::string& handle, const PinnedKey& key) const {
  json j = json::object();
  if (absl::StatusOr<std::string> text = dir_.Read(kContactsFile); text.ok()) {
    json old = json::parse(*text, nullptr, false);
    if (old.is_object()) j = std::move(old);
  }
  if (!j.contains(owner_) || !j[owner_].is_object()) j[owner_] = json::object();
  j[owner_][handle] = {{"account_id", key.account_id},
                       {"public_key", key.public_key},
                       {"verified", key.verified},
                       {"pinned_at", key.pinned_at.empty()
                                         ? absl::FormatTime(absl::RFC3339_sec, absl::Now(),
                                                            absl::UTCTimeZone())
                                         : key.pinned_at}};
  if (absl::Status s = dir_.Ensure(); !s.ok()) return s;
  return dir_.Write(kContactsFile, j.dump(2) + "\n");
}

absl::StatusOr<PinOutcome> ContactsStore::CheckOrPin(const std::string& handle,
                                                     const std::string& account_id,
                                                     const std::string& public_key,
                                                     std::optional<PinnedKey>* pinned) const {
  absl::StatusOr<std::optional<PinnedKey>> existing = Get(handle);
  if (!existing.ok()) return existing.status();
  if (pinned != nullptr) *pinned = *existing;
  if (!existing->has_value()) {
    PinnedKey k{account_id, public_key, false, ""};
    if (absl::Status s = Put(handle, k); !s.ok()) return s;
    return PinOutcome::kFirstUse;
  }
  const PinnedKey& p = **existing;
  if (p.public_key == public_key && (p.account_id.empty() || p.account_id == account_id)) {
    return PinOutcome::kMatches;
  }
  return PinOutcome::kChanged;
}

absl::Status ChangedKeyError(const std::string& handle, const PinnedKey& pinned,
                             const std::string& current_public_key) {
  return absl::FailedPreconditionError(absl::StrCat(
      "the public key of ", handle, " CHANGED since this device pinned it (", pinned.pinned_at,
      "): refusing to share. Pinned fingerprint: ", FingerprintOf(pinned.public_key),
      "; the accounts server now answers: ", FingerprintOf(current_public_key),
      ". A changed key may mean the server is trying to read your files. Ask ", handle,
      " (in person or on another channel) to run `freehold contacts show ", handle,
      "` and compare; only if the new fingerprint is theirs, run `freehold contacts verify ",
      handle, "`"));
}

}  // namespace freehold::cli
