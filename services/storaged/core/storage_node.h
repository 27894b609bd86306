// StorageNode: what the StorageNode RPCs do, in plain C++ (the gRPC service only
// translates). Every operation first checks its grant (grants.h), then acts on the
// ShardStore. Bad input never changes anything on disk.
//
// Thread-safe: any number of operations may run concurrently. Uploads and downloads
// are owned by the calling stream.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "services/storaged/core/grants.h"
#include "services/storaged/core/metrics.h"
#include "services/storaged/core/shard_store.h"

namespace freehold::storaged {

inline constexpr std::string_view kStoragedVersion = "freehold-storaged 0.1.0";
// GetShard answers in chunks of this size (bounded memory per stream).
inline constexpr size_t kReadChunkBytes = 1 << 20;
inline constexpr uint32_t kDefaultListPageSize = 1000;
inline constexpr uint32_t kMaxListPageSize = 10000;

// One PutShard stream after its grant was accepted. While it exists it holds its
// shard key: no other upload of that key may start on this node. It lives no longer
// than its grant: once grant.expires_at has passed, Append and Finish answer
// DEADLINE_EXCEEDED naming the expiry and the partial file is removed at once.
class ShardUpload {
 public:
  // Next bytes of the shard. INVALID_ARGUMENT past grant.size_bytes; disk errors;
  // DEADLINE_EXCEEDED once the grant has expired (the upload is then dead: every
  // later call answers the same). For an already-present shard the bytes are counted
  // and dropped.
  absl::Status Append(std::string_view data);
  // When the grant that admitted this upload expires.
  absl::Time expires_at() const { return grant_.expires_at; }
  struct Result {
    std::string receipt_token;  // ReceiptClaims signed with the node key
    bool already_present = false;
  };
  // The client finished sending: checks size and SHA-256 (INVALID_ARGUMENT naming
  // which), stores durably and signs a receipt. Call once.
  absl::StatusOr<Result> Finish();
  // Dropping the upload without Finish (stream cancelled or broken) removes every
  // trace of it.
  ~ShardUpload();

 private:
  friend class StorageNode;
  ShardUpload(class StorageNode& node, Grant grant, std::unique_ptr<ShardWriter> writer);
  // OK while the grant is valid; otherwise kills the upload (removes the temp file).
  absl::Status CheckNotExpired();

  StorageNode& node_;
  const Grant grant_;
  std::unique_ptr<ShardWriter> writer_;  // null when already present (or dead)
  uint64_t drained_ = 0;
  absl::Status dead_;  // not OK once the grant expired
};

// One GetShard stream after its grant was accepted.
class ShardDownload {
 public:
  uint64_t total_size() const { return reader_->size(); }
  // Replaces *chunk with the next at most kReadChunkBytes bytes. Returns false (and
  // OK status) when the range is exhausted; DATA_LOSS if the file was truncated.
  absl::StatusOr<bool> Next(std::string* chunk);

 private:
  friend class StorageNode;
  ShardDownload(StoragedMetrics* metrics, std::unique_ptr<ShardReader> reader, uint64_t offset,
                uint64_t end)
      : metrics_(metrics), reader_(std::move(reader)), next_(offset), end_(end) {}
  StoragedMetrics* metrics_;
  std::unique_ptr<ShardReader> reader_;
  uint64_t next_;
  const uint64_t end_;
};

struct AuditResult {
  std::string keyed_hash;  // 32 bytes
  uint64_t size_bytes = 0;
};

struct NodeStatus {
  std::string node_id;
  std::string node_public_key;  // raw 32 bytes
  StoreStats stats;
  std::string version;
};

struct ShardPage {
  std::vector<std::string> keys;
  std::string next_page_token;  // empty = no more
};

class StorageNode {
 public:
  // All references must outlive the node; `metrics` may be null.
  StorageNode(ShardStore& store, const GrantChecker& grants, const ReceiptSigner& receipts,
              Clock& clock, StoragedMetrics* metrics);

  // Checks a PUT grant (see GrantChecker::Check for the statuses), then claims its
  // shard key: ABORTED if another upload of the same key is in progress on this node
  // (one upload per shard key at a time, so a grant cannot be replayed on parallel
  // streams). Then reserves space: RESOURCE_EXHAUSTED if it does not fit,
  // ALREADY_EXISTS if the key holds other bytes.
  absl::StatusOr<std::unique_ptr<ShardUpload>> BeginPut(std::string_view grant_token);

  // Checks a GET grant and the range: OUT_OF_RANGE if offset (+length) passes the end,
  // PERMISSION_DENIED if the shard is larger than grant.size_bytes (when set),
  // FAILED_PRECONDITION if grant.sha256 is set and differs from the stored hash,
  // NOT_FOUND if absent, DATA_LOSS if known corrupt. length 0 = to the end.
  absl::StatusOr<std::unique_ptr<ShardDownload>> BeginGet(std::string_view grant_token,
                                                          uint64_t offset, uint64_t length);

  // Checks a DELETE grant and deletes. Returns whether the shard existed.
  absl::StatusOr<bool> Delete(std::string_view grant_token);

  // Checks an AUDIT grant; BLAKE2b-256 keyed with the 32-byte `challenge_key` over the
  // whole shard (INVALID_ARGUMENT "challenge_key ..." otherwise).
  absl::StatusOr<AuditResult> Audit(std::string_view grant_token, std::string_view challenge_key);

  NodeStatus Status() const;

  // Keys in ascending order. page_size 0 = default, capped at kMaxListPageSize.
  // INVALID_ARGUMENT "page.page_token" for a token this node did not produce.
  absl::StatusOr<ShardPage> List(uint32_t page_size, std::string_view page_token) const;

  const std::string& node_id() const { return grants_.node_id(); }
  // Uploads in progress (for tests and status).
  size_t uploads_in_progress() const;

 private:
  friend class ShardUpload;
  // False if `key` is already being uploaded.
  bool ClaimUpload(const std::string& key);
  void ReleaseUpload(const std::string& key);

  ShardStore& store_;
  const GrantChecker& grants_;
  const ReceiptSigner& receipts_;
  Clock& clock_;
  StoragedMetrics* const metrics_;
  mutable absl::Mutex uploads_mu_;
  absl::flat_hash_set<std::string> uploading_ ABSL_GUARDED_BY(uploads_mu_);
};

}  // namespace freehold::storaged
