// ClusterStatus's node_durability entries (reputation, audits, drain progress).
#pragma once

#include "absl/status/status.h"
#include "coordinator/core/durability_store.h"
#include "freehold/v1/coordinator.pb.h"

namespace freehold::coordinator {

// Appends one NodeDurability per node with a reputation or a drain record.
absl::Status AddDurability(DurabilityStore& store, v1::ClusterStatusResponse* resp);

}  // namespace freehold::coordinator
