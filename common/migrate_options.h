// Migrating with the schema owner role, serving with a least-privilege role
// (deploy/README.md "Database roles").
//
// Every service binary with a database takes
//   --migrate-only                  apply the schema migrations and exit 0
//   --migrate-database-url-file F   file holding the owner role's libpq URL
//                                   (env FREEHOLD_MIGRATE_DATABASE_URL_FILE)
// and reads the owner URL from the environment variable FREEHOLD_MIGRATE_DATABASE_URL
// (a secret: never a command-line value). When an owner URL is configured the
// migrations are applied over it (one connection, closed before serving) and the
// service then connects with --database-url, its run-time role, whose start-up check
// of the schema only reads schema_migrations (MigrationRunner::Apply's fast path).
// Without one, the service migrates over --database-url at start as it always did
// (one role for everything: the local cluster and tests).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/pg.h"

namespace freehold {

inline constexpr char kMigrateDatabaseUrlEnv[] = "FREEHOLD_MIGRATE_DATABASE_URL";

struct MigrateOptions {
  bool migrate_only = false;
  std::string database_url_file;  // owner URL file (optional)
};

// Registers --migrate-only and --migrate-database-url-file.
void AddMigrateFlags(CLI::App& app, MigrateOptions* options);

// The owner URL: FREEHOLD_MIGRATE_DATABASE_URL if set and non-empty, else the content
// of --migrate-database-url-file (ReadSecretFile rules), else "" (none configured).
absl::StatusOr<std::string> MigrateDatabaseUrl(const MigrateOptions& options);

// The migration step of a service's start-up. `migrate` applies the service's
// migrations over the pool it is given. If an owner URL is configured, or with
// --migrate-only, it runs over a one-connection pool on the owner URL (falling back to
// `database_url`). Returns true when the process should now exit (--migrate-only
// succeeded); false when it should go on serving (and migrate over its own pool as
// before: a no-op read when the owner already did). Errors name the step; the URL is
// never part of a message.
absl::StatusOr<bool> RunMigrateStep(const MigrateOptions& options, const std::string& database_url,
                                    const std::function<absl::Status(PgPool&)>& migrate);

}  // namespace freehold
