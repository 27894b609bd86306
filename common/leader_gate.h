// Whether this replica of a service leads its background work. Header-only and free of
// PostgreSQL so core/ code can be gated; the PostgreSQL implementation is LeaderLease
// (common/leader_lease.h).
//
//   gate.RunIfLeader([&] { return repair.RunOnce().status(); });
//
// Contract for gated work: leadership can be lost at any moment (the leader's database
// session drops) and another replica may start the same work before this one notices,
// for at most one check interval. Gated work must therefore stay correct if two
// replicas briefly run it at once (transactions, row locks, idempotent statements); the
// gate removes the steady-state duplication and contention, it is not a mutex.
#pragma once

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"

namespace freehold {

class LeaderGate {
 public:
  virtual ~LeaderGate() = default;
  // True while this replica leads (as of the latest check; no round trip). Thread-safe.
  virtual bool IsLeader() const = 0;

  // Runs `work` only while leading; OK without running it otherwise.
  absl::Status RunIfLeader(absl::FunctionRef<absl::Status()> work) const {
    if (!IsLeader()) return absl::OkStatus();
    return work();
  }
};

// A gate that always leads: one replica, or tests.
class AlwaysLeader : public LeaderGate {
 public:
  bool IsLeader() const override { return true; }
};

}  // namespace freehold
