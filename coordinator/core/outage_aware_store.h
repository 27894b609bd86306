// A MetadataStore that remembers when the metadata database was out of reach, so that
// storage nodes are not judged on heartbeats the coordinator could not record.
//
// While PostgreSQL is unreachable (a failover, a restart, a partition of the services
// from the database), every heartbeat a node sends is refused with UNAVAILABLE. Judged
// afterwards by the recorded heartbeats alone, every node would look down the moment the
// database came back: placement would find no eligible node and maintenance would start
// repairing the whole fleet. This decorator notes the first UNAVAILABLE answer of the
// inner store; before the first call that reaches the database again, it forgives the
// outage: every node that was up (or draining, or retired but still heartbeating) when
// the outage began (its last heartbeat within
// `node_down_after` of the outage's start) gets its last heartbeat moved to the end of
// the outage, so it has a full `node_down_after` to be heard again. A node that was
// already silent before the outage is not forgiven. Forgiveness is written to the
// database, so every coordinator replica sees it.
//
// Thread-safe; forgiveness runs at most once per outage (retried until it succeeds).
#pragma once

#include <optional>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "coordinator/core/store.h"

namespace freehold::coordinator {

class OutageAwareStore final : public MetadataStore {
 public:
  // `inner` and `clock` outlive this object.
  OutageAwareStore(MetadataStore& inner, Clock& clock, absl::Duration node_down_after);

  absl::Status Transact(absl::FunctionRef<absl::Status(MetadataTxn&)> body) override;
  absl::Status Read(absl::FunctionRef<absl::Status(MetadataTxn&)> body) override;

  // Nodes whose heartbeats were forgiven so far (for logs and tests).
  int forgiven_nodes() const;

 private:
  // Notes an outage start if `s` is UNAVAILABLE; returns `s`.
  absl::Status Observe(absl::Status s);
  // If an outage was noted, moves the heartbeats of the nodes that were up at its start
  // to now; clears the note when that succeeds.
  void ForgiveOutage();

  MetadataStore& inner_;
  Clock& clock_;
  const absl::Duration node_down_after_;
  mutable absl::Mutex mu_;
  std::optional<absl::Time> outage_started_ ABSL_GUARDED_BY(mu_);
  int forgiven_nodes_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace freehold::coordinator
