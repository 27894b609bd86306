// The upload engine (docs/ARCHITECTURE.md#9-put-and-get): CreateObject, then per segment
// (encrypt -> segment -> Reed-Solomon -> SHA-256, in the client core)
// BeginSegment -> PutShard to k+m daemons in parallel -> CommitSegment, and
// finally CommitObject. Memory is bounded: at most `segments_in_flight`
// encoded segments are being sent while the next is encoded.
//
// Failures: a PutShard that fails UNAVAILABLE is first retried on the same daemon
// (bounded back-off, `same_node_backoff`: 3 tries in ~250 ms); a daemon that still
// fails is replaced (ReplaceShardTarget) and the shard sent to the new node, up to
// `attempts_per_shard` nodes. (Storage channels have no gRPC retry policy: see
// retry_policy.h; this retry is ours and bounded.) When a shard still cannot be
// stored, the segment is committed with the shards that were (degraded commit) if
// they are at least the coordinator's minimum (BeginSegmentResponse.min_shards_to_commit,
// k+1 by default): a notice names the missing shards, and the cluster's repair loop
// rebuilds them. Fewer fail the upload with the first shard's error.
// BeginSegment answered RESOURCE_EXHAUSTED (admission throttled or closed) is
// shown to the user; when the server says to retry later (trailing metadata
// "retry-after-ms" or the message) it is retried up to `admission_retries`
// times. A server-given wait longer than `max_admission_wait` is not waited
// for: the upload fails at once with the server's message (exit code 6).
// If the upload fails, the unfinished object is deleted (best effort); it was
// never visible.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "client/cli/coordinator_api.h"
#include "client/cli/storage_nodes.h"
#include "client/cli/transfer_observer.h"
#include "client/core/byte_io.h"
#include "client/core/secret_bytes.h"
#include "common/erasure/erasure.h"

namespace freehold::cli {

struct UploadConfig {
  int encode_threads = 1;      // client-core pipeline workers
  int segments_in_flight = 2;  // encoded segments being sent at once
  int attempts_per_shard = 4;  // first node + replacements
  // A transient failure to reach a node (UNAVAILABLE: connect failed, connection
  // reset) is retried on the SAME node after each of these waits before the node is
  // replaced: a live daemon is not given up on because of one failed connect.
  std::vector<absl::Duration> same_node_backoff = {absl::Milliseconds(50), absl::Milliseconds(200)};
  int admission_retries = 6;                             // throttled BeginSegment retries
  absl::Duration max_admission_wait = absl::Minutes(2);  // longest single wait (see above)
  // Injectable for tests; default sleeps.
  std::function<void(absl::Duration)> sleep;
};

struct UploadInput {
  client::ByteSource* plaintext = nullptr;  // yields exactly plaintext_size bytes
  uint64_t plaintext_size = 0;
  std::string encrypted_metadata;
  std::string age_header;  // serialized header (stanzas + MAC)
  std::string name_hash;   // keyed name hash (client/core/metadata.h); may be empty
  std::string parent_id;   // folder to create it in; empty = root
  const client::SecretBytes* file_key = nullptr;
  // The id the metadata is sealed to (client::NewObjectId); empty = the
  // coordinator chooses.
  std::string object_id;
};

struct UploadResult {
  std::string object_id;
  uint64_t payload_bytes = 0;
  uint64_t segments = 0;
  int data_shards = 0, parity_shards = 0;
  int replaced_shards = 0;
  int degraded_segments = 0;  // committed with fewer than k+m shards (repaired later)
};

class Uploader {
 public:
  // Dependencies must outlive the Uploader. `observer` may be null.
  Uploader(CoordinatorApi& coordinator, StorageNodes& nodes, UploadConfig config,
           TransferObserver* observer);
  absl::StatusOr<UploadResult> Upload(const UploadInput& input);

 private:
  struct Job;
  absl::StatusOr<v1::BeginSegmentResponse> BeginWithAdmission(const v1::BeginSegmentRequest& req);
  absl::Status StoreSegment(const std::string& object_id, uint64_t index,
                            const erasure::EncodedSegment& seg, int* replaced, int* degraded);
  absl::StatusOr<v1::ShardReceipt> StoreShard(const std::string& object_id, uint64_t segment,
                                              int index, v1::ShardPlan plan,
                                              std::span<const uint8_t> data, int* replaced);

  CoordinatorApi& coordinator_;
  StorageNodes& nodes_;
  UploadConfig config_;
  TransferObserver* observer_;
  NullObserver null_observer_;
};

// True if a RESOURCE_EXHAUSTED message from admission suggests retrying later.
bool SuggestsRetry(absl::string_view message);

}  // namespace freehold::cli
