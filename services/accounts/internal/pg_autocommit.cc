#include "services/accounts/internal/pg_autocommit.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace freehold::accounts::internal {

struct PgAutocommit::Slot {
  std::unique_ptr<pqxx::connection> conn;
  bool in_use = false;
};

PgAutocommit::PgAutocommit(PgPoolOptions options) : options_(std::move(options)) {
  absl::MutexLock lock(&mu_);
  for (int i = 0; i < std::max(options_.size, 1); ++i) slots_.push_back(std::make_unique<Slot>());
}

PgAutocommit::~PgAutocommit() = default;

absl::StatusOr<PgAutocommit::Slot*> PgAutocommit::Acquire() {
  absl::MutexLock lock(&mu_);
  auto has_free = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return in_use_ < static_cast<int>(slots_.size());
  };
  if (!mu_.AwaitWithTimeout(absl::Condition(&has_free), options_.acquire_timeout)) {
    return absl::UnavailableError("no free database connection (autocommit pool)");
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

void PgAutocommit::Release(Slot* slot, bool discard) {
  if (discard) slot->conn.reset();
  absl::MutexLock lock(&mu_);
  slot->in_use = false;
  --in_use_;
}

absl::Status PgAutocommit::Connect(Slot& slot) {
  if (slot.conn && slot.conn->is_open()) return absl::OkStatus();
  slot.conn.reset();
  try {
    std::string url = options_.connection_string;
    if (!absl::StrContains(url, "connect_timeout")) {
      const int64_t secs = std::max<int64_t>(2, absl::ToInt64Seconds(options_.connect_timeout));
      const bool uri =
          absl::StartsWith(url, "postgresql://") || absl::StartsWith(url, "postgres://");
      absl::StrAppend(&url, uri ? (absl::StrContains(url, "?") ? "&" : "?") : " ",
                      "connect_timeout=", secs);
    }
    auto conn = std::make_unique<pqxx::connection>(url);
    std::string setup = absl::StrCat(
        "SET statement_timeout = ", absl::ToInt64Milliseconds(options_.statement_timeout),
        "; SET application_name = ", conn->quote(options_.application_name), ";");
    if (!options_.search_path.empty()) {
      absl::StrAppend(&setup, " SET search_path TO ", conn->quote_name(options_.search_path), ";");
    }
    pqxx::nontransaction ntx(*conn);
    ntx.exec(setup);
    for (const auto& [name, sql] : options_.prepared) conn->prepare(name, sql);
    slot.conn = std::move(conn);
  } catch (...) {
    bool lost, retryable;
    absl::Status s = PgExceptionToStatus(&lost, &retryable);
    return absl::UnavailableError(absl::StrCat("cannot connect to PostgreSQL: ", s.message()));
  }
  return absl::OkStatus();
}

absl::Status PgAutocommit::RunStatement(absl::FunctionRef<absl::Status(PgTxn&)> body) {
  absl::StatusOr<Slot*> slot = Acquire();
  if (!slot.ok()) return slot.status();
  bool lost = false;
  absl::Status status = Connect(**slot);
  if (status.ok()) {
    try {
      pqxx::nontransaction ntx(*(*slot)->conn);
      status = body(ntx);
    } catch (...) {
      bool retryable;
      status = PgExceptionToStatus(&lost, &retryable);
    }
    if ((*slot)->conn && !(*slot)->conn->is_open()) lost = true;
  }
  Release(*slot, lost);
  return status;
}

}  // namespace freehold::accounts::internal
