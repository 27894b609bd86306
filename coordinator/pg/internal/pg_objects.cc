// Object rows and share lists.
#include "coordinator/pg/internal/repos.h"

namespace freehold::coordinator::pg_internal {
const char* const kObjectColumns =
    "o.object_id::text, o.owner_account_id::text, o.encrypted_metadata, o.age_header, "
    "o.size_bytes, o.data_shards, o.parity_shards, o.segment_size_bytes, o.state, "
    "o.public_link, ts_to_micros(o.created_at), ts_to_micros(o.upload_expires_at), "
    "ts_to_micros(o.committed_at), o.segment_count, o.name_hash, "
    "o.inline_payload IS NOT NULL, ts_to_micros(o.trashed_at), ts_to_micros(o.purge_at), "
    "o.share_record, o.header_version, COALESCE(o.parent_id::text, ''), o.folder_wrap, "
    "ts_to_micros(o.link_disabled_at)";
// kObjectColumns and the inline payload (Get) or an empty one (listings); always last.
const char* const kWithPayload = ", o.inline_payload";
const char* const kWithoutPayload = ", NULL::bytea";

ObjectRecord ObjectFromRow(const pqxx::row& r) {
  ObjectRecord o;
  o.object_id = r[0].as<std::string>();
  o.owner_account_id = r[1].as<std::string>();
  o.encrypted_metadata = BytesOf(r[2]);
  o.age_header = BytesOf(r[3]);
  o.size_bytes = static_cast<uint64_t>(r[4].as<int64_t>());
  o.data_shards = r[5].as<int>();
  o.parity_shards = r[6].as<int>();
  o.segment_size_bytes = static_cast<uint64_t>(r[7].as<int64_t>());
  o.state = r[8].as<int>() == 2 ? ObjectState::kCommitted : ObjectState::kUploading;
  o.public_link = r[9].as<bool>();
  o.created_at = FromMicros(r[10].as<int64_t>());
  o.upload_expires_at = FromMicros(r[11].as<int64_t>());
  o.committed_at = OptionalFromMicros(r[12].as<int64_t>());
  o.segment_count = r[13].as<int>();
  if (!r[14].is_null()) o.name_hash = BytesOf(r[14]);
  o.is_inline = r[15].as<bool>();
  o.trashed_at = OptionalFromMicros(r[16].as<int64_t>());
  o.purge_at = OptionalFromMicros(r[17].as<int64_t>());
  o.share_record = BytesOf(r[18]);
  o.header_version = static_cast<uint64_t>(r[19].as<int64_t>());
  o.parent_id = r[20].as<std::string>();
  o.folder_wrap = BytesOf(r[21]);
  o.link_disabled_at = OptionalFromMicros(r[22].as<int64_t>());
  if (!r[23].is_null()) o.inline_payload = BytesOf(r[23]);
  return o;
}

namespace {

std::vector<std::string> FirstColumn(const pqxx::result& r) {
  std::vector<std::string> out;
  out.reserve(r.size());
  for (const pqxx::row& row : r) out.push_back(row[0].as<std::string>());
  return out;
}

}  // namespace

absl::StatusOr<std::optional<ObjectRecord>> PgObjects::Get(const std::string& object_id,
                                                           bool for_update) {
  pqxx::result r =
      Exec(txn_,
           std::string("SELECT ") + kObjectColumns + kWithPayload +
               " FROM objects o WHERE o.object_id = $1::uuid" + (for_update ? " FOR UPDATE" : ""),
           object_id);
  if (r.empty()) return std::optional<ObjectRecord>();
  return std::optional<ObjectRecord>(ObjectFromRow(r[0]));
}

absl::StatusOr<std::vector<ObjectRecord>> PgObjects::GetMany(
    const std::vector<std::string>& object_ids) {
  std::vector<ObjectRecord> out;
  if (object_ids.empty()) return out;
  // A uuid[] literal; the ids are canonical UUIDs (callers check them first).
  std::string array = "{";
  for (size_t i = 0; i < object_ids.size(); ++i) {
    if (i > 0) array += ",";
    for (char c : object_ids[i]) {
      if (c == '"' || c == '\\' || c == ',' || c == '{' || c == '}') {
        return absl::InvalidArgumentError("object ids must be UUIDs");
      }
      array += c;
    }
  }
  array += "}";
  pqxx::result r = Exec(txn_,
                        std::string("SELECT ") + kObjectColumns + kWithPayload +
                            " FROM objects o WHERE o.object_id = ANY($1::uuid[])",
                        array);
  out.reserve(r.size());
  for (const pqxx::row& row : r) out.push_back(ObjectFromRow(row));
  return out;
}

absl::Status PgObjects::Insert(const ObjectRecord& o) {
  Exec(txn_,
       "INSERT INTO objects (object_id, owner_account_id, encrypted_metadata, age_header, "
       "size_bytes, data_shards, parity_shards, segment_size_bytes, state, public_link, "
       "created_at, upload_expires_at, committed_at, segment_count, name_hash, inline_payload, "
       "parent_id) "
       "VALUES ($1::uuid, $2::uuid, $3, $4, $5, $6, $7, $8, $9, $10, micros_to_ts($11), "
       "micros_to_ts($12), micros_to_ts($13), $14, NULLIF($15::bytea, ''::bytea), "
       "CASE WHEN $17 THEN $16::bytea END, NULLIF($18, '')::uuid)",
       o.object_id, o.owner_account_id, Bytes(o.encrypted_metadata), Bytes(o.age_header),
       static_cast<int64_t>(o.size_bytes), o.data_shards, o.parity_shards,
       static_cast<int64_t>(o.segment_size_bytes), static_cast<int>(o.state), o.public_link,
       Micros(o.created_at), Micros(o.upload_expires_at), Micros(o.committed_at), o.segment_count,
       Bytes(o.name_hash), Bytes(o.inline_payload), o.is_inline, o.parent_id);
  return absl::OkStatus();
}

absl::Status PgObjects::Update(const ObjectRecord& o) {
  try {
    Exec(txn_,
         "UPDATE objects SET age_header = $2, state = $3, public_link = $4, "
         "committed_at = micros_to_ts($5), segment_count = $6, trashed_at = micros_to_ts($7), "
         "purge_at = micros_to_ts($8), encrypted_metadata = $9, share_record = $10, "
         "header_version = $11, parent_id = NULLIF($12, '')::uuid, "
         "trashed_with_account = (trashed_with_account AND "
         "trashed_at IS NOT DISTINCT FROM micros_to_ts($7)) WHERE object_id = $1::uuid",
         o.object_id, Bytes(o.age_header), static_cast<int>(o.state), o.public_link,
         Micros(o.committed_at), o.segment_count, Micros(o.trashed_at), Micros(o.purge_at),
         Bytes(o.encrypted_metadata), Bytes(o.share_record), static_cast<int64_t>(o.header_version),
         o.parent_id);
  } catch (const pqxx::unique_violation&) {
    // objects_by_parent_name: committing (or restoring from the trash) into a folder
    // whose name was taken meanwhile.
    return absl::AlreadyExistsError(
        "an object of that name is already in the folder; nothing was changed");
  }
  return absl::OkStatus();
}

absl::Status PgObjects::Remove(const std::string& object_id) {
  Exec(txn_, "DELETE FROM objects WHERE object_id = $1::uuid", object_id);
  return absl::OkStatus();
}

absl::Status PgObjects::NotePutGrants(const std::string& object_id, absl::Time expires_at) {
  Exec(txn_,
       "UPDATE objects SET put_grants_expire_at = "
       "GREATEST(put_grants_expire_at, micros_to_ts($2)) WHERE object_id = $1::uuid",
       object_id, absl::ToUnixMicros(expires_at));
  return absl::OkStatus();
}

absl::StatusOr<absl::Time> PgObjects::PutGrantsExpireAt(const std::string& object_id) {
  pqxx::result r = Exec(txn_,
                        "SELECT COALESCE(ts_to_micros(put_grants_expire_at), -1) FROM objects "
                        "WHERE object_id = $1::uuid",
                        object_id);
  if (r.empty() || r[0][0].as<int64_t>() < 0) return absl::InfinitePast();
  return absl::FromUnixMicros(r[0][0].as<int64_t>());
}

absl::StatusOr<std::vector<ObjectRecord>> PgObjects::ListVisible(const std::string& account_id,
                                                                 const std::string& after_object_id,
                                                                 int limit) {
  const std::string after =
      after_object_id.empty() ? "00000000-0000-0000-0000-000000000000" : after_object_id;
  pqxx::result r =
      Exec(txn_,
           std::string("SELECT ") + kObjectColumns + kWithoutPayload +
               " FROM objects o WHERE o.state = 2 AND o.trashed_at IS NULL AND "
               "o.object_id > $2::uuid AND "
               "(o.owner_account_id = $1::uuid OR o.object_id IN "
               "(SELECT s.object_id FROM object_shares s WHERE s.account_id = $1::uuid AND "
               "s.object_id > $2::uuid)) ORDER BY o.object_id LIMIT $3",
           account_id, after, limit);
  std::vector<ObjectRecord> out;
  out.reserve(r.size());
  for (const pqxx::row& row : r) out.push_back(ObjectFromRow(row));
  return out;
}

absl::StatusOr<std::vector<ObjectRecord>> PgObjects::FindByNameHash(const std::string& account_id,
                                                                    const std::string& name_hash,
                                                                    int limit) {
  pqxx::result r =
      Exec(txn_,
           std::string("SELECT ") + kObjectColumns + kWithoutPayload +
               " FROM objects o WHERE o.owner_account_id = $1::uuid AND o.name_hash = $2 AND "
               "o.state = 2 AND o.trashed_at IS NULL ORDER BY o.object_id LIMIT $3",
           account_id, Bytes(name_hash), limit);
  std::vector<ObjectRecord> out;
  out.reserve(r.size());
  for (const pqxx::row& row : r) out.push_back(ObjectFromRow(row));
  return out;
}

absl::StatusOr<std::vector<std::string>> PgObjects::ListOwnedBy(const std::string& account_id,
                                                                int limit) {
  return FirstColumn(Exec(txn_,
                          "SELECT object_id::text FROM objects WHERE owner_account_id = $1::uuid "
                          "ORDER BY object_id LIMIT $2",
                          account_id, limit));
}

absl::StatusOr<std::vector<ObjectRecord>> PgObjects::ListTrashed(const std::string& account_id,
                                                                 const std::string& after_object_id,
                                                                 int limit) {
  const std::string after =
      after_object_id.empty() ? "00000000-0000-0000-0000-000000000000" : after_object_id;
  pqxx::result r =
      Exec(txn_,
           std::string("SELECT ") + kObjectColumns + kWithoutPayload +
               " FROM objects o WHERE o.owner_account_id = $1::uuid AND o.trashed_at IS NOT NULL "
               "AND o.object_id > $2::uuid ORDER BY o.object_id LIMIT $3",
           account_id, after, limit);
  std::vector<ObjectRecord> out;
  out.reserve(r.size());
  for (const pqxx::row& row : r) out.push_back(ObjectFromRow(row));
  return out;
}

absl::StatusOr<std::vector<std::string>> PgObjects::ListPurgeDue(absl::Time now, int limit) {
  return FirstColumn(
      Exec(txn_,
           "SELECT object_id::text FROM objects WHERE trashed_at IS NOT NULL AND purge_at <= "
           "micros_to_ts($1) ORDER BY purge_at LIMIT $2",
           Micros(now), limit));
}

absl::StatusOr<int> PgObjects::TrashLiveOwnedBy(const std::string& account_id, absl::Time now,
                                                absl::Time purge_at, int limit) {
  pqxx::result r =
      Exec(txn_,
           "WITH c AS (SELECT object_id FROM objects WHERE owner_account_id = $1::uuid "
           "AND state = 2 AND trashed_at IS NULL ORDER BY object_id LIMIT $4 FOR UPDATE) "
           "UPDATE objects o SET trashed_at = micros_to_ts($2), purge_at = micros_to_ts($3), "
           "trashed_with_account = true FROM c WHERE o.object_id = c.object_id",
           account_id, Micros(now), Micros(purge_at), limit);
  return static_cast<int>(r.affected_rows());
}

absl::StatusOr<int> PgObjects::RestoreTrashedWithAccount(const std::string& account_id, int limit) {
  // Objects trashed together were live together, so their (folder, name) pairs are
  // distinct; only names taken since (a put or mkdir after the renewal) move one to
  // the root, where names may repeat.
  pqxx::result r =
      Exec(txn_,
           "WITH c AS (SELECT object_id FROM objects WHERE owner_account_id = $1::uuid "
           "AND trashed_with_account ORDER BY object_id LIMIT $2 FOR UPDATE) "
           "UPDATE objects o SET trashed_at = NULL, purge_at = NULL, trashed_with_account = false, "
           "parent_id = CASE WHEN o.parent_id IS NOT NULL AND o.name_hash IS NOT NULL AND ("
           "  EXISTS (SELECT 1 FROM objects x WHERE x.owner_account_id = o.owner_account_id "
           "    AND x.parent_id = o.parent_id AND x.name_hash = o.name_hash AND x.state = 2 "
           "    AND x.trashed_at IS NULL) OR "
           "  EXISTS (SELECT 1 FROM folders f WHERE f.owner_account_id = o.owner_account_id "
           "    AND f.parent_id = o.parent_id AND f.name_hash = o.name_hash)) "
           "THEN NULL ELSE o.parent_id END FROM c WHERE o.object_id = c.object_id",
           account_id, limit);
  return static_cast<int>(r.affected_rows());
}

absl::StatusOr<std::vector<std::string>> PgObjects::ListExpiredUploads(absl::Time now, int limit) {
  return FirstColumn(
      Exec(txn_,
           "SELECT object_id::text FROM objects WHERE state = 1 AND upload_expires_at <= "
           "micros_to_ts($1) ORDER BY upload_expires_at LIMIT $2",
           Micros(now), limit));
}

absl::StatusOr<std::vector<std::string>> PgObjects::Shares(const std::string& object_id) {
  return FirstColumn(
      Exec(txn_, "SELECT account_id::text FROM object_shares WHERE object_id = $1::uuid ORDER BY 1",
           object_id));
}

absl::StatusOr<bool> PgObjects::IsSharedWith(const std::string& object_id,
                                             const std::string& account_id) {
  pqxx::result r =
      Exec(txn_, "SELECT 1 FROM object_shares WHERE object_id = $1::uuid AND account_id = $2::uuid",
           object_id, account_id);
  return !r.empty();
}

absl::Status PgObjects::ReplaceShares(const std::string& object_id,
                                      const std::vector<std::string>& account_ids) {
  Exec(txn_, "DELETE FROM object_shares WHERE object_id = $1::uuid", object_id);
  for (const std::string& account : account_ids) {
    Exec(txn_,
         "INSERT INTO object_shares (object_id, account_id) VALUES ($1::uuid, $2::uuid) "
         "ON CONFLICT DO NOTHING",
         object_id, account);
  }
  return absl::OkStatus();
}

absl::Status PgObjects::RemoveSharesWith(const std::string& account_id) {
  Exec(txn_, "DELETE FROM object_shares WHERE account_id = $1::uuid", account_id);
  Exec(txn_, "DELETE FROM folder_shares WHERE account_id = $1::uuid", account_id);
  return absl::OkStatus();
}

}  // namespace freehold::coordinator::pg_internal
