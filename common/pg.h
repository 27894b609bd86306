// PostgreSQL access over libpqxx 6.4: a fixed-size connection pool that runs a callback
// inside a transaction and turns libpqxx exceptions into absl::Status.
//
//   freehold::PgPool pool({.connection_string = url, .size = 4,
//                          .search_path = "accounts",
//                          .prepared = {{"get_account", "SELECT ... WHERE id = $1"}}});
//   absl::StatusOr<int64_t> n = pool.Run([&](freehold::PgTxn& txn) {
//     pqxx::result r = txn.exec_prepared("get_account", id);   // pqxx 6 API
//     return r.at(0).at(0).as<int64_t>();
//   });
//
// Callback contract: it may be invoked more than once (a serialization failure or
// deadlock is retried with a fresh transaction), so its C++ side effects must be safe to
// repeat. It may return void, a value T, absl::Status or absl::StatusOr<T>; a non-OK
// status rolls the transaction back and is returned as is. Exceptions escaping it are
// caught and mapped:
//   pqxx::broken_connection, SQLSTATE class 08, 57P01..57P03  -> UNAVAILABLE
//       (the connection and every idle one are discarded and re-opened on next use;
//       a transaction that was rolled back with its connection, or autocommit work
//       that never started, is retried ONCE on a fresh connection first)
//   read_only_sql_transaction (25006: a standby, e.g. the old primary after a failover)
//                                                              -> UNAVAILABLE, discarded
//   could not acquire a connection before acquire_timeout      -> UNAVAILABLE
//   unique_violation (23505)                                   -> ALREADY_EXISTS
//   serialization_failure / deadlock (40001, 40P01)            -> retried up to
//       max_serialization_retries times, then ABORTED
//   foreign_key_violation (23503)                              -> FAILED_PRECONDITION
//   other integrity violations (check, not null, ...), data_exception (22xxx)
//                                                              -> INVALID_ARGUMENT
//   statement_timeout / query_canceled (57014)                 -> DEADLINE_EXCEEDED
//   in_doubt_error (commit outcome unknown)                    -> UNAVAILABLE
//   anything else (incl. pqxx::conversion_error, std::exception) -> INTERNAL
// Messages include the PostgreSQL error text without its DETAIL line (which may echo
// row values). Every UNAVAILABLE names the database ("... (database \"coord\" at
// 127.0.0.1:5432)"), never user or password, so that a caller can tell a service's
// database problem from the service being unreachable.
//
// Server restarts: an idle connection whose socket is readable or closed (the server
// sent its shutdown notice) is replaced before use, without a round trip.
//
// Autocommit mode (TxMode::kAutocommit, RunAutocommit): the callback gets a
// pqxx::nontransaction, so each statement commits on its own and costs one round trip
// (no BEGIN/COMMIT). Meant for callbacks that run ONE statement (a CTE can read and write
// several tables atomically). A non-OK status returned by the callback rolls nothing
// back, and nothing is retried in this mode (a 40001/40P01 failure is ABORTED at once),
// because statements that already ran are committed.
//
// Nothing hangs: connects use connect_timeout, every statement statement_timeout,
// waiting for a free connection acquire_timeout. Thread-safe; at most `size`
// transactions run at once. Connections are opened lazily.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace freehold {

// The transaction handed to callbacks (pqxx::work, pqxx::read_transaction, a
// serializable transaction or pqxx::nontransaction, all pqxx::transaction_base).
using PgTxn = pqxx::transaction_base;

enum class TxMode {
  kReadWrite,     // READ COMMITTED (pqxx::work)
  kReadOnly,      // READ COMMITTED, READ ONLY (pqxx::read_transaction)
  kSerializable,  // SERIALIZABLE read-write
  kAutocommit     // no transaction block: each statement commits by itself, no retries
};

struct PgPoolOptions {
  // libpq URI ("postgresql://user@host:port/db?x=y") or keyword form ("host=... dbname=...").
  std::string connection_string;
  int size = 4;
  absl::Duration acquire_timeout = absl::Seconds(5);
  absl::Duration connect_timeout = absl::Seconds(5);  // added unless the string sets one
  absl::Duration statement_timeout = absl::Seconds(30);
  int max_serialization_retries = 5;
  // If non-empty, "SET search_path TO <search_path>" on every new connection
  // (e.g. "accounts" or "accounts, public").
  std::string search_path;
  // Session settings (name, value) made on every new connection with set_config, e.g.
  // {"plan_cache_mode", "force_generic_plan"} for statements whose custom plans cost
  // more than running them.
  std::vector<std::pair<std::string, std::string>> session_settings;
  std::string application_name = "freehold";
  // Prepared statements (name, sql) registered on every connection.
  std::vector<std::pair<std::string, std::string>> prepared;
};

// INVALID_ARGUMENT naming the field if options are unusable (empty string, size < 1, ...).
absl::Status ValidatePgPoolOptions(const PgPoolOptions& options);

// Maps the exception currently being handled (call only inside a catch block) to a
// status as listed above; *connection_lost is set when the connection is unusable and
// *retryable when a retry of the whole transaction may succeed. Exposed for adapters
// that manage their own pqxx connections.
absl::Status PgExceptionToStatus(bool* connection_lost, bool* retryable);

class PgPool {
 public:
  // Does not connect (use Ping() to check at start-up). Options must be valid
  // (ValidatePgPoolOptions); invalid options make every Run fail with INVALID_ARGUMENT.
  explicit PgPool(PgPoolOptions options);
  ~PgPool();
  PgPool(const PgPool&) = delete;
  PgPool& operator=(const PgPool&) = delete;

  // Registers a prepared statement on all connections (existing ones prepare it on
  // their next use). Registering an existing name with different SQL is an error
  // (ALREADY_EXISTS); same SQL is a no-op.
  absl::Status Prepare(const std::string& name, const std::string& sql);

  // Runs `fn(PgTxn&)` in a transaction and commits it (see the file comment for the
  // callback contract and status mapping). Returns absl::Status when fn returns void or
  // absl::Status, otherwise absl::StatusOr<T>.
  template <typename Fn>
  auto Run(Fn&& fn, TxMode mode = TxMode::kReadWrite);
  template <typename Fn>
  auto RunReadOnly(Fn&& fn) {
    return Run(std::forward<Fn>(fn), TxMode::kReadOnly);
  }
  template <typename Fn>
  auto RunSerializable(Fn&& fn) {
    return Run(std::forward<Fn>(fn), TxMode::kSerializable);
  }
  // One statement, one round trip (see "Autocommit mode" above).
  template <typename Fn>
  auto RunAutocommit(Fn&& fn) {
    return Run(std::forward<Fn>(fn), TxMode::kAutocommit);
  }

  // Runs "SELECT 1" on a pooled connection: OK or UNAVAILABLE with the reason.
  absl::Status Ping();

  int size() const { return options_.size; }
  // Connections currently lent out.
  int in_use() const;
  const PgPoolOptions& options() const { return options_; }

  // Non-template core of Run: body returns OK to commit, anything else to roll back.
  absl::Status RunTransaction(TxMode mode, absl::FunctionRef<absl::Status(PgTxn&)> body);

 private:
  struct Slot;
  absl::StatusOr<Slot*> Acquire();
  void Release(Slot* slot, bool discard);
  absl::Status EnsureConnected(Slot& slot);
  absl::Status NameDatabase(const absl::Status& status) const;

  const PgPoolOptions options_;
  const absl::Status options_status_;
  const std::string database_label_;  // "database \"x\" at host:port"
  mutable absl::Mutex mu_;
  std::vector<std::unique_ptr<Slot>> slots_ ABSL_GUARDED_BY(mu_);
  // Append-only: a connection has prepared the first Slot::prepared_count entries.
  std::vector<std::pair<std::string, std::string>> prepared_ ABSL_GUARDED_BY(mu_);
  int in_use_ ABSL_GUARDED_BY(mu_) = 0;
};

namespace pg_internal {
template <typename T>
struct IsStatusOr : std::false_type {};
template <typename T>
struct IsStatusOr<absl::StatusOr<T>> : std::true_type {};
}  // namespace pg_internal

template <typename Fn>
auto PgPool::Run(Fn&& fn, TxMode mode) {
  using R = std::invoke_result_t<Fn&, PgTxn&>;
  if constexpr (std::is_void_v<R>) {
    return RunTransaction(mode, [&](PgTxn& txn) {
      fn(txn);
      return absl::OkStatus();
    });
  } else if constexpr (std::is_same_v<R, absl::Status>) {
    return RunTransaction(mode, [&](PgTxn& txn) { return fn(txn); });
  } else if constexpr (pg_internal::IsStatusOr<R>::value) {
    std::optional<R> out;
    absl::Status s = RunTransaction(mode, [&](PgTxn& txn) {
      out.emplace(fn(txn));
      return out->status();
    });
    if (!s.ok()) return R(s);
    return std::move(*out);
  } else {
    std::optional<R> out;
    absl::Status s = RunTransaction(mode, [&](PgTxn& txn) {
      out.emplace(fn(txn));
      return absl::OkStatus();
    });
    if (!s.ok()) return absl::StatusOr<R>(s);
    return absl::StatusOr<R>(std::move(*out));
  }
}

}  // namespace freehold
