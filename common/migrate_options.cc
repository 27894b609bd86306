#include "common/migrate_options.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "common/config.h"

namespace freehold {

void AddMigrateFlags(CLI::App& app, MigrateOptions* options) {
  AddFlag(app, "--migrate-only", &options->migrate_only,
          "apply the database schema migrations (with the owner role of "
          "FREEHOLD_MIGRATE_DATABASE_URL or --migrate-database-url-file, else --database-url) "
          "and exit");
  AddFlag(app, "--migrate-database-url-file", &options->database_url_file,
          "file holding the libpq URL of the schema owner role used to apply migrations; "
          "the service then runs with --database-url (its least-privilege role)");
}

absl::StatusOr<std::string> MigrateDatabaseUrl(const MigrateOptions& options) {
  if (const char* env = std::getenv(kMigrateDatabaseUrlEnv); env != nullptr && *env != '\0') {
    return std::string(env);
  }
  if (options.database_url_file.empty()) return std::string();
  absl::StatusOr<std::string> url = ReadSecretFile(options.database_url_file);
  if (!url.ok()) {
    return absl::Status(url.status().code(),
                        absl::StrCat("--migrate-database-url-file: ", url.status().message()));
  }
  return url;
}

absl::StatusOr<bool> RunMigrateStep(const MigrateOptions& options, const std::string& database_url,
                                    const std::function<absl::Status(PgPool&)>& migrate) {
  absl::StatusOr<std::string> owner_url = MigrateDatabaseUrl(options);
  if (!owner_url.ok()) return owner_url.status();
  if (owner_url->empty() && !options.migrate_only) return false;
  PgPoolOptions pool_options;
  pool_options.connection_string = owner_url->empty() ? database_url : *owner_url;
  pool_options.size = 1;
  pool_options.application_name = "freehold-migrate";
  pool_options.statement_timeout = absl::ZeroDuration();  // migrations may be long
  PgPool pool(std::move(pool_options));
  if (absl::Status s = migrate(pool); !s.ok()) {
    return absl::Status(s.code(), absl::StrCat("migrating with the ",
                                               owner_url->empty() ? "--database-url" : "owner",
                                               " role: ", s.message()));
  }
  return options.migrate_only;
}

}  // namespace freehold
