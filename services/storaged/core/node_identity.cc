#include "services/storaged/core/node_identity.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/config.h"
#include "common/encoding.h"
#include "common/secure_compare.h"
#include "common/status.h"
#include "services/storaged/core/internal/files.h"

namespace freehold::storaged {

std::string NewUuid() {
  std::string b = RandomBytes(16);
  b[6] = static_cast<char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<char>((b[8] & 0x3f) | 0x80);
  const std::string h = HexEncode(b);
  return absl::StrCat(h.substr(0, 8), "-", h.substr(8, 4), "-", h.substr(12, 4), "-",
                      h.substr(16, 4), "-", h.substr(20, 12));
}

bool IsUuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

absl::StatusOr<NodeIdentity> LoadOrCreateNodeIdentity(const std::string& data_dir) {
  const std::string id_path = data_dir + "/node_id";
  const std::string key_path = data_dir + "/node.key";
  std::error_code ec;
  const bool have_id = std::filesystem::exists(id_path, ec);
  const bool have_key = std::filesystem::exists(key_path, ec);
  if (have_id != have_key) {
    return absl::FailedPreconditionError(
        absl::StrCat("data directory ", data_dir, " has ", have_id ? id_path : key_path,
                     " but not ", have_id ? key_path : id_path,
                     "; restore the missing file or start with an empty directory"));
  }
  NodeIdentity identity;
  if (!have_id) {
    identity.node_id = NewUuid();
    FH_ASSIGN_OR_RETURN(identity.key, GenerateSigningKey(identity.node_id));
    // Key first: a crash between the two leaves a key without id, reported above.
    FH_RETURN_IF_ERROR(SaveSigningKey(identity.key, key_path));
    FH_RETURN_IF_ERROR(internal::WriteFileAtomically(id_path, identity.node_id + "\n", 0600));
    return identity;
  }
  FH_ASSIGN_OR_RETURN(std::string id_text, internal::ReadSmallFile(id_path, 4096));
  identity.node_id = std::string(absl::StripAsciiWhitespace(id_text));
  if (!IsUuid(identity.node_id)) {
    return absl::FailedPreconditionError(absl::StrCat(id_path, " does not hold a UUID"));
  }
  FH_ASSIGN_OR_RETURN(identity.key, LoadSigningKey(key_path));
  if (identity.key.key_id != identity.node_id) {
    return absl::FailedPreconditionError(absl::StrCat(key_path, " has key id ", identity.key.key_id,
                                                      " but ", id_path, " says ",
                                                      identity.node_id));
  }
  return identity;
}

}  // namespace freehold::storaged
