// The folder tree (FolderRepository) and the objects it holds.
#include "coordinator/pg/internal/repos.h"

namespace freehold::coordinator::pg_internal {
namespace {

constexpr const char* kFolderColumns =
    "f.folder_id::text, f.owner_account_id::text, COALESCE(f.parent_id::text, ''), f.name_hash, "
    "f.encrypted_metadata, ts_to_micros(f.created_at), f.age_header, f.entry_wrap, f.share_record, "
    "f.header_version, f.public_link";
// The root as the unique index folders_by_parent_name spells it; $P is the
// parent parameter ('' = root). Spelled as in the index so that it is used.
constexpr const char* kRootUuid = "00000000-0000-0000-0000-000000000000";
std::string SameParent(const std::string& param) {
  const std::string root = "'00000000-0000-0000-0000-000000000000'::uuid";
  return "COALESCE(f.parent_id, " + root + ") = COALESCE(NULLIF(" + param + ", '')::uuid, " + root +
         ")";
}
// Objects in the parent given by $4 ('' = root); $4 is referenced either way.
std::string ObjectParent(const std::string& parent_id) {
  return parent_id.empty() ? "o.parent_id IS NULL AND $4 = ''" : "o.parent_id = $4::uuid";
}

FolderRecord FolderFromRow(const pqxx::row& r) {
  FolderRecord f;
  f.folder_id = r[0].as<std::string>();
  f.owner_account_id = r[1].as<std::string>();
  f.parent_id = r[2].as<std::string>();
  f.name_hash = BytesOf(r[3]);
  f.encrypted_metadata = BytesOf(r[4]);
  f.created_at = FromMicros(r[5].as<int64_t>());
  f.age_header = BytesOf(r[6]);
  f.entry_wrap = BytesOf(r[7]);
  f.share_record = BytesOf(r[8]);
  f.header_version = static_cast<uint64_t>(r[9].as<int64_t>());
  f.public_link = r[10].as<bool>();
  return f;
}

std::vector<ObjectRecord> Objects(const pqxx::result& r) {
  std::vector<ObjectRecord> out;
  out.reserve(r.size());
  for (const pqxx::row& row : r) out.push_back(ObjectFromRow(row));
  return out;
}

absl::Status NameTaken() {
  return absl::AlreadyExistsError("an entry of that name already exists in the target folder");
}

}  // namespace

absl::Status PgFolders::LockNamespace(const std::string& account_id, const std::string& parent_id) {
  Exec(txn_, "SELECT pg_advisory_xact_lock(hashtextextended($1, 20))",
       "fh-ns:" + account_id + "/" + parent_id);
  return absl::OkStatus();
}

absl::Status PgFolders::LockTree(const std::string& account_id) {
  Exec(txn_, "SELECT pg_advisory_xact_lock(hashtextextended($1, 20))", "fh-tree:" + account_id);
  return absl::OkStatus();
}

absl::StatusOr<std::optional<FolderRecord>> PgFolders::Get(const std::string& folder_id,
                                                           bool for_update) {
  pqxx::result r =
      Exec(txn_,
           std::string("SELECT ") + kFolderColumns +
               " FROM folders f WHERE f.folder_id = $1::uuid" + (for_update ? " FOR UPDATE" : ""),
           folder_id);
  if (r.empty()) return std::optional<FolderRecord>();
  return std::optional<FolderRecord>(FolderFromRow(r[0]));
}

absl::Status PgFolders::Insert(const FolderRecord& f) {
  try {
    Exec(
        txn_,
        "INSERT INTO folders (folder_id, owner_account_id, parent_id, name_hash, "
        "encrypted_metadata, created_at) VALUES ($1::uuid, $2::uuid, NULLIF($3, '')::uuid, $4, $5, "
        "micros_to_ts($6))",
        f.folder_id, f.owner_account_id, f.parent_id, Bytes(f.name_hash),
        Bytes(f.encrypted_metadata), Micros(f.created_at));
  } catch (const pqxx::unique_violation&) {
    return NameTaken();
  } catch (const pqxx::foreign_key_violation&) {
    return absl::NotFoundError("parent_id: no such folder");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<FolderRecord>> PgFolders::FindFolder(const std::string& account_id,
                                                                  const std::string& parent_id,
                                                                  const std::string& name_hash) {
  pqxx::result r = Exec(txn_,
                        std::string("SELECT ") + kFolderColumns +
                            " FROM folders f WHERE f.owner_account_id = $1::uuid AND " +
                            SameParent("$2") + " AND f.name_hash = $3",
                        account_id, parent_id, Bytes(name_hash));
  if (r.empty()) return std::optional<FolderRecord>();
  return std::optional<FolderRecord>(FolderFromRow(r[0]));
}

absl::StatusOr<std::vector<ObjectRecord>> PgFolders::FindObjects(const std::string& account_id,
                                                                 const std::string& parent_id,
                                                                 const std::string& name_hash,
                                                                 bool any_state, int limit) {
  // Trashed objects hold no name (objects_by_parent_name skips them too).
  const std::string state =
      any_state ? " AND o.trashed_at IS NULL" : " AND o.state = 2 AND o.trashed_at IS NULL";
  const std::string where = ObjectParent(parent_id);
  return Objects(
      Exec(txn_,
           std::string("SELECT ") + kObjectColumns + kWithoutPayload +
               " FROM objects o WHERE o.owner_account_id = $1::uuid AND o.name_hash = $2 AND " +
               where + state + " ORDER BY o.object_id LIMIT $3",
           account_id, Bytes(name_hash), limit, parent_id));
}

absl::StatusOr<std::vector<FolderRecord>> PgFolders::ListFolders(const std::string& account_id,
                                                                 const std::string& parent_id,
                                                                 const std::string& after_id,
                                                                 int limit) {
  const std::string where = "f.owner_account_id = $1::uuid AND " + SameParent("$4");
  pqxx::result r =
      Exec(txn_,
           std::string("SELECT ") + kFolderColumns + " FROM folders f WHERE " + where +
               " AND f.folder_id > COALESCE(NULLIF($2, '')::uuid, $5::uuid) ORDER BY f.folder_id "
               "LIMIT $3",
           account_id, after_id, limit, parent_id, kRootUuid);
  std::vector<FolderRecord> out;
  out.reserve(r.size());
  for (const pqxx::row& row : r) out.push_back(FolderFromRow(row));
  return out;
}

absl::StatusOr<std::vector<ObjectRecord>> PgFolders::ListObjects(const std::string& account_id,
                                                                 const std::string& parent_id,
                                                                 const std::string& after_id,
                                                                 int limit) {
  const std::string where = ObjectParent(parent_id);
  return Objects(
      Exec(txn_,
           std::string("SELECT ") + kObjectColumns + kWithoutPayload +
               " FROM objects o WHERE o.owner_account_id = $1::uuid AND o.state = 2 AND "
               "o.trashed_at IS NULL AND " +
               where +
               " AND o.object_id > COALESCE(NULLIF($2, '')::uuid, $5::uuid) ORDER BY o.object_id "
               "LIMIT $3",
           account_id, after_id, limit, parent_id, kRootUuid));
}

absl::StatusOr<bool> PgFolders::HasChildren(const std::string& folder_id) {
  pqxx::result r =
      Exec(txn_,
           "SELECT EXISTS (SELECT 1 FROM folders WHERE parent_id = $1::uuid) OR "
           "EXISTS (SELECT 1 FROM objects WHERE parent_id = $1::uuid AND trashed_at IS NULL)",
           folder_id);
  return r[0][0].as<bool>();
}

absl::StatusOr<bool> PgFolders::IsAncestorOrSelf(const std::string& ancestor_id,
                                                 const std::string& folder_id) {
  // Walks up from folder_id; the tree has no cycles (moves refuse them), the
  // depth bound only guards against a corrupted table.
  pqxx::result r = Exec(
      txn_,
      "WITH RECURSIVE up(id, depth) AS ("
      "  SELECT $2::uuid, 0"
      "  UNION ALL SELECT f.parent_id, up.depth + 1 FROM folders f JOIN up ON f.folder_id = up.id"
      "  WHERE f.parent_id IS NOT NULL AND up.depth < 100000) "
      "SELECT EXISTS (SELECT 1 FROM up WHERE id = $1::uuid)",
      ancestor_id, folder_id);
  return r[0][0].as<bool>();
}

absl::Status PgFolders::MoveFolder(const std::string& folder_id, const std::string& parent_id,
                                   const std::string& name_hash,
                                   const std::string& encrypted_metadata) {
  try {
    Exec(txn_,
         "UPDATE folders SET parent_id = NULLIF($2, '')::uuid, name_hash = $3, entry_wrap = '', "
         "encrypted_metadata = CASE WHEN length($4::bytea) = 0 THEN encrypted_metadata "
         "ELSE $4::bytea END WHERE folder_id = $1::uuid",
         folder_id, parent_id, Bytes(name_hash), Bytes(encrypted_metadata));
  } catch (const pqxx::unique_violation&) {
    return NameTaken();
  }
  return absl::OkStatus();
}

absl::Status PgFolders::MoveObject(const std::string& object_id, const std::string& parent_id,
                                   const std::string& name_hash,
                                   const std::string& encrypted_metadata) {
  try {
    Exec(txn_,
         "UPDATE objects SET parent_id = NULLIF($2, '')::uuid, name_hash = $3, folder_wrap = '', "
         "encrypted_metadata = CASE WHEN length($4::bytea) = 0 THEN encrypted_metadata "
         "ELSE $4::bytea END, header_version = header_version + "
         "CASE WHEN length($4::bytea) = 0 THEN 0 ELSE 1 END WHERE object_id = $1::uuid",
         object_id, parent_id, Bytes(name_hash), Bytes(encrypted_metadata));
  } catch (const pqxx::unique_violation&) {
    return NameTaken();
  }
  return absl::OkStatus();
}

absl::Status PgFolders::Remove(const std::string& folder_id) {
  try {
    // Trashed objects do not keep a folder alive: they move to the root (parent NULL),
    // where a restore puts them (docs/ARCHITECTURE.md#folders).
    Exec(
        txn_,
        "UPDATE objects SET parent_id = NULL WHERE parent_id = $1::uuid AND trashed_at IS NOT NULL",
        folder_id);
    Exec(txn_, "DELETE FROM folders WHERE folder_id = $1::uuid", folder_id);
  } catch (const pqxx::foreign_key_violation&) {
    return absl::FailedPreconditionError("the folder is not empty");
  }
  return absl::OkStatus();
}

absl::Status PgFolders::RemoveAllOf(const std::string& account_id) {
  Exec(txn_, "DELETE FROM folders WHERE owner_account_id = $1::uuid", account_id);
  return absl::OkStatus();
}

absl::StatusOr<bool> PgFolders::SubtreeReadable(const std::string& folder_id,
                                                const std::string& account_id) {
  // Walks up from folder_id (depth bound as IsAncestorOrSelf).
  pqxx::result r = Exec(
      txn_,
      "WITH RECURSIVE up(id, depth) AS ("
      "  SELECT $1::uuid, 0"
      "  UNION ALL SELECT f.parent_id, up.depth + 1 FROM folders f JOIN up ON f.folder_id = up.id"
      "  WHERE f.parent_id IS NOT NULL AND up.depth < 100000) "
      "SELECT EXISTS (SELECT 1 FROM up JOIN folders f ON f.folder_id = up.id WHERE f.public_link) "
      "OR ($2 <> '' AND EXISTS (SELECT 1 FROM up JOIN folder_shares s ON s.folder_id = up.id "
      "WHERE s.account_id = NULLIF($2, '')::uuid))",
      folder_id, account_id);
  return r[0][0].as<bool>();
}

absl::StatusOr<std::vector<std::string>> PgFolders::Shares(const std::string& folder_id) {
  pqxx::result r =
      Exec(txn_, "SELECT account_id::text FROM folder_shares WHERE folder_id = $1::uuid ORDER BY 1",
           folder_id);
  std::vector<std::string> out;
  for (const pqxx::row& row : r) out.push_back(row[0].as<std::string>());
  return out;
}

absl::StatusOr<uint64_t> PgFolders::UpdateSharing(const std::string& folder_id,
                                                  const std::string& age_header,
                                                  const std::string& share_record, bool public_link,
                                                  const std::vector<std::string>& account_ids) {
  pqxx::result r = Exec(
      txn_,
      "UPDATE folders SET age_header = $2, share_record = $3, public_link = $4, "
      "header_version = header_version + 1 WHERE folder_id = $1::uuid RETURNING header_version",
      folder_id, Bytes(age_header), Bytes(share_record), public_link);
  if (r.empty()) return absl::NotFoundError("folder_id: no such folder");
  Exec(txn_, "DELETE FROM folder_shares WHERE folder_id = $1::uuid", folder_id);
  for (const std::string& account : account_ids) {
    Exec(txn_,
         "INSERT INTO folder_shares (folder_id, account_id) VALUES ($1::uuid, $2::uuid) "
         "ON CONFLICT DO NOTHING",
         folder_id, account);
  }
  return static_cast<uint64_t>(r[0][0].as<int64_t>());
}

absl::Status PgFolders::SetFolderKey(const std::string& folder_id, const std::string& age_header,
                                     const std::string& wrap) {
  Exec(txn_,
       "UPDATE folders SET age_header = CASE WHEN length($2::bytea) = 0 THEN age_header ELSE $2 "
       "END, "
       "entry_wrap = CASE WHEN length($3::bytea) = 0 THEN entry_wrap ELSE $3 END, "
       "header_version = header_version + CASE WHEN length($2::bytea) = 0 THEN 0 ELSE 1 END "
       "WHERE folder_id = $1::uuid",
       folder_id, Bytes(age_header), Bytes(wrap));
  return absl::OkStatus();
}

absl::Status PgFolders::SetObjectWrap(const std::string& object_id, const std::string& wrap) {
  Exec(txn_, "UPDATE objects SET folder_wrap = $2 WHERE object_id = $1::uuid", object_id,
       Bytes(wrap));
  return absl::OkStatus();
}

}  // namespace freehold::coordinator::pg_internal
