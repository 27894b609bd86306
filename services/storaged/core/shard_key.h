// Shard key syntax (docs/ARCHITECTURE.md#4-objects-segments-and-shards): 1..128 characters from
// [0-9a-z-]. Keys become file names, so anything path-like is refused here,
// before any file system call sees it.
#pragma once

#include <cstddef>
#include <string_view>

#include "absl/status/status.h"

namespace freehold::storaged {

inline constexpr size_t kMaxShardKeyLength = 128;

// OK, or INVALID_ARGUMENT naming `field` ("shard_key is empty", "shard_key contains
// '/' at position 1; only [0-9a-z-] are allowed", ...).
absl::Status ValidateShardKey(std::string_view key, std::string_view field = "shard_key");

}  // namespace freehold::storaged
