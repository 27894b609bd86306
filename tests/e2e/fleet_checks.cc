#include "tests/e2e/fleet_checks.h"

#include "absl/strings/numbers.h"
#include "absl/synchronization/mutex.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/e2e/probes.h"
#include "tests/support/process.h"
#include "tests/support/storaged_identity.h"

namespace freehold::e2e {

absl::StatusOr<std::vector<RecordedShard>> RecordedShards(const Cluster& c,
                                                          const std::string& scratch) {
  CliResult r = RunTool("/usr/bin/psql",
                        {c.database_url(), "-At", "-F", " ", "-c",
                         "SELECT node_id, replace(object_id::text, '-', '') || '-' || segment "
                         "|| '-' || shard_index, state FROM coordinator.shards"},
                        scratch);
  if (r.exit_code != 0) return absl::UnavailableError("psql: " + r.Describe());
  std::vector<RecordedShard> out;
  for (absl::string_view line : absl::StrSplit(r.out, '\n', absl::SkipEmpty())) {
    std::vector<std::string> f = absl::StrSplit(line, ' ');
    RecordedShard s;
    if (f.size() != 3 || !absl::SimpleAtoi(f[2], &s.state)) {
      return absl::InternalError(absl::StrCat("unexpected psql line: ", line));
    }
    s.node_id = f[0];
    s.key = f[1];
    out.push_back(std::move(s));
  }
  return out;
}

std::string NodeIdOf(const Cluster& c, int i) {
  // Asking the daemon's binary costs a process start: remembered per data dir (a node's
  // identity never changes).
  static absl::Mutex mu(absl::kConstInit);
  static auto* known = new std::map<std::string, std::string>();
  const std::string dir = c.node_data_dir(i);
  {
    absl::MutexLock lock(&mu);
    auto it = known->find(dir);
    if (it != known->end()) return it->second;
  }
  absl::StatusOr<testing::StoragedIdentity> id = testing::PrintStoragedIdentity(dir);
  if (!id.ok()) return "";
  absl::MutexLock lock(&mu);
  (*known)[dir] = id->node_id;
  return id->node_id;
}

std::string DisksMatchRecords(const Cluster& c, const std::string& scratch, int* unreferenced) {
  absl::StatusOr<std::vector<RecordedShard>> rows = RecordedShards(c, scratch);
  if (!rows.ok()) return rows.status().ToString();
  std::map<std::string, std::set<std::string>> recorded;  // node id -> keys
  std::string problem;
  int not_healthy = 0;
  for (const RecordedShard& s : *rows) {
    recorded[s.node_id].insert(s.key);
    if (s.state != 2) {
      if (++not_healthy <= 3) absl::StrAppend(&problem, s.key, " recorded in state ", s.state, "; ");
    }
  }
  std::map<std::string, int> disks_holding;  // key -> disks
  int extra = 0, absent = 0;
  for (int i = 0; i < c.node_count(); ++i) {
    const std::string node = NodeIdOf(c, i);
    std::set<std::string> on_disk;
    for (const auto& [key, path] : ShardFiles(c.node_data_dir(i))) {
      if (path.find(".corrupt") != std::string::npos) continue;
      on_disk.insert(key);
      ++disks_holding[key];
    }
    const std::set<std::string>& want = recorded[node];
    for (const std::string& k : on_disk) {
      if (want.count(k)) continue;
      if (++extra <= 3) absl::StrAppend(&problem, "daemon ", i, " holds unrecorded ", k, "; ");
    }
    for (const std::string& k : want) {
      if (on_disk.count(k)) continue;
      if (++absent <= 3) absl::StrAppend(&problem, "daemon ", i, " lacks recorded ", k, "; ");
    }
  }
  int doubled = 0;
  for (const auto& [key, n] : disks_holding) {
    if (n > 1 && ++doubled <= 3) absl::StrAppend(&problem, key, " on ", n, " disks; ");
  }
  if (unreferenced != nullptr) *unreferenced = extra;
  if (problem.empty()) return "";
  return absl::StrCat(not_healthy, " records not healthy, ", extra, " unrecorded files, ", absent,
                      " recorded shards absent, ", doubled, " keys on several disks: ", problem);
}

CliResult RunAdmin(const Cluster& c, const std::vector<std::string>& args,
                   const std::string& scratch) {
  std::vector<std::string> all = {"--coordinator", c.coordinator_address(),
                                  "--ca-file",     c.ca_file(),
                                  "--tls-cert",    c.operator_tls().cert_file,
                                  "--tls-key",     c.operator_tls().key_file};
  all.insert(all.end(), args.begin(), args.end());
  return RunTool(testing::BinaryPath("freehold-admin"), all, scratch);
}

}  // namespace freehold::e2e
