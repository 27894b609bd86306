// Looking at a running cluster from outside: a daemon's shard files on disk and the
// coordinator's /metrics page.
#pragma once

#include <map>
#include <string>

namespace freehold::e2e {

// Shard files below a daemon's data dir (<data_dir>/shards/aa/bb/<key>.<sha256>[.corrupt]):
// key -> path.
std::map<std::string, std::string> ShardFiles(const std::string& data_dir);

// Sum of the samples of metric `name` whose line contains `label_filter` (e.g.
// `result="failed"`, empty: all) on http://address/metrics; -1 if unreachable.
double MetricSum(const std::string& address, const std::string& name,
                 const std::string& label_filter, const std::string& scratch_dir);

// A canonical UUID without its dashes (the first part of its shard keys).
std::string HexOfUuid(const std::string& uuid);

}  // namespace freehold::e2e
