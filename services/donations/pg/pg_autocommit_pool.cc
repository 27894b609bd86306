// Autocommit connections for one-statement calls (see pg_autocommit_pool.h).
#include "services/donations/pg/pg_autocommit_pool.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace freehold::donations {
namespace {

// As common/pg.cc: libpq's connect_timeout unless the string sets one.
std::string WithConnectTimeout(const std::string& conn, absl::Duration timeout) {
  if (absl::StrContains(conn, "connect_timeout")) return conn;
  const int64_t secs =
      std::max<int64_t>(2, absl::ToInt64Seconds(absl::Ceil(timeout, absl::Seconds(1))));
  if (absl::StartsWith(conn, "postgresql://") || absl::StartsWith(conn, "postgres://")) {
    return absl::StrCat(conn, absl::StrContains(conn, "?") ? "&" : "?", "connect_timeout=", secs);
  }
  return absl::StrCat(conn, " connect_timeout=", secs);
}

}  // namespace

PgAutocommitPool::PgAutocommitPool(PgPoolOptions options, int size)
    : options_(std::move(options)), size_(size) {
  absl::MutexLock lock(&mu_);
  slots_.resize(static_cast<size_t>(std::max(size, 1)));
}

PgAutocommitPool::~PgAutocommitPool() = default;

absl::Status PgAutocommitPool::Connect(Slot& slot) const {
  if (slot.conn && slot.conn->is_open()) return absl::OkStatus();
  slot.conn.reset();
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
    pqxx::nontransaction setup_tx(*conn);
    setup_tx.exec(setup);
    setup_tx.commit();
    for (const auto& [name, sql] : options_.prepared) conn->prepare(name, sql);
    slot.conn = std::move(conn);
  } catch (...) {
    bool lost = false;
    bool retryable = false;
    absl::Status s = PgExceptionToStatus(&lost, &retryable);
    return absl::UnavailableError(absl::StrCat("cannot connect to PostgreSQL: ", s.message()));
  }
  return absl::OkStatus();
}

absl::Status PgAutocommitPool::Run(absl::FunctionRef<absl::Status(pqxx::nontransaction&)> fn) {
  Slot* slot = nullptr;
  {
    absl::MutexLock lock(&mu_);
    auto has_free = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return std::any_of(slots_.begin(), slots_.end(), [](const Slot& s) { return !s.in_use; });
    };
    if (!mu_.AwaitWithTimeout(absl::Condition(&has_free), options_.acquire_timeout)) {
      return absl::UnavailableError(absl::StrCat("no free intake connection within ",
                                                 absl::FormatDuration(options_.acquire_timeout)));
    }
    for (Slot& s : slots_) {
      if (s.in_use) continue;
      if (slot == nullptr || (s.conn && !slot->conn)) slot = &s;
    }
    slot->in_use = true;
  }
  // The slot is ours until released below; its connection is touched only here.
  absl::Status status = Connect(*slot);
  bool lost = false;
  if (status.ok()) {
    try {
      pqxx::nontransaction tx(*slot->conn);
      status = fn(tx);
    } catch (...) {
      bool retryable = false;
      status = PgExceptionToStatus(&lost, &retryable);
    }
    if (slot->conn && !slot->conn->is_open()) lost = true;
  }
  if (lost) slot->conn.reset();
  absl::MutexLock lock(&mu_);
  slot->in_use = false;
  return status;
}

}  // namespace freehold::donations
