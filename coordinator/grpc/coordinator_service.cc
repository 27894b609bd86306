#include "coordinator/grpc/coordinator_service.h"

#include "absl/strings/str_cat.h"
#include "common/grpc_status.h"
#include "common/peer_identity.h"
#include "coordinator/core/ids.h"
#include "coordinator/grpc/claims_codec.h"
#include "coordinator/grpc/durability_status.h"

namespace freehold::coordinator {

void SetTime(absl::Time t, google::protobuf::Timestamp* out) {
  const int64_t s = absl::ToUnixSeconds(t);
  out->set_seconds(s);
  out->set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(t - absl::FromUnixSeconds(s))));
}

void ToProto(const ObjectSummary& s, v1::ObjectSummary* out) {
  out->set_object_id(s.object_id);
  out->set_encrypted_metadata(s.encrypted_metadata);
  out->set_size_bytes(s.size_bytes);
  if (s.committed_at.has_value()) SetTime(*s.committed_at, out->mutable_committed_at());
  out->set_owner_account_id(s.owner_account_id);
  out->set_shared_with_me(s.shared_with_me);
  out->set_public_link(s.public_link);
  out->set_parent_id(s.parent_id);
  out->set_name_hash(s.name_hash);
  out->set_folder_wrap(s.folder_wrap);
  if (s.link_disabled_at.has_value()) SetTime(*s.link_disabled_at, out->mutable_link_disabled_at());
}

void ToProto(const ObjectManifest& m, v1::GetObjectResponse* out) {
  ToProto(m.object, out->mutable_object());
  out->set_age_header(m.age_header);
  out->set_data_shards(static_cast<uint32_t>(m.data_shards));
  out->set_parity_shards(static_cast<uint32_t>(m.parity_shards));
  out->set_is_inline(m.is_inline);
  if (m.is_inline) out->set_inline_payload(m.inline_payload);
  for (const SegmentManifest& s : m.segments) {
    v1::SegmentManifest* seg = out->add_segments();
    seg->set_segment(static_cast<uint32_t>(s.segment));
    seg->set_segment_size_bytes(s.segment_size_bytes);
    seg->set_shard_size_bytes(s.shard_size_bytes);
    for (const ShardLocation& l : s.shards) {
      v1::ShardLocation* loc = seg->add_shards();
      loc->set_index(static_cast<uint32_t>(l.index));
      loc->set_node_id(l.node_id);
      loc->set_node_address(l.node_address);
      loc->set_sha256(l.sha256);
      loc->set_state(static_cast<v1::ShardState>(static_cast<int>(l.state)));
      if (!l.grant.empty()) loc->mutable_grant()->set_token(l.grant);
      loc->set_shard_key(l.shard_key);
    }
  }
  SetTime(m.grants_expire_at, out->mutable_grants_expire_at());
  out->set_segment_count(static_cast<uint32_t>(m.segment_count));
  out->set_next_segment(static_cast<uint32_t>(m.next_segment));
  out->set_header_version(m.header_version);
  out->set_share_record(m.share_record);
  for (const std::string& a : m.shared_with) out->add_shared_with_account_ids(a);
}

namespace {

v1::NodeState ToProto(NodeState s) { return static_cast<v1::NodeState>(static_cast<int>(s)); }

void ToProto(const Node& n, v1::NodeInfo* out) {
  out->set_node_id(n.node_id);
  out->set_address(n.address);
  out->mutable_domain()->set_region(n.domain.region);
  out->mutable_domain()->set_zone(n.domain.zone);
  out->mutable_domain()->set_host(n.domain.host);
  out->set_capacity_bytes(n.capacity_bytes);
  out->set_node_public_key(n.public_key);
  out->set_state(ToProto(n.state));
  out->set_used_bytes(n.used_bytes);
  out->set_free_bytes(n.free_bytes);
  out->set_shard_count(n.shard_count);
  SetTime(n.last_heartbeat, out->mutable_last_heartbeat());
  out->set_version(n.version);
  if (n.approved_at.has_value()) SetTime(*n.approved_at, out->mutable_approved_at());
}

template <typename T>
grpc::Status Fail(const absl::StatusOr<T>& s) {
  return ToGrpcStatus(s.status());
}

}  // namespace

void ToProto(const ShardTarget& t, v1::ShardPlan* out) {
  out->set_index(static_cast<uint32_t>(t.index));
  out->set_node_id(t.node_id);
  out->set_node_address(t.node_address);
  out->mutable_grant()->set_token(t.grant);
  out->set_shard_key(t.shard_key);
}

namespace {

// The "freehold-org" metadata value ("" if absent).
std::string OrgOf(const grpc::ServerContext& ctx) {
  const auto& md = ctx.client_metadata();
  auto it = md.find(kOrgMetadataKey);
  if (it == md.end()) return "";
  return std::string(it->second.data(), it->second.size());
}

}  // namespace

absl::StatusOr<Caller> CoordinatorGrpcService::UserCaller(const grpc::ServerContext& ctx,
                                                          OrgAccessKind kind) const {
  absl::StatusOr<Caller> caller = p_.tokens.Authenticate(AuthorizationOf(ctx));
  if (!caller.ok()) return caller;
  const std::string org = OrgOf(ctx);
  if (org.empty()) return caller;
  if (p_.orgs == nullptr) {
    return absl::FailedPreconditionError("organizations are not enabled on this coordinator");
  }
  return p_.orgs->ActFor(*caller, org, kind);
}

absl::StatusOr<std::optional<Caller>> CoordinatorGrpcService::OptionalUserCaller(
    const grpc::ServerContext& ctx, OrgAccessKind kind) const {
  if (!OrgOf(ctx).empty()) {
    absl::StatusOr<Caller> caller = UserCaller(ctx, kind);
    if (!caller.ok()) return caller.status();
    return std::optional<Caller>(*std::move(caller));
  }
  return p_.tokens.AuthenticateOptional(AuthorizationOf(ctx));
}

std::string AuthorizationOf(const grpc::ServerContext& ctx) {
  const auto& md = ctx.client_metadata();
  auto it = md.find("authorization");
  if (it == md.end()) return "";
  return std::string(it->second.data(), it->second.size());
}

absl::Status CoordinatorGrpcService::CheckNode(const grpc::ServerContext& ctx,
                                              const std::string& node_id) const {
  if (absl::Status s = AuthorizeCallerRole(ctx, p_.tls_enabled, {kRoleStoraged}); !s.ok()) {
    return s;
  }
  if (!p_.tls_enabled) return absl::OkStatus();
  // A malformed id (of any length) is refused as such before it is compared.
  if (absl::Status s = CheckNodeId(node_id, "node_id"); !s.ok()) return s;
  std::optional<PeerIdentity> who = CallerIdentity(ctx);
  if (!who.has_value() || who->id != node_id) {
    // Names only the certificate's parsed id, never the request's.
    return absl::PermissionDeniedError(
        absl::StrCat("the certificate of storaged:", who.has_value() ? who->id : "",
                     " may act only for node id ", who.has_value() ? who->id : "",
                     "; the request names another node"));
  }
  return absl::OkStatus();
}

absl::Status CoordinatorGrpcService::CheckOperator(const grpc::ServerContext& ctx) const {
  if (std::optional<PeerIdentity> who = CallerIdentity(ctx); who.has_value()) {
    if (who->role == kRoleOperator) return absl::OkStatus();
    return absl::PermissionDeniedError(
        absl::StrCat(who->role, ":", who->id, " may not make this call; it needs an ",
                     std::string(kRoleOperator), " certificate or an access token with the role ",
                     std::string(kOperatorRoleScope)));
  }
  // Else an access token with the role coordinator:operator (there is no shared secret).
  absl::Status s = p_.tokens.AuthenticateOperator(AuthorizationOf(ctx)).status();
  if (absl::IsUnauthenticated(s)) {
    return absl::UnauthenticatedError(
        absl::StrCat(s.message(), " (operator calls need an ", std::string(kRoleOperator),
                     " certificate or an access token with the role ",
                     std::string(kOperatorRoleScope), ": freehold-admin login)"));
  }
  return s;
}

grpc::Status CoordinatorGrpcService::RegisterNode(grpc::ServerContext* ctx,
                                                  const v1::RegisterNodeRequest* req,
                                                  v1::RegisterNodeResponse* resp) {
  if (absl::Status s = CheckNode(*ctx, req->node().node_id()); !s.ok()) return ToGrpcStatus(s);
  RegisterNodeInput in;
  const v1::NodeInfo& node = req->node();
  in.node_id = node.node_id();
  in.address = node.address();
  in.domain = FailureDomain{node.domain().region(), node.domain().zone(), node.domain().host()};
  in.capacity_bytes = node.capacity_bytes();
  in.filesystem_bytes = req->filesystem_bytes();
  in.public_key = node.node_public_key();
  in.version = node.version();
  v1::RegisterNodeRequest unsigned_copy = *req;
  unsigned_copy.clear_signature();
  in.signature.signed_bytes = SerializeDeterministic(unsigned_copy);
  in.signature.signature = req->signature();
  in.signature.signed_at_unix_seconds = req->signed_at_unix_seconds();
  absl::StatusOr<absl::Duration> interval = p_.registry.Register(in);
  if (!interval.ok()) return Fail(interval);
  // A daemon start: its inventory is compared again (InventoryReconciler::NodeRegistered).
  if (p_.inventory != nullptr) {
    if (absl::Status s = p_.inventory->NodeRegistered(req->node().node_id()); !s.ok()) {
      return ToGrpcStatus(s);  // the daemon registers again
    }
  }
  resp->set_heartbeat_interval_seconds(
      static_cast<uint32_t>(std::max<int64_t>(1, absl::ToInt64Seconds(*interval))));
  return grpc::Status::OK;
}

grpc::Status CoordinatorGrpcService::Heartbeat(grpc::ServerContext* ctx,
                                               const v1::HeartbeatRequest* req,
                                               v1::HeartbeatResponse* resp) {
  if (absl::Status s = CheckNode(*ctx, req->node_id()); !s.ok()) return ToGrpcStatus(s);
  HeartbeatInput in;
  in.node_id = req->node_id();
  in.used_bytes = req->used_bytes();
  in.free_bytes = req->free_bytes();
  in.shard_count = req->shard_count();
  in.version = req->version();
  in.corrupt_shard_keys.assign(req->corrupt_shard_keys().begin(), req->corrupt_shard_keys().end());
  v1::HeartbeatRequest unsigned_copy = *req;
  unsigned_copy.clear_signature();
  in.signature.signed_bytes = SerializeDeterministic(unsigned_copy);
  in.signature.signature = req->signature();
  in.signature.signed_at_unix_seconds = req->signed_at_unix_seconds();
  absl::StatusOr<NodeState> state = p_.registry.Heartbeat(in);
  if (!state.ok()) return Fail(state);
  // Signed and verified above. A report that cannot be stored is retried next beat.
  if (p_.inventory != nullptr) {
    absl::Status s =
        p_.inventory->Report(req->node_id(), req->inventory_count(), req->inventory_digest());
    if (absl::IsInvalidArgument(s)) return ToGrpcStatus(s);
  }
  resp->set_state(ToProto(*state));
  return grpc::Status::OK;
}

grpc::Status CoordinatorGrpcService::CreateObject(grpc::ServerContext* ctx,
                                                  const v1::CreateObjectRequest* req,
                                                  v1::CreateObjectResponse* resp) {
  absl::StatusOr<Caller> caller = UserCaller(*ctx, OrgAccessKind::kWrite);
  if (!caller.ok()) return Fail(caller);
  CreateObjectInput in{req->encrypted_metadata(), req->age_header(), req->size_bytes(),
                       req->name_hash(), req->object_id(), req->parent_id()};
  absl::StatusOr<CreatedObject> created = p_.writer.CreateObject(*caller, in);
  if (!created.ok()) return Fail(created);
  resp->set_object_id(created->object_id);
  resp->set_data_shards(static_cast<uint32_t>(created->data_shards));
  resp->set_parity_shards(static_cast<uint32_t>(created->parity_shards));
  resp->set_segment_size_bytes(created->segment_size_bytes);
  return grpc::Status::OK;
}

grpc::Status CoordinatorGrpcService::BeginSegment(grpc::ServerContext* ctx,
                                                  const v1::BeginSegmentRequest* req,
                                                  v1::BeginSegmentResponse* resp) {
  absl::StatusOr<Caller> caller = UserCaller(*ctx, OrgAccessKind::kWrite);
  if (!caller.ok()) return Fail(caller);
  BeginSegmentInput in;
  in.object_id = req->object_id();
  in.segment = req->segment();
  in.segment_size_bytes = req->segment_size_bytes();
  in.shard_size_bytes = req->shard_size_bytes();
  in.shard_sha256.assign(req->shard_sha256().begin(), req->shard_sha256().end());
  absl::StatusOr<SegmentTargets> targets = p_.writer.BeginSegment(*caller, in);
  if (!targets.ok()) {
    // Admission delays carry when to try again (seconds rounded up, and ms).
    if (std::optional<absl::Duration> wait = RetryAfterOf(targets.status())) {
      const int64_t ms = absl::ToInt64Milliseconds(*wait);
      ctx->AddTrailingMetadata("retry-after", std::to_string((ms + 999) / 1000));
      ctx->AddTrailingMetadata("retry-after-ms", std::to_string(ms));
    }
    return Fail(targets);
  }
  for (const ShardTarget& t : targets->shards) ToProto(t, resp->add_shards());
  SetTime(targets->grants_expire_at, resp->mutable_grants_expire_at());
  resp->set_min_shards_to_commit(static_cast<uint32_t>(targets->min_shards_to_commit));
  return grpc::Status::OK;
}

grpc::Status CoordinatorGrpcService::ReplaceShardTarget(grpc::ServerContext* ctx,
                                                        const v1::ReplaceShardTargetRequest* req,
                                                        v1::ReplaceShardTargetResponse* resp) {
  absl::StatusOr<Caller> caller = UserCaller(*ctx, OrgAccessKind::kWrite);
  if (!caller.ok()) return Fail(caller);
  ReplaceShardInput in{req->object_id(), req->segment(), req->index(), req->failed_node_id()};
  absl::StatusOr<ShardTarget> target = p_.writer.ReplaceShardTarget(*caller, in);
  if (!target.ok()) return Fail(target);
  ToProto(*target, resp->mutable_shard());
  return grpc::Status::OK;
}

grpc::Status CoordinatorGrpcService::ReportCorruptShard(grpc::ServerContext* ctx,
                                                        const v1::ReportCorruptShardRequest* req,
                                                        v1::ReportCorruptShardResponse* resp) {
  absl::StatusOr<std::optional<Caller>> caller =
      OptionalUserCaller(*ctx, OrgAccessKind::kRead);
  if (!caller.ok()) return Fail(caller);
  if (p_.corruption == nullptr) {
    return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "corrupt-shard reports are not enabled");
  }
  if (req->segment() > 1000000 || req->index() > 255) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "segment or index out of range");
  }
  if (req->node_id().empty() || req->node_id().size() > 128) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "node_id: must be 1..128 bytes");
  }
  absl::StatusOr<bool> queued = p_.corruption->Report(
      caller->has_value() ? &**caller : nullptr, req->object_id(), static_cast<int>(req->segment()),
      static_cast<int>(req->index()), req->node_id());
  if (!queued.ok()) {
    if (absl::IsResourceExhausted(queued.status())) {
      ctx->AddTrailingMetadata("retry-after-ms", "60000");
    }
    return Fail(queued);
  }
  resp->set_audit_scheduled(*queued);
  return grpc::Status::OK;
}

grpc::Status CoordinatorGrpcService::CommitSegment(grpc::ServerContext* ctx,
                                                   const v1::CommitSegmentRequest* req,
                                                   v1::CommitSegmentResponse* resp) {
  absl::StatusOr<Caller> caller = UserCaller(*ctx, OrgAccessKind::kWrite);
  if (!caller.ok()) return Fail(caller);
  CommitSegmentInput in;
  in.object_id = req->object_id();
  in.segment = req->segment();
  for (const v1::ShardReceipt& r : req->receipts()) in.receipts.push_back(r.token());
  int missing = 0;
  if (absl::Status s = p_.writer.CommitSegment(*caller, in, &missing); !s.ok()) {
    return ToGrpcStatus(s);
  }
  resp->set_missing_shards(static_cast<uint32_t>(missing));
  return grpc::Status::OK;
}

grpc::Status CoordinatorGrpcService::CommitObject(grpc::ServerContext* ctx,
                                                  const v1::CommitObjectRequest* req,
                                                  v1::CommitObjectResponse* resp) {
  absl::StatusOr<Caller> caller = UserCaller(*ctx, OrgAccessKind::kWrite);
  if (!caller.ok()) return Fail(caller);
  absl::StatusOr<absl::Time> at =
      p_.writer.CommitObject(*caller, req->object_id(), req->segment_count());
  if (!at.ok()) return Fail(at);
  SetTime(*at, resp->mutable_committed_at());
  return grpc::Status::OK;
}

grpc::Status CoordinatorGrpcService::GetObject(grpc::ServerContext* ctx,
                                               const v1::GetObjectRequest* req,
                                               v1::GetObjectResponse* resp) {
  absl::StatusOr<std::optional<Caller>> caller =
      OptionalUserCaller(*ctx, OrgAccessKind::kRead);
  if (!caller.ok()) return Fail(caller);
  if (req->first_segment() > INT32_MAX || req->max_segments() > INT32_MAX) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "first_segment or max_segments is out of range");
  }
  absl::StatusOr<ObjectManifest> m =
      p_.catalog.Get(caller->has_value() ? &**caller : nullptr, req->object_id(),
                     static_cast<int>(req->first_segment()), static_cast<int>(req->max_segments()));
  if (!m.ok()) return Fail(m);
  ToProto(*m, resp);
  return grpc::Status::OK;
}

grpc::Status CoordinatorGrpcService::ListObjects(grpc::ServerContext* ctx,
                                                 const v1::ListObjectsRequest* req,
                                                 v1::ListObjectsResponse* resp) {
  absl::StatusOr<Caller> caller = UserCaller(*ctx, OrgAccessKind::kRead);
  if (!caller.ok()) return Fail(caller);
  const uint32_t size = req->page().page_size();
  absl::StatusOr<ObjectPage> page =
      p_.catalog.List(*caller, static_cast<int>(std::min<uint32_t>(size, 1u << 30)),
                      req->page().page_token(), req->max_bytes());
  if (!page.ok()) return Fail(page);
  for (const ObjectSummary& s : page->objects) ToProto(s, resp->add_objects());
  resp->set_next_page_token(page->next_page_token);
  return grpc::Status::OK;
}

grpc::Status CoordinatorGrpcService::DeleteObject(grpc::ServerContext* ctx,
                                                  const v1::DeleteObjectRequest* req,
                                                  v1::DeleteObjectResponse* resp) {
  absl::StatusOr<Caller> caller = UserCaller(*ctx, OrgAccessKind::kDelete);
  if (!caller.ok()) return Fail(caller);
  // To the owner's trash (core/trash.h); purge_at says when it is gone for good.
  absl::Time purge_at;
  if (absl::Status s = p_.catalog.Delete(*caller, req->object_id(), &purge_at); !s.ok()) {
    return ToGrpcStatus(s);
  }
  SetTime(purge_at, resp->mutable_purge_at());
  return grpc::Status::OK;
}

grpc::Status CoordinatorGrpcService::UpdateHeader(grpc::ServerContext* ctx,
                                                  const v1::UpdateHeaderRequest* req,
                                                  v1::UpdateHeaderResponse* resp) {
  absl::StatusOr<Caller> caller = UserCaller(*ctx, OrgAccessKind::kShare);
  if (!caller.ok()) return Fail(caller);
  std::vector<std::string> share(req->share_with_account_ids().begin(),
                                 req->share_with_account_ids().end());
  absl::StatusOr<uint64_t> version =
      p_.catalog.UpdateHeader(*caller, req->object_id(), req->age_header(), share,
                              req->share_record(), req->expected_header_version());
  if (!version.ok()) return Fail(version);
  resp->set_header_version(*version);
  return grpc::Status::OK;
}

grpc::Status CoordinatorGrpcService::SetPublicLink(grpc::ServerContext* ctx,
                                                   const v1::SetPublicLinkRequest* req,
                                                   v1::SetPublicLinkResponse* resp) {
  absl::StatusOr<Caller> caller = UserCaller(*ctx, OrgAccessKind::kShare);
  if (!caller.ok()) return Fail(caller);
  absl::StatusOr<uint64_t> version =
      p_.catalog.SetPublicLink(*caller, req->object_id(), req->enabled(), req->age_header(),
                               req->share_record(), req->expected_header_version());
  if (!version.ok()) return Fail(version);
  resp->set_header_version(*version);
  return grpc::Status::OK;
}

grpc::Status CoordinatorGrpcService::UpdateMetadata(grpc::ServerContext* ctx,
                                                    const v1::UpdateMetadataRequest* req,
                                                    v1::UpdateMetadataResponse*) {
  absl::StatusOr<Caller> caller = UserCaller(*ctx, OrgAccessKind::kWrite);
  if (!caller.ok()) return Fail(caller);
  return ToGrpcStatus(p_.catalog.UpdateMetadata(*caller, req->object_id(),
                                                req->encrypted_metadata(),
                                                req->expected_encrypted_metadata()));
}

grpc::Status CoordinatorGrpcService::ClusterStatus(grpc::ServerContext* ctx,
                                                   const v1::ClusterStatusRequest*,
                                                   v1::ClusterStatusResponse* resp) {
  if (absl::Status s = CheckOperator(*ctx); !s.ok()) return ToGrpcStatus(s);
  absl::StatusOr<ClusterSnapshot> snap = p_.monitor.Snapshot();
  if (!snap.ok()) return Fail(snap);
  for (const Node& n : snap->nodes) ToProto(n, resp->add_nodes());
  resp->set_raw_capacity_bytes(snap->raw_capacity_bytes);
  resp->set_raw_used_bytes(snap->raw_used_bytes);
  resp->set_raw_free_bytes(snap->raw_free_bytes);
  resp->set_logical_used_bytes(snap->totals.logical_bytes);
  resp->set_objects(snap->totals.objects);
  resp->set_segments(snap->totals.segments);
  resp->set_segments_degraded(snap->health.degraded);
  resp->set_segments_lost(snap->health.lost);
  resp->set_segments_unavailable(snap->health.unavailable);
  resp->set_trash_objects(snap->totals.trash_objects);
  resp->set_trash_bytes(snap->totals.trash_bytes);
  resp->set_data_shards(static_cast<uint32_t>(snap->data_shards));
  resp->set_parity_shards(static_cast<uint32_t>(snap->parity_shards));
  if (p_.durability != nullptr) {
    absl::Status s = AddDurability(*p_.durability, resp);
    if (!s.ok()) return ToGrpcStatus(s);
  }
  if (absl::Status s = AddDonations(resp); !s.ok()) return ToGrpcStatus(s);
  return grpc::Status::OK;
}

grpc::Status CoordinatorGrpcService::SetNodeState(grpc::ServerContext* ctx,
                                                  const v1::SetNodeStateRequest* req,
                                                  v1::SetNodeStateResponse*) {
  if (absl::Status s = CheckOperator(*ctx); !s.ok()) return ToGrpcStatus(s);
  NodeState state;
  if (!NodeStateFromInt(static_cast<int>(req->state()), &state)) {
    return ToGrpcStatus(absl::InvalidArgumentError(
        "state must be NODE_STATE_UP, NODE_STATE_DRAINING or NODE_STATE_RETIRED"));
  }
  return ToGrpcStatus(p_.registry.SetState(req->node_id(), state));
}

grpc::Status CoordinatorGrpcService::ApproveNode(grpc::ServerContext* ctx,
                                                 const v1::ApproveNodeRequest* req,
                                                 v1::ApproveNodeResponse*) {
  if (absl::Status s = CheckOperator(*ctx); !s.ok()) return ToGrpcStatus(s);
  std::optional<std::string> key;
  if (!req->node_public_key().empty()) key = req->node_public_key();
  return ToGrpcStatus(p_.registry.Approve(req->node_id(), key));
}

grpc::Status CoordinatorGrpcService::RevokeNode(grpc::ServerContext* ctx,
                                                const v1::RevokeNodeRequest* req,
                                                v1::RevokeNodeResponse*) {
  if (absl::Status s = CheckOperator(*ctx); !s.ok()) return ToGrpcStatus(s);
  return ToGrpcStatus(p_.registry.Revoke(req->node_id()));
}

grpc::Status CoordinatorGrpcService::ListPendingNodes(grpc::ServerContext* ctx,
                                                      const v1::ListPendingNodesRequest* req,
                                                      v1::ListPendingNodesResponse* resp) {
  if (absl::Status s = CheckOperator(*ctx); !s.ok()) return ToGrpcStatus(s);
  if (req->page_size() > 1000) {
    return ToGrpcStatus(absl::InvalidArgumentError("page_size must be at most 1000"));
  }
  const int limit = req->page_size() == 0 ? 100 : static_cast<int>(req->page_size());
  absl::StatusOr<std::vector<RegistrationAttempt>> pending = p_.registry.ListPending(limit);
  if (!pending.ok()) return Fail(pending);
  for (const RegistrationAttempt& a : *pending) {
    v1::PendingNode* out = resp->add_nodes();
    out->set_node_id(a.node_id);
    out->set_address(a.address);
    out->mutable_domain()->set_region(a.domain.region);
    out->mutable_domain()->set_zone(a.domain.zone);
    out->mutable_domain()->set_host(a.domain.host);
    out->set_capacity_bytes(a.capacity_bytes);
    out->set_node_public_key(a.public_key);
    out->set_key_fingerprint(KeyFingerprint(a.public_key));
    out->set_reason(a.reason);
    out->set_attempts(static_cast<uint64_t>(std::max<int64_t>(0, a.attempts)));
    SetTime(a.first_at, out->mutable_first_attempt_at());
    SetTime(a.last_at, out->mutable_last_attempt_at());
  }
  return grpc::Status::OK;
}

}  // namespace freehold::coordinator
