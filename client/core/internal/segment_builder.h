// Builds one segment of the upload pipeline: seals the STREAM chunks that
// fall in it, writes the ciphertext straight into the k data shards, hashes
// them while they are in cache, then computes parity (common/erasure).
// Internal to client_core.
#pragma once

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "client/core/age_stream.h"
#include "client/core/byte_io.h"
#include "client/core/internal/segment_job.h"
#include "common/bulk/backend.h"
#include "common/erasure/erasure.h"

namespace freehold::client::internal {

// Builds the ciphertext of a segment and erasure codes it. With `source`
// set, each chunk's plaintext is read from it straight to where its
// ciphertext goes and sealed in place (job.plain is unused); otherwise the
// plaintext is job.plain. `storage` is a recycled shard buffer (grown as
// needed, moved into the result); `scratch` is per-thread working memory.
absl::StatusOr<erasure::EncodedSegment> BuildSegment(
    const SegmentJob& job, StreamCipher& cipher, const PayloadNonce& nonce,
    const erasure::ReedSolomon& rs, bulk::Backend backend, PositionalSource* source,
    std::vector<uint8_t> storage, std::vector<uint8_t>& scratch);

}  // namespace freehold::client::internal
