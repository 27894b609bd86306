#include "coordinator/core/grant_keys.h"

#include <sys/stat.h>

#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "coordinator/core/internal/key_files.h"

namespace freehold::coordinator {

absl::StatusOr<SigningKey> LoadOrCreateGrantKey(const std::string& data_dir,
                                                const std::string& public_keys_out) {
  if (::mkdir(data_dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return absl::PermissionDeniedError(absl::StrCat("cannot create --data-dir ", data_dir));
  }
  const std::string key_path = data_dir + "/coordinator.key";
  const std::string pub_path = data_dir + "/coordinator.pub";
  SigningKey key;
  struct stat st;
  if (::stat(key_path.c_str(), &st) == 0) {
    FH_ASSIGN_OR_RETURN(key, LoadSigningKey(key_path));
  } else {
    FH_ASSIGN_OR_RETURN(key, GenerateSigningKey());
    FH_RETURN_IF_ERROR(SaveSigningKey(key, key_path));
  }
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
  return key;
}

}  // namespace freehold::coordinator
