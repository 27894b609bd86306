// The download engine: for each segment of a manifest (GetObject), read any k
// healthy shards in parallel from the storage daemons (data shards first, so
// the common case needs no decoding), verify each shard's SHA-256 against the
// manifest (a mismatch or a failed read counts as missing and the next shard
// is tried), rebuild the segment if a data shard is missing, and hand the
// payload bytes to a sink in order. Up to `segments_ahead` segments are
// fetched while the caller's sink consumes the current one (bounded memory).
// GET grants about to expire are renewed by asking for the manifest again.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "client/cli/storage_nodes.h"
#include "client/cli/transfer_observer.h"
#include "client/core/byte_io.h"
#include "common/erasure/erasure.h"
#include "freehold/v1/coordinator.pb.h"

namespace freehold::cli {

struct DownloadConfig {
  int segments_ahead = 2;
  // Renew the manifest when its grants expire within this margin.
  absl::Duration grant_margin = absl::Seconds(60);
};

using ManifestSource = std::function<absl::StatusOr<v1::GetObjectResponse>()>;

class Downloader {
 public:
  // Dependencies must outlive the Downloader. `observer` may be null.
  Downloader(StorageNodes& nodes, DownloadConfig config, TransferObserver* observer)
      : nodes_(nodes), config_(config), observer_(observer ? observer : &null_observer_) {}

  // Writes the object's payload (the age STREAM) to `payload` (not closed).
  // `renew` (may be null) returns a fresh manifest of the same object.
  // Errors: DATA_LOSS when fewer than k shards of a segment are intact,
  // UNAVAILABLE when too many of its nodes cannot be reached (retry later),
  // INVALID_ARGUMENT for an inconsistent manifest, or the sink's error.
  absl::Status Fetch(v1::GetObjectResponse manifest, const ManifestSource& renew,
                     client::ByteSink& payload);

  // Shards read so far whose bytes did not match the manifest's SHA-256 (the caller
  // reports them: CoordinatorApi::ReportCorruptShard).
  struct CorruptShard {
    uint32_t segment = 0;
    uint32_t index = 0;
    std::string node_id;
  };
  std::vector<CorruptShard> TakeCorruptShards();

 private:
  // A segment's payload bytes: the first `len` bytes of `buf`.
  struct Fetched {
    std::vector<uint8_t> buf;
    size_t len = 0;
  };
  absl::StatusOr<Fetched> FetchSegment(const v1::SegmentManifest& seg,
                                       const erasure::ReedSolomon& rs);
  // Recycled segment buffers: fresh ones cost a memset and page faults.
  std::vector<uint8_t> TakeBuffer(size_t size);
  void GiveBuffer(std::vector<uint8_t> buf);

  StorageNodes& nodes_;
  absl::Mutex corrupt_mu_;
  std::vector<CorruptShard> corrupt_ ABSL_GUARDED_BY(corrupt_mu_);
  DownloadConfig config_;
  TransferObserver* observer_;
  NullObserver null_observer_;
  absl::Mutex pool_mu_;
  std::vector<std::vector<uint8_t>> pool_ ABSL_GUARDED_BY(pool_mu_);
};

// Checks the manifest's shape: k and m in range, segments 0..n-1 in order
// whose sizes add up to the object size, each with shard size ceil(len / k).
absl::Status ValidateManifest(const v1::GetObjectResponse& manifest);

}  // namespace freehold::cli
