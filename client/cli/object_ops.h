// Steps shared by the object commands: the decrypted listing, resolving an
// ID or a file name to an object id, opening an object's age header, and
// downloading an object's payload (decrypted or raw) to a sink.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "client/cli/context.h"
#include "client/cli/coordinator_api.h"
#include "client/core/byte_io.h"
#include "client/core/keys.h"
#include "client/core/metadata.h"
#include "client/core/naming_keys.h"
#include "client/core/secret_bytes.h"

namespace freehold::cli {

struct ListedObject {
  v1::ObjectSummary summary;
  // Decrypted name/size/times; nullopt when it does not open with our key
  // (objects shared with us by another account).
  std::optional<client::FileMetadata> metadata;
  // For an object we own whose metadata is refused (OpenSummaryMetadata's
  // DATA_LOSS): why. Empty otherwise.
  std::string metadata_error;
  bool legacy_metadata = false;  // version 1 blob (not bound): to migrate
  uint64_t plaintext_size = 0;   // from the payload size
  std::string DisplayName() const;
};

// The decrypted metadata of an object (docs/PROTOCOL.md 5.7). For an object we
// own, a version 2 blob must open with the object's own id: DATA_LOSS naming
// the object otherwise (the server swapped or altered it: refused). For an
// object shared with us: PERMISSION_DENIED (only its owner reads its name).
// A version 1 blob (stored before binding) still opens; `version` says so.
absl::StatusOr<client::OpenedMetadata> OpenSummaryMetadata(const client::SecretBytes& key,
                                                           const v1::ObjectSummary& summary);
// The same with every generation of `keys` in turn, newest first (an organization's
// names after a rotation, client/core/naming_keys.h); the first that opens wins and
// `*generation` (if given) is its index. All failing: the newest generation's answer.
absl::StatusOr<client::OpenedMetadata> OpenSummaryMetadata(const client::NamingKeys& keys,
                                                           const v1::ObjectSummary& summary,
                                                           size_t* generation = nullptr);

// Re-seals the version 1 metadata of the owned objects among `summaries` as
// version 2, bound to each object (UpdateMetadata, compare-and-swap on the old
// blob; an object changed meanwhile is skipped). Returns how many were migrated.
absl::StatusOr<int> MigrateLegacyMetadata(CoordinatorApi& coordinator,
                                          const client::SecretBytes& key,
                                          const std::vector<const v1::ObjectSummary*>& summaries);

// Every object the user owns or that is shared with them, names decrypted,
// sorted by name. `older`: further naming generations to try (org mode:
// Context::ExtraIdentities; duplicates of `identity` are ignored).
absl::StatusOr<std::vector<ListedObject>> ListObjects(
    CoordinatorApi& coordinator, const client::X25519Identity& identity,
    const std::vector<const client::X25519Identity*>& older = {});

// A UUID, with or without dashes.
bool LooksLikeObjectId(absl::string_view text);
// The canonical form (lower case, dashes); INVALID_ARGUMENT unless LooksLikeObjectId.
absl::StatusOr<std::string> CanonicalObjectId(absl::string_view text);

// An object id for `arg`: itself if it looks like an id, else the object whose
// decrypted name is `arg` (NOT_FOUND if none; a usage error listing the ids
// when several match). `identity` is needed only for names.
// `older` as for ListObjects: a name written under any generation is found.
absl::StatusOr<std::string> ResolveObject(
    CoordinatorApi& coordinator, const std::string& arg, const client::X25519Identity* identity,
    const std::vector<const client::X25519Identity*>& older = {});

// ResolveObject for many arguments, in order. Names are looked up by their
// keyed hash (FindObjectsByName: one indexed lookup each, no listing; matches
// are kept only if their metadata decrypts to the name). Names with no match
// there (objects stored before name hashes existed, or a coordinator without
// the RPC) fall back to one decrypted listing for all of them.
absl::StatusOr<std::vector<std::string>> ResolveObjects(
    CoordinatorApi& coordinator, const std::vector<std::string>& args,
    const client::X25519Identity* identity,
    const std::vector<const client::X25519Identity*>& older = {});

// The file key from a serialized age header. PERMISSION_DENIED "not shared
// with you" when no stanza opens with `identity` (or any of `more`: the organization's
// key generations in org mode, Context::ExtraIdentities).
absl::StatusOr<client::SecretBytes> OpenFileKey(
    const std::string& header, const client::X25519Identity& identity,
    const std::vector<const client::X25519Identity*>& more = {});

// Downloads the object of `manifest`, decrypting with `file_key` (or, when
// null, writing the raw age payload), into `out` (not committed). Grants are
// renewed through `coordinator`.
absl::Status DownloadObject(Context& ctx, CoordinatorApi& coordinator,
                            const v1::GetObjectResponse& manifest,
                            const client::SecretBytes* file_key, client::ByteSink& out,
                            TransferObserver* observer);

// A safe local file name for a decrypted name (its last path component), or
// `fallback` if nothing usable remains.
std::string SafeFileName(const std::string& name, const std::string& fallback);

// "freehold://<object-id>#<AGE-SECRET-KEY-1...>".
std::string FormatLink(const std::string& object_id, const client::X25519Identity& identity);
// A folder's link (docs/PROTOCOL.md 9.3): freehold://folder/<folder id>#<key>.
std::string FormatFolderLink(const std::string& folder_id, const client::X25519Identity& identity);
struct ParsedLink {
  std::string object_id;  // the folder id for a folder link
  client::X25519Identity identity;
  bool is_folder = false;
};
// Usage error for anything else.
absl::StatusOr<ParsedLink> ParseLink(absl::string_view link);

}  // namespace freehold::cli
