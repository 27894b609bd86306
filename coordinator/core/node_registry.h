// Node registry rules (docs/ARCHITECTURE.md#7-the-coordinator): registration and heartbeats signed
// by the node key, the up/down/draining/retired state machine evaluated against an injected clock,
// operator state changes, and node admission (docs/ARCHITECTURE.md#14-trust): only a node id an
// operator approved, with the key it was approved with, may register and heartbeat.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/registry.h>

#include <optional>
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
  uint64_t capacity_bytes = 0;  // declared (--capacity-bytes)
  // Total size of the node's file system (statvfs); 0 = not reported. The node's
  // capacity is min(capacity_bytes, filesystem_bytes).
  uint64_t filesystem_bytes = 0;
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
  // `metrics` (optional, must outlive this object) receives
  // freehold_coordinator_node_registrations_refused_total{call,reason}.
  NodeRegistry(MetadataStore& store, Clock& clock, const CoordinatorConfig& config, Logger log,
               prometheus::Registry* metrics = nullptr);

  // Registers or re-registers a node; returns the heartbeat interval.
  // INVALID_ARGUMENT naming the field; UNAUTHENTICATED bad signature or stale
  // signed_at; PERMISSION_DENIED if the id is not approved, revoked, or approved
  // with another key (the attempt is then kept for ListPending, logged and
  // counted), or if the id is registered with another key (an operator must
  // retire it first); FAILED_PRECONDITION if retired with this key.
  absl::StatusOr<absl::Duration> Register(const RegisterNodeInput& input);

  // Records usage; a DOWN node comes back UP. Returns the node's state.
  // NOT_FOUND for an unknown node (it should register again); PERMISSION_DENIED
  // (logged and counted) if its approval was revoked.
  absl::StatusOr<NodeState> Heartbeat(const HeartbeatInput& input);

  // Operator: UP, DRAINING or RETIRED. NOT_FOUND unknown node; INVALID_ARGUMENT
  // for DOWN; FAILED_PRECONDITION to leave RETIRED or to set a node that is not
  // approved UP.
  absl::Status SetState(const std::string& node_id, NodeState state);

  // Operator: admits `node_id` with `public_key` (32 raw bytes), or, if nullopt,
  // with the key of its pending (refused) registration attempt. Approving an
  // approved id with the same key changes nothing; a revoked id is approved
  // afresh (its weight ramps again). INVALID_ARGUMENT bad id or key;
  // FAILED_PRECONDITION no key given and no pending attempt, or already approved
  // with another key (revoke first).
  absl::Status Approve(const std::string& node_id, const std::optional<std::string>& public_key);

  // Operator: refuses the node from now on and takes it out of placement at once
  // (its row turns DOWN, so its shards are repaired like a down node's).
  // NOT_FOUND if the id was never approved. Revoking twice changes nothing.
  absl::Status Revoke(const std::string& node_id);

  // Operator: refused registration attempts, the most recent first, at most `limit`.
  absl::StatusOr<std::vector<RegistrationAttempt>> ListPending(int limit);

  // Liveness loop: moves UP nodes whose heartbeats stopped to DOWN.
  // Returns the ids that changed.
  absl::StatusOr<std::vector<std::string>> MarkSilentNodesDown();

  // All nodes with their effective state at now.
  absl::StatusOr<std::vector<Node>> List();

 private:
  absl::Status CheckSignature(const std::string& public_key, const NodeSignature& sig) const;
  // Logs and counts a refused node call.
  void Refused(const char* call, const std::string& reason, const std::string& node_id,
               const std::string& public_key) const;

  MetadataStore& store_;
  Clock& clock_;
  const CoordinatorConfig& config_;
  Logger log_;
  prometheus::Family<prometheus::Counter>* refused_ = nullptr;
};

// Why a node presenting `public_key` is refused given its admission: "" (admitted),
// "unknown" (never approved), "revoked" or "key_mismatch". Pure.
std::string AdmissionRefusal(const std::optional<NodeAdmission>& admission,
                             const std::string& public_key);

// A short fingerprint of a node key for operators: "SHA256:" + the first 16 bytes of
// SHA-256(key) in hex.
std::string KeyFingerprint(const std::string& public_key);

}  // namespace freehold::coordinator
