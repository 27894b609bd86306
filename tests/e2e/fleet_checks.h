// Checks of a whole running cluster from outside, for the fault and soak tests: which
// shard keys the coordinator records on each node (its database, read with psql), whether
// every daemon's disk holds exactly those, and freehold-admin as an operator runs it.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tests/e2e/cli_runner.h"
#include "tests/e2e/cluster.h"

namespace freehold::e2e {

// One shard row of the coordinator's database.
struct RecordedShard {
  std::string node_id;
  std::string key;  // <object hex>-<segment>-<index>, as on the daemons' disks
  int state = 0;    // 1 pending, 2 healthy, 3 missing, 4 deleting
};

// Every row of coordinator.shards (psql on the cluster's database).
absl::StatusOr<std::vector<RecordedShard>> RecordedShards(const Cluster& c,
                                                          const std::string& scratch);

// The node id of daemon i (from its data dir; stable across restarts; remembered).
std::string NodeIdOf(const Cluster& c, int i);

// Compares every daemon's disk (quarantined `.corrupt` files excluded) with the
// records: "" when each disk holds exactly the keys recorded on its node, every record
// is healthy and no key is on two disks; else what differs first (a few examples).
// `unreferenced` (if set) receives the number of shard files no record names on their
// node: what an orphan sweep past its grace would delete.
std::string DisksMatchRecords(const Cluster& c, const std::string& scratch,
                              int* unreferenced = nullptr);

// freehold-admin with the operator certificate against the cluster's coordinator.
CliResult RunAdmin(const Cluster& c, const std::vector<std::string>& args,
                   const std::string& scratch);

}  // namespace freehold::e2e
