#include "coordinator/core/manifest_rules.h"

#include "absl/strings/str_cat.h"

namespace freehold::coordinator {

uint64_t SegmentCount(uint64_t size, uint64_t segment_size) {
  if (segment_size == 0) return 0;
  return size / segment_size + (size % segment_size != 0 ? 1 : 0);
}

uint64_t SegmentPayloadSize(uint64_t size, uint64_t segment_size, uint64_t index) {
  const uint64_t start = index * segment_size;
  if (start >= size) return 0;
  return std::min(segment_size, size - start);
}

absl::Status CheckSegmentLayout(uint64_t object_size, uint64_t segment_size, int data_shards,
                                int parity_shards, uint64_t index, uint64_t segment_payload_size,
                                uint64_t shard_size, const std::vector<std::string>& hashes) {
  const uint64_t count = SegmentCount(object_size, segment_size);
  if (index >= count) {
    return absl::InvalidArgumentError(
        absl::StrCat("segment ", index, " is out of range: the object's ", object_size,
                     " bytes make ", count, " segments of ", segment_size, " bytes"));
  }
  const uint64_t expected = SegmentPayloadSize(object_size, segment_size, index);
  if (segment_payload_size != expected) {
    return absl::InvalidArgumentError(absl::StrCat("segment_size_bytes must be ", expected,
                                                   " for segment ", index, " (got ",
                                                   segment_payload_size, ")"));
  }
  const uint64_t k = static_cast<uint64_t>(data_shards);
  const uint64_t min_shard = (segment_payload_size + k - 1) / k;
  if (shard_size < min_shard || shard_size > min_shard + kMaxShardPadding) {
    return absl::InvalidArgumentError(absl::StrCat("shard_size_bytes must be between ", min_shard,
                                                   " and ", min_shard + kMaxShardPadding,
                                                   " for this segment (got ", shard_size, ")"));
  }
  const size_t n = static_cast<size_t>(data_shards + parity_shards);
  if (hashes.size() != n) {
    return absl::InvalidArgumentError(
        absl::StrCat("shard_sha256 must have ", n, " hashes (k+m), got ", hashes.size()));
  }
  for (size_t i = 0; i < hashes.size(); ++i) {
    if (hashes[i].size() != 32) {
      return absl::InvalidArgumentError(
          absl::StrCat("shard_sha256[", i, "] must be 32 bytes (SHA-256)"));
    }
  }
  return absl::OkStatus();
}

}  // namespace freehold::coordinator
