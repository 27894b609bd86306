// Helpers shared by the storaged tests: coordinator keys, grants, bytes, and
// snapshots of a data directory (to prove that bad input changed nothing).
#pragma once

#include <gmock/gmock.h>
#include <sys/stat.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <random>
#include <string>

#include "absl/time/time.h"
#include "common/bulk/sha256.h"
#include "common/signed_token.h"
#include "services/storaged/core/grants.h"

namespace freehold::storaged::testing {

// Matches an OK absl::StatusOr<T> whose value matches `matcher`.
MATCHER_P(IsOkAndHolds, matcher, "is OK and holds a matching value") {
  if (!arg.ok()) {
    *result_listener << "status is " << arg.status();
    return false;
  }
  return ::testing::ExplainMatchResult(matcher, *arg, result_listener);
}

// Deterministic pseudo-random bytes.
inline std::string PatternBytes(size_t size, uint32_t seed = 1) {
  std::mt19937 rng(seed);
  std::string out(size, '\0');
  for (size_t i = 0; i < size; ++i) out[i] = static_cast<char>(rng() & 0xff);
  return out;
}

inline std::string Sha256Of(std::string_view data) {
  const bulk::Sha256Hash h = bulk::Sha256Digest(data);
  return std::string(reinterpret_cast<const char*>(h.data()), h.size());
}

// A shard key in the canonical form "<32 hex>-<segment>-<index>".
inline std::string ShardKey(int n, int segment = 0, int index = 0) {
  char hex[33];
  std::snprintf(hex, sizeof(hex), "%032x", n);
  return std::string(hex) + "-" + std::to_string(segment) + "-" + std::to_string(index);
}

inline SigningKey NewKey(const std::string& key_id) {
  absl::StatusOr<SigningKey> key = GenerateSigningKey(key_id);
  if (!key.ok()) std::abort();
  return *key;
}

inline Grant MakeGrant(GrantOperation op, const std::string& node_id, const std::string& key,
                       std::string_view data, absl::Time expires_at) {
  Grant grant;
  grant.operation = op;
  grant.node_id = node_id;
  grant.shard_key = key;
  if (op == GrantOperation::kPut) {
    grant.size_bytes = data.size();
    grant.sha256 = Sha256Of(data);
  }
  grant.expires_at = expires_at;
  grant.object_id = key.substr(0, std::min<size_t>(32, key.size()));
  return grant;
}

// path (relative to root) -> size, for every regular file and directory under root.
inline std::map<std::string, int64_t> SnapshotTree(const std::string& root) {
  std::map<std::string, int64_t> out;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(root, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    const std::string rel = std::filesystem::relative(it->path(), root).string();
    if (rel == "LOCK") continue;
    out[rel] = it->is_directory() ? -1 : static_cast<int64_t>(it->file_size());
  }
  return out;
}

// Regular files directly inside `dir`.
inline size_t CountFiles(const std::string& dir) {
  size_t n = 0;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(dir, ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file()) ++n;
  }
  return n;
}

inline int FileMode(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return -1;
  return static_cast<int>(st.st_mode & 07777);
}

}  // namespace freehold::storaged::testing
