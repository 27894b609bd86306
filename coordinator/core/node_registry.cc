#include "coordinator/core/node_registry.h"

#include <sodium.h>

#include <algorithm>
#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/encoding.h"
#include "common/status.h"
#include "coordinator/core/ids.h"

namespace freehold::coordinator {
namespace {

bool IsHostPort(absl::string_view address) {
  if (address.empty() || address.size() > 255) return false;
  const size_t colon = address.rfind(':');
  if (colon == absl::string_view::npos || colon == 0) return false;
  int port = 0;
  if (!absl::SimpleAtoi(address.substr(colon + 1), &port)) return false;
  return port > 0 && port <= 65535;
}

absl::Status CheckLabel(absl::string_view value, absl::string_view field) {
  if (value.empty()) return absl::InvalidArgumentError(absl::StrCat(field, " is required"));
  if (value.size() > 128) {
    return absl::InvalidArgumentError(absl::StrCat(field, " is longer than 128 bytes"));
  }
  for (unsigned char c : value) {
    if (c < 0x20 || c == 0x7f) {
      return absl::InvalidArgumentError(absl::StrCat(field, " has a control character"));
    }
  }
  return absl::OkStatus();
}

// The message of a refused node call; names only the (validated) id.
absl::Status RefusalStatus(const std::string& reason, const std::string& node_id) {
  if (reason == "revoked") {
    return absl::PermissionDeniedError(
        absl::StrCat("node ", node_id, " was revoked by an operator; it may not join"));
  }
  if (reason == "key_mismatch") {
    return absl::PermissionDeniedError(absl::StrCat(
        "node ", node_id,
        " was approved with another key; an operator must revoke and approve it again"));
  }
  return absl::PermissionDeniedError(absl::StrCat(
      "node ", node_id, " is not approved; an operator must run: freehold-admin nodes approve ",
      node_id));
}

}  // namespace

std::string AdmissionRefusal(const std::optional<NodeAdmission>& admission,
                             const std::string& public_key) {
  if (!admission.has_value()) return "unknown";
  if (admission->revoked_at.has_value()) return "revoked";
  if (admission->public_key != public_key) return "key_mismatch";
  return "";
}

std::string KeyFingerprint(const std::string& public_key) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(public_key.data()),
                     public_key.size());
  return "SHA256:" + HexEncode(std::string_view(reinterpret_cast<const char*>(digest), 16));
}

NodeState EffectiveState(const Node& node, absl::Time now, absl::Duration down_after) {
  if (node.state == NodeState::kUp && now - node.last_heartbeat > down_after) {
    return NodeState::kDown;
  }
  return node.state;
}

absl::Status VerifyNodeSignature(const std::string& public_key, const std::string& bytes,
                                 const std::string& signature) {
  if (public_key.size() != crypto_sign_PUBLICKEYBYTES) {
    return absl::UnauthenticatedError("node public key is not 32 bytes");
  }
  if (signature.size() != crypto_sign_BYTES) {
    return absl::UnauthenticatedError("signature must be 64 bytes (Ed25519)");
  }
  if (crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(signature.data()),
                                  reinterpret_cast<const unsigned char*>(bytes.data()),
                                  bytes.size(),
                                  reinterpret_cast<const unsigned char*>(public_key.data())) != 0) {
    return absl::UnauthenticatedError("signature does not verify with the node key");
  }
  return absl::OkStatus();
}

NodeRegistry::NodeRegistry(MetadataStore& store, Clock& clock, const CoordinatorConfig& config,
                           Logger log, prometheus::Registry* metrics)
    : store_(store), clock_(clock), config_(config), log_(std::move(log)) {
  if (metrics != nullptr) {
    refused_ = &prometheus::BuildCounter()
                    .Name("freehold_coordinator_node_registrations_refused_total")
                    .Help("RegisterNode/Heartbeat calls refused by node admission, by call and "
                          "reason (unknown, revoked, key_mismatch)")
                    .Register(*metrics);
  }
}

void NodeRegistry::Refused(const char* call, const std::string& reason,
                           const std::string& node_id, const std::string& public_key) const {
  if (refused_ != nullptr) refused_->Add({{"call", call}, {"reason", reason}}).Increment();
  log_.Warn("node call refused: not admitted",
            {{"call", call},
             {"reason", reason},
             {"node_id", node_id},
             {"key_fingerprint", public_key.empty() ? std::string() : KeyFingerprint(public_key)}});
}

absl::Status NodeRegistry::CheckSignature(const std::string& public_key,
                                          const NodeSignature& sig) const {
  const absl::Time signed_at = absl::FromUnixSeconds(sig.signed_at_unix_seconds);
  if (absl::AbsDuration(clock_.Now() - signed_at) > config_.signed_request_skew) {
    return absl::UnauthenticatedError(
        "signed_at_unix_seconds is too far from the coordinator's clock; check the node's time");
  }
  return VerifyNodeSignature(public_key, sig.signed_bytes, sig.signature);
}

absl::StatusOr<absl::Duration> NodeRegistry::Register(const RegisterNodeInput& in) {
  if (!IsNodeId(in.node_id)) {
    return absl::InvalidArgumentError("node.node_id must be 1..128 characters of [A-Za-z0-9._-]");
  }
  if (!IsHostPort(in.address)) {
    return absl::InvalidArgumentError("node.address must be host:port");
  }
  FH_RETURN_IF_ERROR(CheckLabel(in.domain.region, "node.domain.region"));
  FH_RETURN_IF_ERROR(CheckLabel(in.domain.zone, "node.domain.zone"));
  FH_RETURN_IF_ERROR(CheckLabel(in.domain.host, "node.domain.host"));
  if (in.capacity_bytes == 0 || in.capacity_bytes > (uint64_t{1} << 62)) {
    return absl::InvalidArgumentError("node.capacity_bytes must be > 0");
  }
  if (in.filesystem_bytes > (uint64_t{1} << 62)) {
    return absl::InvalidArgumentError("filesystem_bytes is too large");
  }
  const uint64_t capacity = in.filesystem_bytes == 0
                                ? in.capacity_bytes
                                : std::min(in.capacity_bytes, in.filesystem_bytes);
  if (in.public_key.size() != 32) {
    return absl::InvalidArgumentError("node.node_public_key must be 32 bytes (Ed25519)");
  }
  if (in.version.size() > 128) {
    return absl::InvalidArgumentError("node.version is longer than 128 bytes");
  }
  FH_RETURN_IF_ERROR(CheckSignature(in.public_key, in.signature));

  const absl::Time now = clock_.Now();
  bool is_new = false;
  std::string refusal;
  FH_RETURN_IF_ERROR(store_.Transact([&](MetadataTxn& txn) -> absl::Status {
    FH_ASSIGN_OR_RETURN(std::optional<NodeAdmission> admission,
                        txn.admissions().Get(in.node_id, false));
    refusal = AdmissionRefusal(admission, in.public_key);
    if (!refusal.empty()) {
      // Kept for the operator (nodes pending); committed although the call fails.
      RegistrationAttempt attempt;
      attempt.node_id = in.node_id;
      attempt.public_key = in.public_key;
      attempt.address = in.address;
      attempt.domain = in.domain;
      attempt.capacity_bytes = capacity;
      attempt.reason = refusal;
      attempt.first_at = attempt.last_at = now;
      return txn.admissions().RecordAttempt(attempt, config_.max_pending_registrations).status();
    }
    FH_ASSIGN_OR_RETURN(std::optional<Node> existing, txn.nodes().Get(in.node_id, true));
    Node node;
    if (existing.has_value()) {
      node = *existing;
      const bool same_key = node.public_key == in.public_key;
      if (!same_key && node.state != NodeState::kRetired) {
        return absl::PermissionDeniedError(absl::StrCat(
            "node ", in.node_id,
            " is registered with another key; an operator must retire it before it can "
            "register with a new key"));
      }
      if (same_key && node.state == NodeState::kRetired) {
        return absl::FailedPreconditionError(
            absl::StrCat("node ", in.node_id, " is retired; start it with a fresh data dir"));
      }
      if (!same_key) {  // a retired id taken over by a new key starts afresh
        node.used_bytes = 0;
        node.free_bytes = capacity;
        node.shard_count = 0;
        node.state = NodeState::kUp;
        node.state_changed_at = now;
        node.registered_at = now;
      }
    } else {
      is_new = true;
      node.node_id = in.node_id;
      // Until the first heartbeat reports usage, the node counts as empty.
      node.free_bytes = capacity;
      node.state = NodeState::kUp;
      node.registered_at = now;
      node.state_changed_at = now;
    }
    if (node.state == NodeState::kDown) {
      node.state = NodeState::kUp;
      node.state_changed_at = now;
    }
    node.address = in.address;
    node.domain = in.domain;
    node.capacity_bytes = capacity;
    node.public_key = in.public_key;
    node.version = in.version;
    node.last_heartbeat = now;
    return txn.nodes().Upsert(node);
  }));
  if (!refusal.empty()) {
    Refused("register", refusal, in.node_id, in.public_key);
    return RefusalStatus(refusal, in.node_id);
  }
  log_.Info(is_new ? "node registered" : "node re-registered",
            {{"node_id", in.node_id},
             {"address", in.address},
             {"host", in.domain.host},
             {"capacity_bytes", capacity}});
  return config_.heartbeat_interval;
}

absl::StatusOr<NodeState> NodeRegistry::Heartbeat(const HeartbeatInput& in) {
  FH_RETURN_IF_ERROR(CheckNodeId(in.node_id, "node_id"));
  if (in.corrupt_shard_keys.size() > 10000) {
    return absl::InvalidArgumentError("corrupt_shard_keys has more than 10000 keys");
  }
  for (size_t i = 0; i < in.corrupt_shard_keys.size(); ++i) {
    // Keys this coordinator did not make are skipped; absurd ones are refused.
    if (in.corrupt_shard_keys[i].size() > kMaxShardKeyBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("corrupt_shard_keys[", i, "] is longer than ", kMaxShardKeyBytes, " bytes"));
    }
  }
  const absl::Time now = clock_.Now();
  NodeState state = NodeState::kUp;
  bool came_back = false;
  int marked = 0;
  std::string refusal;
  std::string key;
  absl::Status status = store_.Transact([&](MetadataTxn& txn) -> absl::Status {
    refusal.clear();
    FH_ASSIGN_OR_RETURN(std::optional<Node> existing, txn.nodes().Get(in.node_id, true));
    if (!existing.has_value()) {
      return absl::NotFoundError(
          absl::StrCat("node ", in.node_id, " is not registered; register again"));
    }
    Node node = *std::move(existing);
    FH_RETURN_IF_ERROR(CheckSignature(node.public_key, in.signature));
    FH_ASSIGN_OR_RETURN(std::optional<NodeAdmission> admission,
                        txn.admissions().Get(in.node_id, false));
    refusal = AdmissionRefusal(admission, node.public_key);
    if (!refusal.empty()) {
      key = node.public_key;
      return RefusalStatus(refusal, in.node_id);
    }
    came_back = false;
    if (EffectiveState(node, now, config_.node_down_after) == NodeState::kDown) {
      node.state = NodeState::kUp;
      node.state_changed_at = now;
      came_back = true;
    }
    node.used_bytes = in.used_bytes;
    node.free_bytes = in.free_bytes;
    node.shard_count = in.shard_count;
    if (!in.version.empty()) node.version = in.version.substr(0, 128);
    node.last_heartbeat = now;
    FH_RETURN_IF_ERROR(txn.nodes().Upsert(node));
    marked = 0;
    if (!in.corrupt_shard_keys.empty()) {
      FH_ASSIGN_OR_RETURN(marked, txn.segments().MarkMissing(node.node_id, in.corrupt_shard_keys));
    }
    state = node.state;
    return absl::OkStatus();
  });
  if (!status.ok()) {
    if (!refusal.empty()) Refused("heartbeat", refusal, in.node_id, key);
    return status;
  }
  if (came_back) log_.Info("node is up again", {{"node_id", in.node_id}});
  if (marked > 0) {
    log_.Warn("node reported corrupt shards", {{"node_id", in.node_id}, {"shards", marked}});
  }
  return state;
}

absl::Status NodeRegistry::SetState(const std::string& node_id, NodeState target) {
  FH_RETURN_IF_ERROR(CheckNodeId(node_id, "node_id"));
  if (target == NodeState::kDown) {
    return absl::InvalidArgumentError(
        "state must be NODE_STATE_UP, NODE_STATE_DRAINING or NODE_STATE_RETIRED");
  }
  const absl::Time now = clock_.Now();
  NodeState before = NodeState::kUp;
  FH_RETURN_IF_ERROR(store_.Transact([&](MetadataTxn& txn) -> absl::Status {
    FH_ASSIGN_OR_RETURN(std::optional<Node> node, txn.nodes().Get(node_id, true));
    if (!node.has_value())
      return absl::NotFoundError(absl::StrCat("node ", node_id, " is not registered"));
    before = node->state;
    if (node->state == target) return absl::OkStatus();
    if (target == NodeState::kUp && !node->approved_at.has_value()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "node ", node_id, " is not approved; approve it (freehold-admin nodes approve) first"));
    }
    if (node->state == NodeState::kRetired) {
      return absl::FailedPreconditionError(
          absl::StrCat("node ", node_id, " is retired; it cannot change state"));
    }
    node->state = target;
    // Asking a silent node to be UP leaves it DOWN until it heartbeats.
    if (target == NodeState::kUp && now - node->last_heartbeat > config_.node_down_after) {
      node->state = NodeState::kDown;
    }
    node->state_changed_at = now;
    return txn.nodes().Upsert(*node);
  }));
  log_.Info("node state set by operator",
            {{"node_id", node_id}, {"from", NodeStateName(before)}, {"to", NodeStateName(target)}});
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> NodeRegistry::MarkSilentNodesDown() {
  const absl::Time now = clock_.Now();
  std::vector<std::string> changed;
  FH_RETURN_IF_ERROR(store_.Transact([&](MetadataTxn& txn) -> absl::Status {
    changed.clear();
    FH_ASSIGN_OR_RETURN(std::vector<Node> nodes, txn.nodes().List());
    for (const Node& listed : nodes) {
      if (EffectiveState(listed, now, config_.node_down_after) != NodeState::kDown ||
          listed.state == NodeState::kDown) {
        continue;
      }
      // Re-read under lock: a heartbeat may have arrived since the listing.
      FH_ASSIGN_OR_RETURN(std::optional<Node> node, txn.nodes().Get(listed.node_id, true));
      if (!node.has_value() ||
          EffectiveState(*node, now, config_.node_down_after) != NodeState::kDown ||
          node->state == NodeState::kDown) {
        continue;
      }
      node->state = NodeState::kDown;
      node->state_changed_at = now;
      FH_RETURN_IF_ERROR(txn.nodes().Upsert(*node));
      changed.push_back(node->node_id);
    }
    return absl::OkStatus();
  }));
  for (const std::string& id : changed) {
    log_.Warn("node is down: heartbeats stopped", {{"node_id", id}});
  }
  return changed;
}

absl::Status NodeRegistry::Approve(const std::string& node_id,
                                   const std::optional<std::string>& public_key) {
  if (!IsNodeId(node_id)) {
    return absl::InvalidArgumentError("node_id must be 1..128 characters of [A-Za-z0-9._-]");
  }
  if (public_key.has_value() && public_key->size() != crypto_sign_PUBLICKEYBYTES) {
    return absl::InvalidArgumentError("public_key must be 32 bytes (Ed25519)");
  }
  const absl::Time now = clock_.Now();
  std::string key;
  bool changed = false;
  FH_RETURN_IF_ERROR(store_.Transact([&](MetadataTxn& txn) -> absl::Status {
    changed = false;
    if (public_key.has_value()) {
      key = *public_key;
    } else {
      FH_ASSIGN_OR_RETURN(std::optional<RegistrationAttempt> attempt,
                          txn.admissions().GetAttempt(node_id));
      if (!attempt.has_value()) {
        return absl::FailedPreconditionError(absl::StrCat(
            "node ", node_id,
            " has no pending registration; give its key (freehold-storaged --print-identity)"));
      }
      key = attempt->public_key;
    }
    FH_ASSIGN_OR_RETURN(std::optional<NodeAdmission> existing,
                        txn.admissions().Get(node_id, true));
    if (existing.has_value() && !existing->revoked_at.has_value()) {
      if (existing->public_key != key) {
        return absl::FailedPreconditionError(absl::StrCat(
            "node ", node_id, " is approved with another key; revoke it first"));
      }
    } else {
      FH_RETURN_IF_ERROR(txn.admissions().Upsert(NodeAdmission{node_id, key, now, std::nullopt}));
      changed = true;
    }
    return txn.admissions().RemoveAttempt(node_id);
  }));
  if (changed) {
    log_.Info("node approved by operator",
              {{"node_id", node_id}, {"key_fingerprint", KeyFingerprint(key)}});
  }
  return absl::OkStatus();
}

absl::Status NodeRegistry::Revoke(const std::string& node_id) {
  if (!IsNodeId(node_id)) {
    return absl::InvalidArgumentError("node_id must be 1..128 characters of [A-Za-z0-9._-]");
  }
  const absl::Time now = clock_.Now();
  bool changed = false;
  FH_RETURN_IF_ERROR(store_.Transact([&](MetadataTxn& txn) -> absl::Status {
    changed = false;
    FH_ASSIGN_OR_RETURN(std::optional<NodeAdmission> admission,
                        txn.admissions().Get(node_id, true));
    if (!admission.has_value()) {
      return absl::NotFoundError(absl::StrCat("node ", node_id, " was never approved"));
    }
    if (admission->revoked_at.has_value()) return absl::OkStatus();
    admission->revoked_at = now;
    FH_RETURN_IF_ERROR(txn.admissions().Upsert(*admission));
    changed = true;
    // Out of placement at once; its shards are repaired like a down node's.
    FH_ASSIGN_OR_RETURN(std::optional<Node> node, txn.nodes().Get(node_id, true));
    if (node.has_value() && node->state != NodeState::kRetired &&
        node->state != NodeState::kDown) {
      node->state = NodeState::kDown;
      node->state_changed_at = now;
      FH_RETURN_IF_ERROR(txn.nodes().Upsert(*node));
    }
    return absl::OkStatus();
  }));
  if (changed) log_.Warn("node approval revoked by operator", {{"node_id", node_id}});
  return absl::OkStatus();
}

absl::StatusOr<std::vector<RegistrationAttempt>> NodeRegistry::ListPending(int limit) {
  limit = std::clamp(limit, 1, 10000);
  std::vector<RegistrationAttempt> out;
  FH_RETURN_IF_ERROR(store_.Read([&](MetadataTxn& txn) -> absl::Status {
    FH_ASSIGN_OR_RETURN(out, txn.admissions().ListAttempts(limit));
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<std::vector<Node>> NodeRegistry::List() {
  const absl::Time now = clock_.Now();
  std::vector<Node> nodes;
  FH_RETURN_IF_ERROR(store_.Read([&](MetadataTxn& txn) -> absl::Status {
    FH_ASSIGN_OR_RETURN(nodes, txn.nodes().List());
    return absl::OkStatus();
  }));
  for (Node& node : nodes) node.state = EffectiveState(node, now, config_.node_down_after);
  return nodes;
}

}  // namespace freehold::coordinator
