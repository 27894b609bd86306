#include "client/cli/sync_plan.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace freehold::cli {
namespace {

bool Under(const std::string& path, const std::string& folder) {
  return path.size() > folder.size() && absl::StartsWith(path, folder) &&
         path[folder.size()] == '/';
}

}  // namespace

const char* SyncActionName(SyncAction a) {
  switch (a) {
    case SyncAction::kMkdir:
      return "mkdir";
    case SyncAction::kAdd:
      return "add";
    case SyncAction::kUpdate:
      return "update";
    case SyncAction::kDelete:
      return "delete";
  }
  return "?";
}

bool NeedsContentHash(const SyncEntry& source, const SyncEntry& destination) {
  return !source.is_folder && !destination.is_folder && source.size == destination.size;
}

absl::StatusOr<SyncPlan> PlanSync(const SyncTree& source, const SyncTree& destination,
                                  bool delete_extra, bool checksum) {
  auto changed = [checksum](const SyncEntry& src, const SyncEntry& dst) {
    if (src.size != dst.size) return true;
    if (!checksum) return src.modified_unix_nanos != dst.modified_unix_nanos;
    return src.content_hash.empty() || dst.content_hash.empty() ||
           src.content_hash != dst.content_hash;
  };
  SyncPlan plan;
  std::vector<SyncStep> conflicts, transfers, deletes;
  // Destination paths removed because of a conflict (with everything under them).
  std::vector<std::string> conflict_roots;
  auto removed_by_conflict = [&](const std::string& path) {
    for (const std::string& r : conflict_roots) {
      if (path == r || Under(path, r)) return true;
    }
    return false;
  };
  for (const auto& [path, src] : source) {
    auto it = destination.find(path);
    const bool present = it != destination.end() && !removed_by_conflict(path);
    if (present && it->second.is_folder != src.is_folder) {
      if (!delete_extra) {
        return absl::FailedPreconditionError(
            absl::StrCat(path, " is a ", src.is_folder ? "folder" : "file", " in the source but a ",
                         it->second.is_folder ? "folder" : "file",
                         " in the destination: give --delete to replace it; nothing was changed"));
      }
      conflict_roots.push_back(path);
      // The entry and everything under it, deepest first.
      std::vector<SyncStep> sub;
      for (auto d = it; d != destination.end(); ++d) {
        // Not contiguous: "a b" sorts between "a" and "a/x".
        if (d->first == path || Under(d->first, path)) {
          sub.push_back({SyncAction::kDelete, d->first, {}, d->second});
        }
      }
      conflicts.insert(conflicts.end(), sub.rbegin(), sub.rend());
    }
    const bool exists = present && it->second.is_folder == src.is_folder;
    if (src.is_folder) {
      if (!exists) plan.steps.push_back({SyncAction::kMkdir, path, src, {}});
      continue;
    }
    if (!exists) {
      transfers.push_back({SyncAction::kAdd, path, src, {}});
    } else if (changed(src, it->second)) {
      transfers.push_back({SyncAction::kUpdate, path, src, it->second});
    } else {
      ++plan.unchanged_files;
      continue;
    }
    ++plan.transfer_files;
    plan.transfer_bytes += src.size;
  }
  if (delete_extra) {
    for (auto it = destination.rbegin(); it != destination.rend(); ++it) {
      if (source.count(it->first) != 0 || removed_by_conflict(it->first)) continue;
      deletes.push_back({SyncAction::kDelete, it->first, {}, it->second});
    }
  }
  std::vector<SyncStep> steps = std::move(conflicts);
  steps.insert(steps.end(), plan.steps.begin(), plan.steps.end());
  steps.insert(steps.end(), transfers.begin(), transfers.end());
  steps.insert(steps.end(), deletes.begin(), deletes.end());
  plan.steps = std::move(steps);
  return plan;
}

}  // namespace freehold::cli
