// A few PostgreSQL connections that run single statements in autocommit mode: each
// statement is its own transaction, so a call costs one round trip (common/pg.h's
// PgPool always adds BEGIN and COMMIT, two more). The intake's group commit uses it for
// its one statement per batch; everything else stays on PgPool.
#pragma once

#include <memory>
#include <pqxx/pqxx>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "common/pg.h"

namespace freehold::donations {

// Thread-safe; at most size() statements run at once.
class PgAutocommitPool {
 public:
  // Same connection settings as `options` (URL, connect and statement timeouts,
  // search_path, application name, prepared statements), `size` connections opened
  // lazily. `options` must be valid (ValidatePgPoolOptions).
  PgAutocommitPool(PgPoolOptions options, int size);
  ~PgAutocommitPool();
  PgAutocommitPool(const PgAutocommitPool&) = delete;
  PgAutocommitPool& operator=(const PgAutocommitPool&) = delete;

  int size() const { return size_; }

  // Runs `fn` on a free connection (waiting up to acquire_timeout). Exceptions are
  // mapped by PgExceptionToStatus (a lost connection is reopened on next use). No
  // retries: every statement fn runs has already committed or failed on its own.
  absl::Status Run(absl::FunctionRef<absl::Status(pqxx::nontransaction&)> fn);

 private:
  struct Slot {
    std::unique_ptr<pqxx::connection> conn;
    bool in_use = false;
  };
  absl::Status Connect(Slot& slot) const;

  const PgPoolOptions options_;
  const int size_;
  absl::Mutex mu_;
  std::vector<Slot> slots_ ABSL_GUARDED_BY(mu_);
};

}  // namespace freehold::donations
