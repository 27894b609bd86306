#include "coordinator/core/grant_keys.h"

#include <sys/stat.h>

#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "coordinator/core/internal/key_files.h"

namespace freehold::coordinator {

namespace {

absl::Status MakeDataDir(const std::string& data_dir) {
  if (::mkdir(data_dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return absl::PermissionDeniedError(absl::StrCat("cannot create --data-dir ", data_dir));
  }
  return absl::OkStatus();
}

// Writes coordinator.pub (and public_keys_out): `key` first, then every other key
// already listed in coordinator.pub.
absl::Status PublishGrantKey(const SigningKey& key, const std::string& data_dir,
                             const std::string& public_keys_out) {
  const std::string pub_path = data_dir + "/coordinator.pub";
  std::vector<PublicKey> keys = {key.Public()};
  if (absl::StatusOr<std::vector<PublicKey>> old = internal::LoadPublicKeysFile(pub_path);
      old.ok()) {
    for (const PublicKey& k : *old) {
      if (k.key_id != key.key_id) keys.push_back(k);
    }
  }
  FH_RETURN_IF_ERROR(internal::WritePublicKeysFile(pub_path, keys));
  if (!public_keys_out.empty()) {
    FH_RETURN_IF_ERROR(internal::WritePublicKeysFile(public_keys_out, keys));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<SigningKey> LoadOrCreateGrantKey(const std::string& data_dir,
                                                const std::string& public_keys_out) {
  FH_RETURN_IF_ERROR(MakeDataDir(data_dir));
  const std::string key_path = data_dir + "/coordinator.key";
  SigningKey key;
  struct stat st;
  if (::stat(key_path.c_str(), &st) == 0) {
    FH_ASSIGN_OR_RETURN(key, LoadSigningKey(key_path));
  } else {
    FH_ASSIGN_OR_RETURN(key, GenerateSigningKey());
    FH_RETURN_IF_ERROR(SaveSigningKey(key, key_path));
  }
  FH_RETURN_IF_ERROR(PublishGrantKey(key, data_dir, public_keys_out));
  return key;
}

absl::StatusOr<SigningKey> LoadGrantKeyFile(const std::string& key_file,
                                            const std::string& data_dir,
                                            const std::string& public_keys_out) {
  FH_RETURN_IF_ERROR(MakeDataDir(data_dir));
  absl::StatusOr<SigningKey> key = LoadSigningKey(key_file);
  if (!key.ok()) {
    return absl::Status(key.status().code(),
                        absl::StrCat("--grant-key-file: ", key.status().message()));
  }
  FH_RETURN_IF_ERROR(PublishGrantKey(*key, data_dir, public_keys_out));
  return key;
}

absl::StatusOr<std::optional<SigningKey>> ReloadGrantKeyFile(const std::string& key_file,
                                                             const PublicKey& current,
                                                             const std::string& data_dir,
                                                             const std::string& public_keys_out) {
  absl::StatusOr<SigningKey> key = LoadSigningKey(key_file);
  if (!key.ok()) {
    return absl::Status(key.status().code(),
                        absl::StrCat("--grant-key-file: ", key.status().message()));
  }
  const PublicKey next = key->Public();
  if (next.key_id == current.key_id && next.key == current.key) {
    return std::optional<SigningKey>();
  }
  FH_RETURN_IF_ERROR(PublishGrantKey(*key, data_dir, public_keys_out));
  return std::optional<SigningKey>(*std::move(key));
}

}  // namespace freehold::coordinator
