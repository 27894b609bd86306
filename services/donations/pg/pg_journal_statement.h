// The journal statement (migration 0006): a group-commit batch of n webhook events
// without identified donors in ONE plain statement (no PL/pgSQL, no arrays: the rows
// are a VALUES list, so each batch size has its own prepared statement). Each usable
// event is one row of donations.events; a payment's row carries its complete ledger
// entry and the transaction id (the journal; donations.project_ledger copies it into
// the ledger). Answers one row: one letter per event in input order --
//   t  nothing written: reversals are parked for the payment (the C++ rules apply
//      them) or no exchange rate applies (the rules refuse it);
//   d  a duplicate (the event id was claimed before);
//   c  claimed, no entry (claim-only, the payment is in the ledger already, or an
//      earlier event of the batch reports it);
//   r  claimed with its entry (a journal row)
// -- then each event's rate and base amount (text[], bigint[]).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "services/donations/core/store.h"

namespace freehold::donations::pg_internal {

inline constexpr int kJournalParamsPerEvent = 18;
// Largest batch with a journal statement (IntakeBatchOptions::max_events allows 64).
inline constexpr int kJournalMaxEvents = 64;

// The prepared statement's name and SQL for a batch of `events` events (1..64).
std::string JournalStatementName(int events);
std::string JournalStatementSql(int events);

// The statement's parameters for `events` (none with an identified donor; a repeated
// event id must not occur), as libpq wants them: NULL is a null pointer.
class JournalParams {
 public:
  explicit JournalParams(const std::vector<const FastIntakeEvent*>& events);
  JournalParams(const JournalParams&) = delete;  // pointers() points into values_
  JournalParams& operator=(const JournalParams&) = delete;
  const std::vector<const char*>& pointers() const { return pointers_; }

 private:
  std::vector<std::optional<std::string>> values_;
  std::vector<const char*> pointers_;
};

}  // namespace freehold::donations::pg_internal
