// Rules of object layout (docs/ARCHITECTURE.md#4-objects-segments-and-shards): an object's payload
// is cut into segments of the object's segment size (the last one shorter); every shard of a
// segment has the same size, at least ceil(segment / k) and at most 4 KiB more (coding
// padding/alignment); every shard hash is a 32-byte SHA-256.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace freehold::coordinator {

inline constexpr uint64_t kMaxShardPadding = 4096;

// Number of segments of a payload of `size` bytes (0 for an empty payload).
uint64_t SegmentCount(uint64_t size, uint64_t segment_size);

// Payload bytes of segment `index` (< SegmentCount).
uint64_t SegmentPayloadSize(uint64_t size, uint64_t segment_size, uint64_t index);

// Checks a BeginSegment request against the object: index in range, the
// segment's payload size as the layout requires, shard size in range, k+m
// hashes of 32 bytes. INVALID_ARGUMENT naming the field.
absl::Status CheckSegmentLayout(uint64_t object_size, uint64_t segment_size, int data_shards,
                                int parity_shards, uint64_t index, uint64_t segment_payload_size,
                                uint64_t shard_size, const std::vector<std::string>& hashes);

}  // namespace freehold::coordinator
