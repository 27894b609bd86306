// The client upload pipeline: plaintext -> age STREAM payload -> segments ->
// k+m Reed-Solomon shards -> SHA-256 per shard, in bounded memory.
//
// The payload produced is byte-identical to StreamEncryptor's for the same
// file key and nonce (the age header is built separately with NewFileHeader),
// so header bytes + concatenated segments form a valid age file.
//
// Threading: with options.threads == 0 everything runs on the calling thread.
// With threads = N >= 1 the caller reads plaintext and dispatches one job per
// segment to N workers, each sealing the STREAM chunks that fall in its
// segment (chunks are independent given their index), erasure coding and
// hashing it; results are handed to the handler in segment order, on the
// calling thread. At most N + 1 segments are in flight, so memory is about
// (N + 1) * (plaintext segment + k+m shards).
//
// A plaintext source that is also a PositionalSource (a local file) is not
// read through Read: each worker reads its segment's chunks at their offsets
// straight into the shard buffer and seals them in place, so there are no
// plaintext buffers and at most N segments are in flight (N * k+m shards);
// the source's CheckUnchanged runs after the last segment, before success.
//
// Where the parts live: cutting the plaintext into segment jobs (the streamed
// and the positional read paths) is internal/segment_job.h; sealing and
// erasure coding one segment is internal/segment_builder.h; this file runs
// them on the calling thread or on workers and delivers segments in order.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include "absl/status/statusor.h"
#include "client/core/age_stream.h"
#include "client/core/byte_io.h"
#include "client/core/secret_bytes.h"
#include "client/core/segmenter.h"
#include "common/bulk/backend.h"
#include "common/erasure/erasure.h"

namespace freehold::client {

struct UploadOptions {
  uint64_t segment_size = kDefaultSegmentBytes;  // payload bytes per segment, > 0
  int k = 4;
  int m = 2;
  int threads = 0;
  bulk::Backend backend = bulk::kDefaultBackend;
  std::optional<PayloadNonce> nonce;  // random when unset (set only in tests)
};

struct UploadSegment {
  uint64_t index = 0;
  uint64_t payload_offset = 0;      // where the segment starts in the payload
  erasure::EncodedSegment encoded;  // segment_len, shards, hashes
};

struct UploadSummary {
  uint64_t plaintext_bytes = 0;
  uint64_t payload_bytes = 0;
  uint64_t segments = 0;
};

// Called once per segment, in order. The handler may move encoded.storage
// away; if it does not, the buffer is recycled after it returns. A non-OK
// status stops the pipeline and is returned.
using UploadSegmentHandler = std::function<absl::Status(UploadSegment& segment)>;

// Runs the pipeline over one input after another, reusing its buffers (so
// steady-state throughput does not pay for fresh memory per file). One Run at
// a time per object (not thread-safe itself; it starts its own workers).
class UploadPipeline {
 public:
  // INVALID_ARGUMENT on bad options, naming the field.
  static absl::StatusOr<std::unique_ptr<UploadPipeline>> Create(const UploadOptions& options);
  ~UploadPipeline();

  // INVALID_ARGUMENT if the file key is not 16 bytes; otherwise the first
  // error of the source, the handler or the pipeline.
  absl::StatusOr<UploadSummary> Run(const SecretBytes& file_key, ByteSource& plaintext,
                                    const UploadSegmentHandler& handler);

  struct Buffers;  // recycled plaintext and shard buffers

 private:
  UploadPipeline(const UploadOptions& options, erasure::ReedSolomon rs);
  UploadOptions options_;
  erasure::ReedSolomon rs_;
  std::unique_ptr<Buffers> buffers_;
};

// One-shot convenience: UploadPipeline::Create(options) then Run.
absl::StatusOr<UploadSummary> EncodeUpload(const SecretBytes& file_key, ByteSource& plaintext,
                                           const UploadOptions& options,
                                           const UploadSegmentHandler& handler);

}  // namespace freehold::client
