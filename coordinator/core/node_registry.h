// Node registry rules (docs/ARCHITECTURE.md#7-the-coordinator): registration and heartbeats signed
// by the node key, the up/down/draining/retired state machine evaluated against an injected clock,
// and operator state changes.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/logging.h"
#include "coordinator/core/config.h"
#include "coordinator/core/model.h"
#include "coordinator/core/store.h"

namespace freehold::coordinator {

// What a node call carries besides its fields: the bytes the node signed (the
// request serialized deterministically with `signature` empty), the signature
// and the claimed signing time.
struct NodeSignature {
  std::string signed_bytes;
  std::string signature;  // 64 raw Ed25519 bytes
  int64_t signed_at_unix_seconds = 0;
};

struct RegisterNodeInput {
  std::string node_id;
  std::string address;
  FailureDomain domain;
  uint64_t capacity_bytes = 0;
  std::string public_key;  // 32 raw bytes
  std::string version;
  NodeSignature signature;
};

struct HeartbeatInput {
  std::string node_id;
  uint64_t used_bytes = 0;
  uint64_t free_bytes = 0;
  uint64_t shard_count = 0;
  std::string version;
  std::vector<std::string> corrupt_shard_keys;
  NodeSignature signature;
};

// The state a node is in at `now`: an UP node whose last heartbeat is older
// than `down_after` is DOWN; every other state is kept. Pure.
NodeState EffectiveState(const Node& node, absl::Time now, absl::Duration down_after);

// Checks an Ed25519 signature by `public_key` (32 raw bytes) over `bytes`.
// UNAUTHENTICATED if it does not verify.
absl::Status VerifyNodeSignature(const std::string& public_key, const std::string& bytes,
                                 const std::string& signature);

// Thread-safe (state lives in the store).
class NodeRegistry {
 public:
  NodeRegistry(MetadataStore& store, Clock& clock, const CoordinatorConfig& config, Logger log);

  // Registers or re-registers a node; returns the heartbeat interval.
  // INVALID_ARGUMENT naming the field; UNAUTHENTICATED bad signature or stale
  // signed_at; PERMISSION_DENIED if the id is registered with another key (an
  // operator must retire it first); FAILED_PRECONDITION if retired with this key.
  absl::StatusOr<absl::Duration> Register(const RegisterNodeInput& input);

  // Records usage; a DOWN node comes back UP. Returns the node's state.
  // NOT_FOUND for an unknown node (it should register again).
  absl::StatusOr<NodeState> Heartbeat(const HeartbeatInput& input);

  // Operator: UP, DRAINING or RETIRED. NOT_FOUND unknown node; INVALID_ARGUMENT
  // for DOWN; FAILED_PRECONDITION to leave RETIRED.
  absl::Status SetState(const std::string& node_id, NodeState state);

  // Liveness loop: moves UP nodes whose heartbeats stopped to DOWN.
  // Returns the ids that changed.
  absl::StatusOr<std::vector<std::string>> MarkSilentNodesDown();

  // All nodes with their effective state at now.
  absl::StatusOr<std::vector<Node>> List();

 private:
  absl::Status CheckSignature(const std::string& public_key, const NodeSignature& sig) const;

  MetadataStore& store_;
  Clock& clock_;
  const CoordinatorConfig& config_;
  Logger log_;
};

}  // namespace freehold::coordinator
