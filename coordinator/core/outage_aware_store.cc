#include "coordinator/core/outage_aware_store.h"

#include <vector>

#include "coordinator/core/model.h"

namespace freehold::coordinator {

OutageAwareStore::OutageAwareStore(MetadataStore& inner, Clock& clock,
                                   absl::Duration node_down_after)
    : inner_(inner), clock_(clock), node_down_after_(node_down_after) {}

absl::Status OutageAwareStore::Transact(absl::FunctionRef<absl::Status(MetadataTxn&)> body) {
  ForgiveOutage();
  return Observe(inner_.Transact(body));
}

absl::Status OutageAwareStore::Read(absl::FunctionRef<absl::Status(MetadataTxn&)> body) {
  ForgiveOutage();
  return Observe(inner_.Read(body));
}

int OutageAwareStore::forgiven_nodes() const {
  absl::MutexLock lock(&mu_);
  return forgiven_nodes_;
}

absl::Status OutageAwareStore::Observe(absl::Status s) {
  if (s.code() == absl::StatusCode::kUnavailable) {
    absl::MutexLock lock(&mu_);
    if (!outage_started_.has_value()) outage_started_ = clock_.Now();
  }
  return s;
}

void OutageAwareStore::ForgiveOutage() {
  absl::Time started;
  {
    absl::MutexLock lock(&mu_);
    if (!outage_started_.has_value()) return;
    started = *outage_started_;
  }
  const absl::Time now = clock_.Now();
  int forgiven = 0;
  absl::Status s = inner_.Transact([&](MetadataTxn& txn) -> absl::Status {
    forgiven = 0;
    absl::StatusOr<std::vector<Node>> nodes = txn.nodes().List();
    if (!nodes.ok()) return nodes.status();
    for (Node& node : *nodes) {
      // DRAINING and RETIRED nodes heartbeat too, and are judged on it (a drain retires
      // a silent node with deletions still queued; deletions and the orphan sweep skip
      // a silent retired node): forgiven like UP ones.
      const bool up_at_start =
          node.state != NodeState::kDown && started - node.last_heartbeat <= node_down_after_;
      if (!up_at_start || node.last_heartbeat >= now) continue;
      // Re-read under a row lock: a heartbeat may have landed since the listing.
      absl::StatusOr<std::optional<Node>> locked = txn.nodes().Get(node.node_id, true);
      if (!locked.ok()) return locked.status();
      if (!locked->has_value() || (*locked)->last_heartbeat >= now) continue;
      Node forgiven_node = **locked;
      forgiven_node.last_heartbeat = now;
      if (absl::Status u = txn.nodes().Upsert(forgiven_node); !u.ok()) return u;
      ++forgiven;
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return;  // still out of reach (or busy): try again on the next call
  absl::MutexLock lock(&mu_);
  // A newer outage noted while forgiving stays noted.
  if (outage_started_ == started) outage_started_.reset();
  forgiven_nodes_ += forgiven;
}

}  // namespace freehold::coordinator
