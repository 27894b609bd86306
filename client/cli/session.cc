#include "client/cli/session.h"

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "common/encoding.h"

namespace freehold::cli {
namespace {

using nlohmann::json;

constexpr absl::string_view kSessionFile = "session.json";
constexpr absl::string_view kIdentityFile = "identity";
constexpr absl::string_view kSharesFile = "shares.json";

std::string B64(const std::vector<uint8_t>& bytes) {
  return Base64Encode(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

absl::StatusOr<std::vector<uint8_t>> UnB64(const json& j, const char* field) {
  if (!j.contains(field) || !j[field].is_string()) {
    return absl::InvalidArgumentError(absl::StrCat("session file: missing field ", field));
  }
  absl::StatusOr<std::string> raw = Base64Decode(j[field].get<std::string>());
  if (!raw.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("session file: field ", field, " is not base64"));
  }
  return std::vector<uint8_t>(raw->begin(), raw->end());
}

}  // namespace

std::string SessionToJson(const Session& s) {
  json j;
  j["version"] = 1;
  j["accounts_address"] = s.accounts_address;
  j["coordinator_address"] = s.coordinator_address;
  j["account_id"] = s.account_id;
  j["handle"] = s.handle;
  j["public_key"] = s.public_key;
  j["session_id"] = s.session_id;
  j["access_token"] = s.access_token;
  j["access_expires_unix"] = absl::ToUnixSeconds(s.access_expires_at);
  j["refresh_token"] = s.refresh_token;
  j["refresh_expires_unix"] = absl::ToUnixSeconds(s.refresh_expires_at);
  j["password_salt"] = B64(s.password_salt);
  j["kdf_ops_limit"] = s.kdf.opslimit;
  j["kdf_mem_limit_bytes"] = s.kdf.memlimit;
  j["wrapped_identity"] = B64(s.wrapped_identity);
  return j.dump(2) + "\n";
}

absl::StatusOr<Session> SessionFromJson(absl::string_view text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError("session file: not a JSON object");
  }
  Session s;
  auto str = [&](const char* field, std::string* out) -> absl::Status {
    if (!j.contains(field) || !j[field].is_string()) {
      return absl::InvalidArgumentError(absl::StrCat("session file: missing field ", field));
    }
    *out = j[field].get<std::string>();
    return absl::OkStatus();
  };
  auto num = [&](const char* field, int64_t* out) -> absl::Status {
    if (!j.contains(field) || !j[field].is_number_integer()) {
      return absl::InvalidArgumentError(absl::StrCat("session file: missing field ", field));
    }
    *out = j[field].get<int64_t>();
    return absl::OkStatus();
  };
  int64_t access_exp = 0, refresh_exp = 0, ops = 0, mem = 0;
  for (absl::Status st :
       {str("accounts_address", &s.accounts_address),
        str("coordinator_address", &s.coordinator_address), str("account_id", &s.account_id),
        str("handle", &s.handle), str("public_key", &s.public_key),
        str("session_id", &s.session_id), str("access_token", &s.access_token),
        str("refresh_token", &s.refresh_token), num("access_expires_unix", &access_exp),
        num("refresh_expires_unix", &refresh_exp), num("kdf_ops_limit", &ops),
        num("kdf_mem_limit_bytes", &mem)}) {
    if (!st.ok()) return st;
  }
  s.access_expires_at = absl::FromUnixSeconds(access_exp);
  s.refresh_expires_at = absl::FromUnixSeconds(refresh_exp);
  s.kdf.opslimit = static_cast<uint64_t>(ops);
  s.kdf.memlimit = static_cast<uint64_t>(mem);
  absl::StatusOr<std::vector<uint8_t>> salt = UnB64(j, "password_salt");
  if (!salt.ok()) return salt.status();
  s.password_salt = *std::move(salt);
  absl::StatusOr<std::vector<uint8_t>> wrapped = UnB64(j, "wrapped_identity");
  if (!wrapped.ok()) return wrapped.status();
  s.wrapped_identity = *std::move(wrapped);
  return s;
}

absl::StatusOr<std::optional<Session>> SessionStore::Load() const {
  absl::StatusOr<std::string> text = dir_.Read(kSessionFile);
  if (absl::IsNotFound(text.status())) return std::optional<Session>();
  if (!text.ok()) return text.status();
  absl::StatusOr<Session> s = SessionFromJson(*text);
  if (!s.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        s.status().message(), " (", dir_.File(kSessionFile), "): run `freehold login` again"));
  }
  return std::optional<Session>(*std::move(s));
}

absl::Status SessionStore::Save(const Session& session) const {
  return dir_.Write(kSessionFile, SessionToJson(session));
}

absl::Status SessionStore::Clear() const {
  for (absl::string_view f : {kSessionFile, kIdentityFile, kSharesFile}) {
    if (absl::Status s = dir_.Remove(f); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<client::X25519Identity>> SessionStore::LoadRememberedIdentity() const {
  absl::StatusOr<std::string> text = dir_.Read(kIdentityFile);
  if (absl::IsNotFound(text.status())) return std::optional<client::X25519Identity>();
  if (!text.ok()) return text.status();
  client::SecretBytes secret = client::SecretBytes::CopyOf(*text);
  std::fill(text->begin(), text->end(), '\0');
  std::string_view v = secret.view();
  while (!v.empty() && (v.back() == '\n' || v.back() == '\r' || v.back() == ' ')) {
    v.remove_suffix(1);
  }
  absl::StatusOr<client::X25519Identity> id = client::ParseIdentity(v);
  if (!id.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat(dir_.File(kIdentityFile), " does not hold a valid identity: remove it"));
  }
  return std::optional<client::X25519Identity>(*std::move(id));
}

absl::Status SessionStore::RememberIdentity(const client::X25519Identity& identity) const {
  client::SecretBytes encoded = identity.Encode();
  std::string text(encoded.view());
  text.push_back('\n');
  absl::Status s = dir_.Write(kIdentityFile, text);
  std::fill(text.begin(), text.end(), '\0');
  return s;
}

absl::StatusOr<std::vector<std::string>> SessionStore::SharesOf(
    const std::string& object_id) const {
  absl::StatusOr<std::string> text = dir_.Read(kSharesFile);
  if (absl::IsNotFound(text.status())) return std::vector<std::string>();
  if (!text.ok()) return text.status();
  json j = json::parse(*text, nullptr, false);
  std::vector<std::string> out;
  if (j.is_object() && j.contains(object_id) && j[object_id].is_array()) {
    for (const json& v : j[object_id]) {
      if (v.is_string()) out.push_back(v.get<std::string>());
    }
  }
  return out;
}

absl::Status SessionStore::RecordShares(const std::string& object_id,
                                        const std::vector<std::string>& account_ids) const {
  json j = json::object();
  if (absl::StatusOr<std::string> text = dir_.Read(kSharesFile); text.ok()) {
    json old = json::parse(*text, nullptr, false);
    if (old.is_object()) j = std::move(old);
  }
  j[object_id] = account_ids;
  return dir_.Write(kSharesFile, j.dump(2) + "\n");
}

}  // namespace freehold::cli
