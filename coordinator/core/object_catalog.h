// Reads and changes of committed objects: manifests with GET grants, paged
// listing, deletion (to the trash, core/trash.h), sharing (new age header + share
// list) and public links. Objects in the trash are unreadable and unlisted.
// Rules (access.h): the owner reads and changes; accounts in the share list
// read; anyone reads an object with a public link. Uncommitted objects are
// invisible (NOT_FOUND) to reads.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/logging.h"
#include "coordinator/core/access.h"
#include "coordinator/core/config.h"
#include "coordinator/core/grants.h"
#include "coordinator/core/model.h"
#include "coordinator/core/store.h"

namespace freehold::coordinator {

struct ObjectSummary {
  std::string object_id;
  std::string owner_account_id;
  std::string encrypted_metadata;
  uint64_t size_bytes = 0;
  std::optional<absl::Time> committed_at;
  bool shared_with_me = false;
  bool public_link = false;
  // Where it is in the owner's tree (folders.h); empty for other callers.
  std::string parent_id;
  std::string name_hash;
  // Its key and name sealed under its folder's key (docs/PROTOCOL.md 9.3).
  std::string folder_wrap;
  // For the owner: when an operator disabled its public link after an abuse
  // report (core/abuse_desk.h); nullopt otherwise and for other callers.
  std::optional<absl::Time> link_disabled_at;
};

struct ShardLocation {
  int index = 0;
  std::string node_id;
  std::string node_address;
  std::string sha256;
  ShardState state = ShardState::kHealthy;  // kMissing when its node is down/retired
  std::string grant;                        // GET grant; empty unless state is healthy
  std::string shard_key;
};

struct SegmentManifest {
  int segment = 0;
  uint64_t segment_size_bytes = 0;
  uint64_t shard_size_bytes = 0;
  std::vector<ShardLocation> shards;
};

struct ObjectManifest {
  ObjectSummary object;
  std::string age_header;
  int data_shards = 0;
  int parity_shards = 0;
  // One page of the segments (empty for inline objects): segments
  // [first, first + segments.size()) of segment_count; next_segment is the first
  // segment of the next page, 0 when this page ends the manifest.
  std::vector<SegmentManifest> segments;
  int segment_count = 0;
  int next_segment = 0;
  absl::Time grants_expire_at = absl::UnixEpoch();
  bool is_inline = false;
  std::string inline_payload;  // the whole payload of an inline object
  // For the owner only (0/empty for anyone else): the sharing state
  // (docs/PROTOCOL.md 8.1). shared_with is filled by Get, not by GetMany.
  uint64_t header_version = 0;
  std::string share_record;
  std::vector<std::string> shared_with;
};

struct ObjectPage {
  std::vector<ObjectSummary> objects;
  std::string next_page_token;  // empty at the end
};

// The summary of a record as `caller` sees it.
ObjectSummary SummaryOf(const ObjectRecord& object, bool shared_with_caller);

// Queues a delete of every shard of `object_id` on its node (due at `now`, or when
// the last PUT grant issued for the object expires if that is later) and
// removes the object, its segments, shards and shares. No-op if it is gone.
absl::Status QueueShardsAndRemove(MetadataTxn& txn, const std::string& object_id, absl::Time now);

// Thread-safe; dependencies must outlive it.
class ObjectCatalog {
 public:
  static constexpr int kDefaultPageSize = 100;
  static constexpr int kMaxPageSize = 1000;
  // Pages by bytes too: summaries of one page add up to at most this (at
  // least one object per page). The per-summary overhead is an estimate of
  // its fields besides the metadata blob.
  static constexpr uint64_t kDefaultPageBytes = uint64_t{4} << 20;
  static constexpr uint64_t kMaxPageBytes = uint64_t{12} << 20;
  static constexpr uint64_t kSummaryOverheadBytes = 128;

  ObjectCatalog(MetadataStore& store, Clock& clock, const CoordinatorConfig& config,
                const GrantSigner& grants, Logger log);

  // `caller` null = no token (public links only). NOT_FOUND unknown or
  // uncommitted; UNAUTHENTICATED without token for a non-public object;
  // PERMISSION_DENIED for an account that may not read it.
  // A manifest answers at most `max_segments` segments from `first_segment` on
  // (0 = config manifest_page_segments, capped by it): one page; ask again from
  // next_segment. INVALID_ARGUMENT (naming first_segment) for a first_segment at or
  // past the object's segment count (other than 0).
  absl::StatusOr<ObjectManifest> Get(const Caller* caller, const std::string& object_id,
                                     int first_segment = 0, int max_segments = 0);

  // Many manifests in one read transaction, in request order (each the first
  // page of its segments, as Get): each entry is the
  // manifest or NOT_FOUND (as Get answers for an object the caller may not
  // read). Answers a prefix of at most about `max_bytes` (at least one entry);
  // the caller asks again for the rest. INVALID_ARGUMENT for no ids, more than
  // kMaxPageSize or a malformed id (naming object_ids[i]).
  absl::StatusOr<std::vector<absl::StatusOr<ObjectManifest>>> GetMany(
      const Caller& caller, const std::vector<std::string>& object_ids, uint64_t max_bytes);

  // The caller's committed objects and those shared with it, by object id.
  // A page holds at most `page_size` objects and `max_bytes` bytes of
  // summaries (0 = kDefaultPageBytes). INVALID_ARGUMENT for a malformed page
  // token or max_bytes over kMaxPageBytes.
  absl::StatusOr<ObjectPage> List(const Caller& caller, int page_size,
                                  const std::string& page_token, uint64_t max_bytes = 0);

  // Owner only. The object moves to the owner's trash for config.trash_window
  // (core/trash.h: unreadable by anyone at once, restorable until `*purge_at`); with
  // a zero window it disappears at once. Shards are deleted on the daemons by the GC
  // loop (retried) once the object is purged. An upload never committed is removed at
  // once. FAILED_PRECONDITION if it is already in the trash.
  absl::Status Delete(const Caller& caller, const std::string& object_id);
  absl::Status Delete(const Caller& caller, const std::string& object_id, absl::Time* purge_at);

  // Owner only. Replaces, in one transaction, the age header, the set of
  // accounts it is shared with (an empty list unshares) and the share record;
  // returns the new header version. `expected_version` != 0 is a
  // compare-and-swap: ABORTED if the object's header_version differs (another
  // device changed it since it was read). INVALID_ARGUMENT for a share record
  // over max_metadata_bytes.
  absl::StatusOr<uint64_t> UpdateHeader(const Caller& caller, const std::string& object_id,
                                        const std::string& age_header,
                                        const std::vector<std::string>& share_with_account_ids,
                                        const std::string& share_record = "",
                                        uint64_t expected_version = 0);

  // Owner only. Enabling needs the header with the link identity's stanza;
  // disabling optionally replaces the header. With a header, the share record
  // is replaced too. `expected_version` as UpdateHeader.
  absl::StatusOr<uint64_t> SetPublicLink(const Caller& caller, const std::string& object_id,
                                         bool enabled, const std::string& age_header,
                                         const std::string& share_record = "",
                                         uint64_t expected_version = 0);

  // Owner only. Replaces the encrypted metadata if the stored blob is still
  // `expected_metadata` (ABORTED otherwise); bumps the header version.
  absl::Status UpdateMetadata(const Caller& caller, const std::string& object_id,
                              const std::string& encrypted_metadata,
                              const std::string& expected_metadata);

  // Deletes every object of an account (any state, the trash included: no window)
  // and removes it from share lists. Returns how many objects were deleted.
  absl::StatusOr<int> DeleteAccountData(const std::string& account_id);

 private:
  // The manifest of `object_id` as `caller` may see it, segments
  // [first_segment, first_segment + page) where page = max_segments (0 = the
  // configured page, capped by it); `nodes` is filled on first need and reused.
  // `preloaded` (optional): the object rows read already (GetMany), by id; an id
  // not in it does not exist.
  absl::StatusOr<ObjectManifest> LoadManifest(
      MetadataTxn& txn, const Caller* caller, const std::string& object_id, absl::Time now,
      std::optional<std::map<std::string, Node>>& nodes,
      std::map<std::string, ObjectRecord>* preloaded = nullptr, int first_segment = 0,
      int max_segments = 0);
  absl::StatusOr<ObjectRecord> LoadOwnedCommitted(MetadataTxn& txn, const Caller& caller,
                                                  const std::string& object_id);
  absl::Status CheckHeader(const std::string& age_header) const;
  absl::Status CheckShareRecord(const std::string& share_record) const;

  MetadataStore& store_;
  Clock& clock_;
  const CoordinatorConfig& config_;
  const GrantSigner& grants_;
  Logger log_;
};

}  // namespace freehold::coordinator
