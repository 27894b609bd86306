// ShardRefSource over PostgreSQL: the shards rows naming a node (the orphan sweep).
#pragma once

#include "common/pg.h"
#include "coordinator/core/orphan_sweep.h"

namespace freehold::coordinator {

// Thread-safe; the pool must outlive it and use CoordinatorPoolOptions.
class PgShardRefs : public ShardRefSource {
 public:
  explicit PgShardRefs(PgPool& pool) : pool_(pool) {}
  absl::StatusOr<std::vector<NodeShardRef>> ShardRefsOn(const std::string& node_id,
                                                        const std::string& from_object,
                                                        int limit) override;

 private:
  PgPool& pool_;
};

}  // namespace freehold::coordinator
