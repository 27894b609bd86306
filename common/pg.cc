// PgPool: fixed-size libpqxx 6 connection pool with exception -> status mapping.
#include "common/pg.h"

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <optional>
#include <random>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace freehold {
namespace {

// The first line of a PostgreSQL error without "ERROR:  " and without DETAIL/HINT lines
// (DETAIL may contain row values such as handles or e-mail addresses).
std::string CleanMessage(const char* what) {
  absl::string_view m = what;
  if (size_t nl = m.find('\n'); nl != absl::string_view::npos) m = m.substr(0, nl);
  absl::ConsumePrefix(&m, "ERROR:  ");
  absl::ConsumePrefix(&m, "FATAL:  ");
  return std::string(absl::StripAsciiWhitespace(m));
}

std::string WithConnectTimeout(const std::string& conn, absl::Duration timeout) {
  if (absl::StrContains(conn, "connect_timeout")) return conn;
  const int64_t secs =
      std::max<int64_t>(2, absl::ToInt64Seconds(absl::Ceil(timeout, absl::Seconds(1))));
  if (absl::StartsWith(conn, "postgresql://") || absl::StartsWith(conn, "postgres://")) {
    return absl::StrCat(conn, absl::StrContains(conn, "?") ? "&" : "?", "connect_timeout=", secs);
  }
  return absl::StrCat(conn, " connect_timeout=", secs);
}

// "database \"NAME\" at HOST:PORT" from a connection string, without user or password
// (libpq's own parser, so URIs, keyword strings and multi-host lists all work).
std::string DatabaseLabel(const std::string& conn) {
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(conn.c_str(), &err);
  if (err != nullptr) PQfreemem(err);
  if (opts == nullptr) return "database (unparsable connection string)";
  std::string db, host, port;
  for (PQconninfoOption* o = opts; o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    absl::string_view k = o->keyword;
    if (k == "dbname") db = o->val;
    if (k == "host") host = o->val;
    if (k == "hostaddr" && host.empty()) host = o->val;
    if (k == "port") port = o->val;
  }
  PQconninfoFree(opts);
  return absl::StrCat("database \"", db.empty() ? "(default)" : db, "\" at ",
                      host.empty() ? "(default host)" : host, port.empty() ? "" : ":", port);
}

// True when an idle connection's socket has something to read or is closed: a server
// that shut down or restarted sent its FATAL 57P01 and/or closed the socket, and an idle
// pooled connection (no LISTEN) has nothing else to receive. One poll(2), no round trip.
bool IdleConnectionLooksDead(pqxx::connection& conn) {
  const int fd = conn.sock();
  if (fd < 0) return true;
  pollfd p{fd, POLLIN, 0};
  const int r = ::poll(&p, 1, 0);
  return r != 0;  // readable, hung up, error (or poll itself failed)
}

}  // namespace

struct PgPool::Slot {
  std::unique_ptr<pqxx::connection> conn;
  // How many entries of PgPool::prepared_ this connection has registered.
  size_t prepared_count = 0;
  bool in_use = false;
};

absl::Status ValidatePgPoolOptions(const PgPoolOptions& o) {
  if (o.connection_string.empty()) {
    return absl::InvalidArgumentError("connection_string: must not be empty");
  }
  if (o.size < 1 || o.size > 1000) {
    return absl::InvalidArgumentError(absl::StrCat("size: must be 1..1000, got ", o.size));
  }
  if (o.acquire_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("acquire_timeout: must be positive");
  }
  if (o.connect_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("connect_timeout: must be positive");
  }
  if (o.statement_timeout < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("statement_timeout: must not be negative");
  }
  if (o.max_serialization_retries < 0) {
    return absl::InvalidArgumentError("max_serialization_retries: must not be negative");
  }
  return absl::OkStatus();
}

namespace {
// As PgExceptionToStatus; *outcome_unknown when the work may have been committed
// (a commit or a statement whose result never arrived): such work is never retried.
absl::Status MapCurrentException(bool* connection_lost, bool* retryable, bool* outcome_unknown) {
  *connection_lost = false;
  *retryable = false;
  *outcome_unknown = false;
  try {
    throw;
  } catch (const pqxx::broken_connection& e) {
    *connection_lost = true;
    return absl::UnavailableError(
        absl::StrCat("database connection lost: ", CleanMessage(e.what())));
  } catch (const pqxx::in_doubt_error& e) {
    *connection_lost = true;
    *outcome_unknown = true;
    return absl::UnavailableError(absl::StrCat(
        "database connection lost during commit (outcome unknown): ", CleanMessage(e.what())));
  } catch (const pqxx::statement_completion_unknown& e) {
    *connection_lost = true;
    *outcome_unknown = true;
    return absl::UnavailableError(
        absl::StrCat("database statement outcome unknown: ", CleanMessage(e.what())));
  } catch (const pqxx::transaction_rollback& e) {
    // serialization_failure, deadlock_detected and other 40xxx rollbacks.
    *retryable = true;
    return absl::AbortedError(absl::StrCat("transaction conflict: ", CleanMessage(e.what())));
  } catch (const pqxx::unique_violation& e) {
    return absl::AlreadyExistsError(CleanMessage(e.what()));
  } catch (const pqxx::foreign_key_violation& e) {
    return absl::FailedPreconditionError(CleanMessage(e.what()));
  } catch (const pqxx::integrity_constraint_violation& e) {
    return absl::InvalidArgumentError(CleanMessage(e.what()));
  } catch (const pqxx::data_exception& e) {
    return absl::InvalidArgumentError(CleanMessage(e.what()));
  } catch (const pqxx::sql_error& e) {
    const std::string& state = e.sqlstate();
    const std::string msg = CleanMessage(e.what());
    if (state == "57014")
      return absl::DeadlineExceededError(absl::StrCat("statement timed out: ", msg));
    if (state == "40001" || state == "40P01") {
      *retryable = true;
      return absl::AbortedError(absl::StrCat("transaction conflict: ", msg));
    }
    if (absl::StartsWith(state, "08") || state == "57P01" || state == "57P02" || state == "57P03" ||
        state == "53300") {
      *connection_lost = state != "53300";
      return absl::UnavailableError(absl::StrCat("database unavailable: ", msg));
    }
    if (state == "25006") {
      // read_only_sql_transaction: this session reached a standby (a former primary
      // after a failover). Drop it; the reconnect with target_session_attrs=read-write
      // finds the new primary.
      *connection_lost = true;
      return absl::UnavailableError(absl::StrCat("database is read-only (failover?): ", msg));
    }
    if (absl::StartsWith(state, "23") || absl::StartsWith(state, "22")) {
      return absl::InvalidArgumentError(msg);
    }
    return absl::InternalError(absl::StrCat("database error ", state, ": ", msg));
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("database adapter error: ", CleanMessage(e.what())));
  } catch (...) {
    return absl::InternalError("database adapter error: unknown exception");
  }
}
}  // namespace

absl::Status PgExceptionToStatus(bool* connection_lost, bool* retryable) {
  bool outcome_unknown;
  return MapCurrentException(connection_lost, retryable, &outcome_unknown);
}

PgPool::PgPool(PgPoolOptions options)
    : options_(std::move(options)),
      options_status_(ValidatePgPoolOptions(options_)),
      database_label_(options_status_.ok() ? DatabaseLabel(options_.connection_string)
                                           : std::string("database")) {
  absl::MutexLock lock(&mu_);
  prepared_ = options_.prepared;
  for (int i = 0; i < std::max(options_.size, 0); ++i) slots_.push_back(std::make_unique<Slot>());
}

PgPool::~PgPool() = default;

absl::Status PgPool::Prepare(const std::string& name, const std::string& sql) {
  absl::MutexLock lock(&mu_);
  for (const auto& [n, s] : prepared_) {
    if (n == name) {
      if (s == sql) return absl::OkStatus();
      return absl::AlreadyExistsError(
          absl::StrCat("prepared statement '", name, "' already registered with other SQL"));
    }
  }
  prepared_.emplace_back(name, sql);
  return absl::OkStatus();
}

int PgPool::in_use() const {
  absl::MutexLock lock(&mu_);
  return in_use_;
}

absl::StatusOr<PgPool::Slot*> PgPool::Acquire() {
  absl::MutexLock lock(&mu_);
  auto has_free = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return in_use_ < static_cast<int>(slots_.size());
  };
  if (!mu_.AwaitWithTimeout(absl::Condition(&has_free), options_.acquire_timeout)) {
    return absl::UnavailableError(absl::StrCat("no free database connection within ",
                                               absl::FormatDuration(options_.acquire_timeout),
                                               " (pool size ", slots_.size(), ")"));
  }
  Slot* chosen = nullptr;
  for (auto& slot : slots_) {
    if (slot->in_use) continue;
    if (chosen == nullptr || (slot->conn && !chosen->conn)) chosen = slot.get();
  }
  chosen->in_use = true;
  ++in_use_;
  return chosen;
}

void PgPool::Release(Slot* slot, bool discard) {
  if (discard) {
    slot->conn.reset();
    slot->prepared_count = 0;
  }
  absl::MutexLock lock(&mu_);
  slot->in_use = false;
  --in_use_;
  if (discard) {
    // One lost connection means the server went away (restart, failover): every idle
    // connection is stale too. Drop them all now rather than fail one call on each.
    for (auto& other : slots_) {
      if (other->in_use || !other->conn) continue;
      other->conn.reset();
      other->prepared_count = 0;
    }
  }
}

absl::Status PgPool::EnsureConnected(Slot& slot) {
  if (slot.conn && slot.conn->is_open() && !IdleConnectionLooksDead(*slot.conn)) {
    return absl::OkStatus();
  }
  slot.conn.reset();
  slot.prepared_count = 0;
  try {
    auto conn = std::make_unique<pqxx::connection>(
        WithConnectTimeout(options_.connection_string, options_.connect_timeout));
    std::string setup = absl::StrCat(
        "SET statement_timeout = ", absl::ToInt64Milliseconds(options_.statement_timeout),
        "; SET application_name = ", conn->quote(options_.application_name), ";");
    if (!options_.search_path.empty()) {
      std::vector<std::string> parts;
      for (absl::string_view p : absl::StrSplit(options_.search_path, ',')) {
        p = absl::StripAsciiWhitespace(p);
        if (!p.empty()) parts.push_back(conn->quote_name(std::string(p)));
      }
      absl::StrAppend(&setup, " SET search_path TO ", absl::StrJoin(parts, ", "), ";");
    }
    for (const auto& [name, value] : options_.session_settings) {
      absl::StrAppend(&setup, " SELECT set_config(", conn->quote(name), ", ", conn->quote(value),
                      ", false);");
    }
    pqxx::nontransaction ntx(*conn);
    ntx.exec(setup);
    ntx.commit();
    slot.conn = std::move(conn);
  } catch (...) {
    bool lost, retryable;
    absl::Status s = PgExceptionToStatus(&lost, &retryable);
    return absl::UnavailableError(absl::StrCat("cannot connect to PostgreSQL: ", s.message()));
    // (RunTransaction appends which database.)
  }
  return absl::OkStatus();
}

absl::Status PgPool::RunTransaction(TxMode mode, absl::FunctionRef<absl::Status(PgTxn&)> body) {
  if (!options_status_.ok()) return options_status_;
  std::optional<std::minstd_rand> jitter;  // seeded on the first retry only (a syscall)
  bool reconnected_once = false;
  for (int attempt = 0;; ++attempt) {
    absl::StatusOr<Slot*> acquired = Acquire();
    if (!acquired.ok()) return NameDatabase(acquired.status());
    Slot* slot = *acquired;
    bool lost = false;
    bool retryable = false;
    bool outcome_unknown = false;
    bool body_ran = false;
    absl::Status status = EnsureConnected(*slot);
    if (status.ok()) {
      try {
        // Statements registered since this connection last ran (usually none: no copy).
        std::vector<std::pair<std::string, std::string>> missing;
        {
          absl::MutexLock lock(&mu_);
          if (slot->prepared_count < prepared_.size()) {
            missing.assign(prepared_.begin() + slot->prepared_count, prepared_.end());
          }
        }
        for (const auto& [name, sql] : missing) {
          slot->conn->prepare(name, sql);  // libpqxx prepares on first use
          ++slot->prepared_count;
        }
        body_ran = true;
        switch (mode) {
          case TxMode::kReadWrite: {
            pqxx::work txn(*slot->conn);
            status = body(txn);
            if (status.ok()) txn.commit();
            break;
          }
          case TxMode::kReadOnly: {
            pqxx::read_transaction txn(*slot->conn);
            status = body(txn);
            if (status.ok()) txn.commit();
            break;
          }
          case TxMode::kSerializable: {
            pqxx::transaction<pqxx::serializable> txn(*slot->conn);
            status = body(txn);
            if (status.ok()) txn.commit();
            break;
          }
          case TxMode::kAutocommit: {
            pqxx::nontransaction txn(*slot->conn);
            status = body(txn);
            break;
          }
        }
      } catch (...) {
        status = MapCurrentException(&lost, &retryable, &outcome_unknown);
      }
      if (slot->conn && !slot->conn->is_open()) lost = true;
    }
    Release(slot, lost);
    if (status.ok()) return status;
    // A connection lost before anything could have committed (a transaction that was
    // rolled back with it, or autocommit work that never started) is retried once on a
    // fresh connection: the first call after a server restart or failover succeeds.
    if (lost && !outcome_unknown && !reconnected_once &&
        (mode != TxMode::kAutocommit || !body_ran)) {
      reconnected_once = true;
      continue;
    }
    if (status.code() == absl::StatusCode::kUnavailable) return NameDatabase(status);
    // Autocommit statements that already ran are committed: never repeat the callback.
    if (!retryable || mode == TxMode::kAutocommit) return status;
    if (attempt >= options_.max_serialization_retries) {
      return absl::AbortedError(absl::StrCat(status.message(), " (gave up after ", attempt + 1,
                                             " attempts; retry the request)"));
    }
    // Short randomized back-off so conflicting transactions do not collide again.
    if (!jitter) jitter.emplace(std::random_device{}());
    std::this_thread::sleep_for(std::chrono::microseconds((500 << std::min(attempt, 6)) +
                                                          static_cast<int>((*jitter)() % 1000)));
  }
}

absl::Status PgPool::NameDatabase(const absl::Status& status) const {
  return absl::Status(status.code(), absl::StrCat(status.message(), " (", database_label_, ")"));
}

absl::Status PgPool::Ping() {
  return RunTransaction(TxMode::kReadOnly, [](PgTxn& txn) {
    txn.exec("SELECT 1");
    return absl::OkStatus();
  });
}

}  // namespace freehold
