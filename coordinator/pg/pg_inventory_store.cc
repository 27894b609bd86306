#include "coordinator/pg/pg_inventory_store.h"

#include <pqxx/pqxx>

#include "coordinator/pg/internal/repos.h"

namespace freehold::coordinator {
namespace {

using pg_internal::Bytes;
using pg_internal::BytesOf;

// The shard key (coordinator/core/ids.h ShardKey) of a shards row, in SQL.
constexpr const char* kKeyExpr =
    "replace(object_id::text, '-', '') || '-' || segment || '-' || shard_index";

int64_t Clamp(uint64_t v) {
  return v > static_cast<uint64_t>(INT64_MAX) ? INT64_MAX : static_cast<int64_t>(v);
}

}  // namespace

absl::Status PgInventoryStore::Record(const std::string& node_id, const Inventory& reported) {
  return pool_.RunAutocommit([&](PgTxn& txn) {
    txn.exec_params(
        "UPDATE nodes SET inventory_count = $2, inventory_digest = $3 WHERE node_id = $1 "
        "AND (inventory_count IS DISTINCT FROM $2 OR inventory_digest IS DISTINCT FROM $3)",
        node_id, Clamp(reported.count), Bytes(reported.digest));
  });
}

absl::Status PgInventoryStore::NodeStarted(const std::string& node_id) {
  return pool_.RunAutocommit([&](PgTxn& txn) {
    txn.exec_params("UPDATE nodes SET inventory_epoch = inventory_epoch + 1 WHERE node_id = $1",
                    node_id);
  });
}

absl::StatusOr<std::vector<InventoryReport>> PgInventoryStore::Reports() {
  return pool_.RunReadOnly([&](PgTxn& txn) {
    pqxx::result r = txn.exec(
        "SELECT node_id, address, inventory_count, inventory_digest, inventory_epoch "
        "FROM nodes "
        "WHERE state IN (1, 3) AND inventory_digest IS NOT NULL ORDER BY node_id");
    std::vector<InventoryReport> out;
    for (const pqxx::row& row : r) {
      InventoryReport rep;
      rep.node_id = row[0].as<std::string>();
      rep.address = row[1].as<std::string>();
      rep.reported.count = static_cast<uint64_t>(row[2].as<int64_t>());
      rep.reported.digest = BytesOf(row[3]);
      rep.epoch = row[4].as<int64_t>();
      out.push_back(std::move(rep));
    }
    return out;
  });
}

absl::StatusOr<Inventory> PgInventoryStore::Expected(const std::string& node_id) {
  return pool_.RunReadOnly([&](PgTxn& txn) {
    // Each word: 8 bytes of the hash as a signed 64-bit integer; XOR commutes, so
    // the four XORs put back together are the byte-wise XOR of the hashes.
    pqxx::row r =
        txn.exec_params1(std::string("WITH h AS (SELECT sha256(convert_to(") + kKeyExpr +
                             ", 'UTF8')) AS d FROM shards WHERE node_id = $1 AND state = 2) "
                             "SELECT count(*), "
                             "COALESCE(bit_xor(('x' || encode(substring(d from 1 for 8), "
                             "'hex'))::bit(64)::bigint), 0), "
                             "COALESCE(bit_xor(('x' || encode(substring(d from 9 for 8), "
                             "'hex'))::bit(64)::bigint), 0), "
                             "COALESCE(bit_xor(('x' || encode(substring(d from 17 for 8), "
                             "'hex'))::bit(64)::bigint), 0), "
                             "COALESCE(bit_xor(('x' || encode(substring(d from 25 for 8), "
                             "'hex'))::bit(64)::bigint), 0) "
                             "FROM h",
                         node_id);
    Inventory inv;
    inv.count = static_cast<uint64_t>(r[0].as<int64_t>());
    inv.digest.reserve(32);
    for (int w = 1; w <= 4; ++w) {
      const uint64_t word = static_cast<uint64_t>(r[w].as<int64_t>());
      for (int b = 7; b >= 0; --b)
        inv.digest.push_back(static_cast<char>((word >> (8 * b)) & 0xff));
    }
    return inv;
  });
}

absl::StatusOr<std::vector<std::string>> PgInventoryStore::ExpectedKeys(
    const std::string& node_id) {
  return pool_.RunReadOnly([&](PgTxn& txn) {
    pqxx::result r = txn.exec_params(std::string("SELECT ") + kKeyExpr +
                                         " AS k FROM shards WHERE node_id = $1 AND state = 2 "
                                         "ORDER BY k",
                                     node_id);
    std::vector<std::string> out;
    out.reserve(r.size());
    for (const pqxx::row& row : r) out.push_back(row[0].as<std::string>());
    return out;
  });
}

}  // namespace freehold::coordinator
