#include "coordinator/pg/pg_shard_refs.h"

namespace freehold::coordinator {

absl::StatusOr<std::vector<NodeShardRef>> PgShardRefs::ShardRefsOn(const std::string& node_id,
                                                                   const std::string& from_object,
                                                                   int limit) {
  return pool_.RunReadOnly([&](PgTxn& txn) -> absl::StatusOr<std::vector<NodeShardRef>> {
    const std::string start =
        from_object.empty() ? "00000000-0000-0000-0000-000000000000" : from_object;
    // Every row naming the node, whatever its state or its segment's: a shard the
    // manifests still mention must never be swept.
    pqxx::result r = txn.exec_params(
        "SELECT object_id::text, segment, shard_index FROM shards "
        "WHERE node_id = $1 AND object_id >= $2::uuid "
        "ORDER BY object_id, segment, shard_index LIMIT $3",
        node_id, start, limit);
    std::vector<NodeShardRef> out;
    out.reserve(r.size());
    for (const pqxx::row& row : r) {
      out.push_back(NodeShardRef{row[0].as<std::string>(), row[1].as<int>(), row[2].as<int>()});
    }
    return out;
  });
}

}  // namespace freehold::coordinator
