// DurabilityStore over PostgreSQL (schema "coordinator", migration 0005): audit schedule,
// challenges, node reputation, drain progress.
#pragma once

#include "common/pg.h"
#include "coordinator/core/durability_store.h"

namespace freehold::coordinator {

// Thread-safe; the pool must outlive it and use CoordinatorPoolOptions.
class PgDurabilityStore : public DurabilityStore {
 public:
  explicit PgDurabilityStore(PgPool& pool) : pool_(pool) {}

  absl::StatusOr<std::vector<AuditCandidate>> DueAudits(absl::Time now, int per_node,
                                                        int limit) override;
  absl::StatusOr<int64_t> AuditableShards() override;
  absl::Status RecordAudit(const AuditCandidate& shard, absl::Time at, absl::Time next) override;
  absl::StatusOr<std::optional<AuditChallenge>> TakeChallenge(const std::string& object_id,
                                                               int segment, int index) override;
  absl::Status AddChallenges(const std::string& object_id, int segment, int index,
                             const std::vector<AuditChallenge>& challenges) override;
  absl::StatusOr<StoredReputation> ApplyAudit(const std::string& node_id, AuditOutcome outcome,
                                              const ReputationParams& params,
                                              absl::Time now) override;
  absl::StatusOr<std::vector<StoredReputation>> Reputations() override;
  absl::StatusOr<std::vector<PlacedShard>> ShardsOn(const std::string& node_id,
                                                    const PlacedShard& after, int limit) override;
  absl::StatusOr<std::vector<PlacedShard>> ExpiredPendingOn(const std::string& node_id,
                                                            absl::Time now, int limit) override;
  absl::StatusOr<std::vector<SegmentSpread>> SegmentsAfter(const std::string& after_object_id,
                                                           int after_segment,
                                                           int limit) override;
  absl::StatusOr<NodeLoad> LoadOf(const std::string& node_id) override;
  absl::StatusOr<std::map<std::string, uint64_t>> StoredBytesPerNode() override;
  absl::Status StartDrain(const std::string& node_id, absl::Time at, const NodeLoad& load,
                          const std::string& reason, absl::Time restart_before) override;
  absl::Status AddDrainProgress(const std::string& node_id, uint64_t shards,
                                uint64_t bytes) override;
  absl::Status FinishDrain(const std::string& node_id, absl::Time at) override;
  absl::StatusOr<bool> RetireIfDrained(const std::string& node_id, absl::Time now,
                                       absl::Duration silent_after) override;
  absl::StatusOr<std::vector<DrainProgress>> Drains() override;

 private:
  PgPool& pool_;
};

}  // namespace freehold::coordinator
