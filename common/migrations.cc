// Versioned, checksummed, concurrency-safe schema migrations over PgPool.
#include "common/migrations.h"

#include <dirent.h>
#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <sstream>
#include <string_view>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/encoding.h"

namespace freehold {
namespace {

bool IsPlainIdentifier(const std::string& s) {
  if (s.empty() || s.size() > 63) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool ok = (c >= 'a' && c <= 'z') || c == '_' || (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

struct Applied {
  std::string name;
  std::string checksum;
};

// Takes the per-schema lock, creates the schema and the bookkeeping table if needed,
// and returns what is applied. Must run inside a transaction.
std::map<int, Applied> LockAndReadApplied(PgTxn& txn, const std::string& schema) {
  txn.exec(absl::StrCat("SELECT pg_advisory_xact_lock(hashtext(",
                        txn.quote("freehold.migrations." + schema), "))"));
  txn.exec(absl::StrCat("CREATE SCHEMA IF NOT EXISTS ", schema));
  txn.exec(absl::StrCat("CREATE TABLE IF NOT EXISTS ", schema,
                        ".schema_migrations ("
                        "version integer PRIMARY KEY, name text NOT NULL, "
                        "applied_at timestamptz NOT NULL DEFAULT now(), checksum text NOT NULL)"));
  std::map<int, Applied> applied;
  for (const auto& row : txn.exec(
           absl::StrCat("SELECT version, name, checksum FROM ", schema, ".schema_migrations"))) {
    applied[row[0].as<int>()] = Applied{row[1].as<std::string>(), row[2].as<std::string>()};
  }
  return applied;
}

}  // namespace

absl::StatusOr<int> MigrationVersionFromFileName(const std::string& file_name) {
  const size_t underscore = file_name.find('_');
  int version = 0;
  if (underscore == std::string::npos || underscore == 0 || file_name.size() < 5 ||
      file_name.substr(file_name.size() - 4) != ".sql" ||
      !absl::SimpleAtoi(file_name.substr(0, underscore), &version) || version <= 0) {
    return absl::InvalidArgumentError(absl::StrCat("migration file name '", file_name,
                                                   "' is not NNNN_description.sql with NNNN > 0"));
  }
  return version;
}

absl::StatusOr<std::vector<Migration>> LoadMigrationsFromDirectory(const std::string& directory) {
  DIR* dir = ::opendir(directory.c_str());
  if (dir == nullptr) {
    return absl::NotFoundError(absl::StrCat("migration directory ", directory, " not found"));
  }
  std::vector<std::string> names;
  while (dirent* entry = ::readdir(dir)) {
    std::string name = entry->d_name;
    if (name.size() > 4 && name.substr(name.size() - 4) == ".sql") names.push_back(name);
  }
  ::closedir(dir);
  std::vector<Migration> out;
  for (const std::string& name : names) {
    absl::StatusOr<int> version = MigrationVersionFromFileName(name);
    if (!version.ok()) return version.status();
    std::ifstream in(directory + "/" + name, std::ios::binary);
    if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", directory, "/", name));
    std::ostringstream buf;
    buf << in.rdbuf();
    out.push_back(Migration{*version, name, buf.str()});
  }
  std::sort(out.begin(), out.end(),
            [](const Migration& a, const Migration& b) { return a.version < b.version; });
  for (size_t i = 1; i < out.size(); ++i) {
    if (out[i].version == out[i - 1].version) {
      return absl::InvalidArgumentError(absl::StrCat("migrations ", out[i - 1].name, " and ",
                                                     out[i].name, " have the same version"));
    }
  }
  return out;
}

std::string MigrationChecksum(const std::string& sql) {
  unsigned char h[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(h, reinterpret_cast<const unsigned char*>(sql.data()), sql.size());
  return HexEncode(std::string_view(reinterpret_cast<const char*>(h), sizeof(h)));
}

std::vector<std::string> DeclaredPreviousChecksums(const std::string& sql) {
  static constexpr std::string_view kMarker = "-- freehold:previous-checksum ";
  std::vector<std::string> out;
  std::istringstream lines(sql);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(kMarker, 0) != 0) continue;
    std::string hex = line.substr(kMarker.size());
    while (!hex.empty() && (hex.back() == ' ' || hex.back() == '\r')) hex.pop_back();
    if (hex.size() != 64) continue;
    bool ok = true;
    for (char& c : hex) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      ok = ok && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
    }
    if (ok) out.push_back(std::move(hex));
  }
  return out;
}

MigrationRunner::MigrationRunner(PgPool& pool, std::string schema,
                                 std::vector<Migration> migrations)
    : pool_(pool), schema_(std::move(schema)), migrations_(std::move(migrations)) {
  std::sort(migrations_.begin(), migrations_.end(),
            [](const Migration& a, const Migration& b) { return a.version < b.version; });
}

int MigrationRunner::LatestKnownVersion() const {
  return migrations_.empty() ? 0 : migrations_.back().version;
}

absl::Status MigrationRunner::Check() const {
  if (!IsPlainIdentifier(schema_)) {
    return absl::InvalidArgumentError(
        absl::StrCat("schema name '", schema_, "' must match [a-z_][a-z0-9_]*"));
  }
  for (size_t i = 0; i < migrations_.size(); ++i) {
    if (migrations_[i].version <= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("migration ", migrations_[i].name, " has version <= 0"));
    }
    if (i > 0 && migrations_[i].version == migrations_[i - 1].version) {
      return absl::InvalidArgumentError(absl::StrCat("migrations ", migrations_[i - 1].name,
                                                     " and ", migrations_[i].name,
                                                     " have the same version"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<int> MigrationRunner::CurrentVersion() {
  if (absl::Status s = Check(); !s.ok()) return s;
  return pool_.RunReadOnly([&](PgTxn& txn) -> int {
    pqxx::result exists = txn.exec(absl::StrCat(
        "SELECT to_regclass(", txn.quote(schema_ + ".schema_migrations"), ") IS NOT NULL"));
    if (!exists[0][0].as<bool>()) return 0;
    pqxx::result r = txn.exec(
        absl::StrCat("SELECT COALESCE(MAX(version), 0) FROM ", schema_, ".schema_migrations"));
    return r[0][0].as<int>();
  });
}

absl::StatusOr<bool> MigrationRunner::UpToDate() {
  if (absl::Status s = Check(); !s.ok()) return s;
  return pool_.RunReadOnly([&](PgTxn& txn) -> bool {
    pqxx::result exists = txn.exec(absl::StrCat(
        "SELECT to_regclass(", txn.quote(schema_ + ".schema_migrations"), ") IS NOT NULL"));
    if (!exists[0][0].as<bool>()) return false;
    std::map<int, std::string> applied;
    for (const auto& row :
         txn.exec(absl::StrCat("SELECT version, checksum FROM ", schema_, ".schema_migrations"))) {
      applied[row[0].as<int>()] = row[1].as<std::string>();
    }
    if (applied.size() != migrations_.size()) return false;
    for (const Migration& m : migrations_) {
      auto it = applied.find(m.version);
      if (it == applied.end() || it->second != MigrationChecksum(m.sql)) return false;
    }
    return true;
  });
}

absl::StatusOr<int> MigrationRunner::Apply() {
  if (absl::Status s = Check(); !s.ok()) return s;
  // Fast path, read-only: nothing to do when every migration is applied with its exact
  // text. A run-time role without DDL privileges (deploy/README.md "Database roles")
  // starts this way once the owner role has migrated.
  if (absl::StatusOr<bool> current = UpToDate(); current.ok() && *current) return 0;
  int applied_now = 0;
  // One transaction per migration; each re-reads the state under the schema lock, so
  // concurrent runners apply every migration exactly once between them.
  for (size_t next = 0; next <= migrations_.size(); ++next) {
    bool done = false;
    bool applied_one = false;
    absl::Status s = pool_.Run([&](PgTxn& txn) -> absl::Status {
      applied_one = false;  // the body may be retried
      std::map<int, Applied> applied = LockAndReadApplied(txn, schema_);
      const int db_max = applied.empty() ? 0 : applied.rbegin()->first;
      if (db_max > LatestKnownVersion()) {
        return absl::FailedPreconditionError(absl::StrCat(
            "schema ", schema_, " is at version ", db_max, " (", applied.rbegin()->second.name,
            "), newer than the newest this binary knows (", LatestKnownVersion(),
            "); run a newer binary"));
      }
      const Migration* pending = nullptr;
      for (const Migration& m : migrations_) {
        auto it = applied.find(m.version);
        if (it == applied.end()) {
          if (m.version < db_max) {
            return absl::FailedPreconditionError(absl::StrCat(
                "schema ", schema_, ": migration ", m.name, " is not applied but version ", db_max,
                " is; migrations must only be appended"));
          }
          if (pending == nullptr) pending = &m;
          continue;
        }
        const std::string current = MigrationChecksum(m.sql);
        if (it->second.checksum != current) {
          const std::vector<std::string> previous = DeclaredPreviousChecksums(m.sql);
          if (std::find(previous.begin(), previous.end(), it->second.checksum) !=
              previous.end()) {
            // A comment-only edit the file vouches for: record the current text.
            txn.exec_params(absl::StrCat("UPDATE ", schema_,
                                         ".schema_migrations SET checksum = $1 WHERE version = $2"),
                            current, m.version);
            continue;
          }
          return absl::FailedPreconditionError(absl::StrCat(
              "schema ", schema_, ": applied migration ", m.name, " (version ", m.version,
              ") has changed since it was applied (checksum mismatch); add a new migration "
              "instead of editing an applied one"));
        }
      }
      if (pending == nullptr) {
        done = true;
        return absl::OkStatus();
      }
      txn.exec(absl::StrCat("SET LOCAL search_path TO ", schema_));
      try {
        txn.exec(pending->sql);
      } catch (...) {
        bool lost, retryable;
        absl::Status err = PgExceptionToStatus(&lost, &retryable);
        if (lost || retryable) throw;  // let the pool discard the connection / retry
        return absl::Status(err.code(), absl::StrCat("schema ", schema_, ": migration ",
                                                     pending->name, " failed: ", err.message()));
      }
      txn.exec_params(absl::StrCat("INSERT INTO ", schema_,
                                   ".schema_migrations (version, name, checksum) "
                                   "VALUES ($1, $2, $3)"),
                      pending->version, pending->name, MigrationChecksum(pending->sql));
      applied_one = true;
      return absl::OkStatus();
    });
    if (!s.ok()) return s;
    if (applied_one) ++applied_now;
    if (done) return applied_now;
  }
  return applied_now;
}

}  // namespace freehold
