// Single statements in autocommit mode (pqxx::nontransaction): one network round trip
// per statement instead of BEGIN + statement + COMMIT. Used for the accounts service's
// hot single-statement paths (login, account lookups, session checks).
//
// LOCAL STOP-GAP: common/pg.h's PgPool only runs explicit transactions. When PgPool
// gains an autocommit mode this class should go and its callers use that mode.
//
// Same option struct and the same exception mapping (PgExceptionToStatus) as PgPool.
// Thread-safe; at most options.size statements run at once; connections open lazily.
// A callback must run exactly one statement (it is not retried).
#pragma once

#include <memory>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/pg.h"

namespace freehold::accounts::internal {

class PgAutocommit {
 public:
  explicit PgAutocommit(PgPoolOptions options);
  ~PgAutocommit();
  PgAutocommit(const PgAutocommit&) = delete;
  PgAutocommit& operator=(const PgAutocommit&) = delete;

  // Runs `fn(pqxx::transaction_base&)` (a nontransaction) and returns its value.
  template <typename Fn>
  auto Run(Fn&& fn) {
    using R = std::invoke_result_t<Fn&, PgTxn&>;
    std::optional<R> out;
    absl::Status s = RunStatement([&](PgTxn& txn) {
      out.emplace(fn(txn));
      return absl::OkStatus();
    });
    if (!s.ok()) return absl::StatusOr<R>(s);
    return absl::StatusOr<R>(std::move(*out));
  }

  absl::Status RunStatement(absl::FunctionRef<absl::Status(PgTxn&)> body);

 private:
  struct Slot;
  absl::StatusOr<Slot*> Acquire();
  void Release(Slot* slot, bool discard);
  absl::Status Connect(Slot& slot);

  const PgPoolOptions options_;
  absl::Mutex mu_;
  std::vector<std::unique_ptr<Slot>> slots_ ABSL_GUARDED_BY(mu_);
  int in_use_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace freehold::accounts::internal
