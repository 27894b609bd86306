// Versioned SQL migrations per service schema.
//
// Files are named NNNN_description.sql (e.g. 0001_init.sql); versions are positive and
// unique. Services embed them at build time with the CMake function
//   freehold_embed_sql(<target> <dir>)          (cmake/FreeholdEmbed.cmake)
// which adds a generated source to <target> and a header
//   #include "freehold_embedded/<target>_migrations.h"
// declaring  std::vector<freehold::Migration> freehold::embedded::<target>_migrations();
// (<target> with non-alphanumerics replaced by '_'). Then at start-up:
//   freehold::MigrationRunner runner(pool, "accounts",
//                                    freehold::embedded::accounts_pg_migrations());
//   FH_RETURN_IF_ERROR(runner.Apply());
//
// Guarantees:
// - Each migration runs in its own transaction with search_path set to the schema
//   (so unqualified names land in it) and is recorded in
//   <schema>.schema_migrations(version, name, applied_at, checksum) in the same
//   transaction. Statements that cannot run in a transaction are not supported.
// - Idempotent; concurrent Apply() from several processes is safe (serialized with
//   pg_advisory_xact_lock keyed by the schema name).
// - FAILED_PRECONDITION if the database has a version newer than the newest known one
//   (an old binary against a newer schema), or if an applied migration's SQL changed
//   (checksum = SHA-256 hex of the SQL text), or if a known version is missing below
//   the applied maximum. Messages name the schema and version.
// - Comment-only edits of an applied migration: the file declares the checksum(s)
//   its earlier text had, one line each,
//     -- freehold:previous-checksum <64 hex digits>
//   A database that recorded one of those is accepted and its record is updated to
//   the current checksum (in the same locked transaction). Declare only texts that
//   differ from the current one in comments; any other edit needs a new migration.
// - A failing migration rolls back and returns the mapped error, annotated with its file.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/pg.h"

namespace freehold {

struct Migration {
  int version = 0;
  std::string name;  // file name, e.g. "0001_init.sql"
  std::string sql;
};

// Parses "NNNN_description.sql" -> NNNN. INVALID_ARGUMENT otherwise.
absl::StatusOr<int> MigrationVersionFromFileName(const std::string& file_name);

// Reads every *.sql file of `directory` (non-recursive), sorted by version.
// INVALID_ARGUMENT on a bad name or duplicate version; NOT_FOUND if the dir is missing.
absl::StatusOr<std::vector<Migration>> LoadMigrationsFromDirectory(const std::string& directory);

// SHA-256 of the SQL as lower-case hex.
std::string MigrationChecksum(const std::string& sql);

// The checksums declared in `sql` with "-- freehold:previous-checksum <hex>" lines
// (lower-cased; malformed declarations are ignored).
std::vector<std::string> DeclaredPreviousChecksums(const std::string& sql);

class MigrationRunner {
 public:
  // `schema` must be a plain identifier ([a-z_][a-z0-9_]*). `migrations` need not be
  // sorted. Problems with either are reported by Apply().
  MigrationRunner(PgPool& pool, std::string schema, std::vector<Migration> migrations);

  // Applies all pending migrations in version order. Returns how many this call applied.
  // When the database already has exactly the known migrations (same checksums) it only
  // reads schema_migrations (no lock, no DDL), so a role with SELECT on that table and
  // USAGE on the schema may call it: that is how services running as a least-privilege
  // role start after the owner role migrated (--migrate-only, migrate_options.h).
  absl::StatusOr<int> Apply();

  // True if every known migration, and no other, is applied with its current checksum.
  // Read-only.
  absl::StatusOr<bool> UpToDate();

  // Highest applied version in the database (0 if none / no table yet).
  absl::StatusOr<int> CurrentVersion();

  // Highest version this binary knows (0 if none).
  int LatestKnownVersion() const;

 private:
  absl::Status Check() const;

  PgPool& pool_;
  std::string schema_;
  std::vector<Migration> migrations_;
};

}  // namespace freehold
