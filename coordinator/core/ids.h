// Identifiers the coordinator hands out and checks: object UUIDs, account ids
// and shard keys (brief: "<object uuid, 32 lower hex>-<segment>-<index>").
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace freehold::coordinator {

// Every identifier a caller sends is bounded and checked before it is used or named
// in an answer; messages name the field, never echo the value (it may be megabytes).
inline constexpr size_t kMaxNodeIdBytes = 128;
// Longer than any key ShardKey makes ("<32 hex>-<segment>-<index>").
inline constexpr size_t kMaxShardKeyBytes = 128;

// 1..128 characters of [A-Za-z0-9._-]: the node ids the coordinator accepts.
bool IsNodeId(absl::string_view id);
// OK, or INVALID_ARGUMENT "<field> must be 1..128 characters of [A-Za-z0-9._-]".
absl::Status CheckNodeId(absl::string_view id, absl::string_view field);

// A random version 4 UUID, lower case with dashes.
std::string NewUuid();

// Canonical form (lower case, dashes) of a UUID given with or without dashes,
// in any case. INVALID_ARGUMENT naming `field` otherwise.
absl::StatusOr<std::string> CanonicalUuid(absl::string_view text, absl::string_view field);

// The 16 bytes of a canonical UUID (CanonicalUuid output).
std::array<uint8_t, 16> UuidBytes(absl::string_view canonical_uuid);

// "<32 hex>-<segment>-<index>" for a canonical object UUID.
std::string ShardKey(absl::string_view object_id, int segment, int index);

struct ParsedShardKey {
  std::string object_id;  // canonical UUID
  int segment = 0;
  int index = 0;
};
// INVALID_ARGUMENT unless `key` is exactly what ShardKey produces.
absl::StatusOr<ParsedShardKey> ParseShardKey(absl::string_view key);

}  // namespace freehold::coordinator
