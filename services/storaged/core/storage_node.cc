#include "services/storaged/core/storage_node.h"

#include <sodium.h>

#include "absl/strings/str_cat.h"
#include "common/encoding.h"
#include "common/secure_compare.h"
#include "common/status.h"
#include "services/storaged/core/shard_key.h"

namespace freehold::storaged {

ShardUpload::ShardUpload(StorageNode& node, Grant grant, std::unique_ptr<ShardWriter> writer)
    : node_(node), grant_(std::move(grant)), writer_(std::move(writer)) {}

ShardUpload::~ShardUpload() {
  writer_.reset();  // ~ShardWriter removes an unfinished temp file
  node_.ReleaseUpload(grant_.shard_key);
}

absl::Status ShardUpload::CheckNotExpired() {
  if (!dead_.ok()) return dead_;
  if (node_.clock_.Now() < grant_.expires_at) return absl::OkStatus();
  writer_.reset();  // removes the partial file now, not when the stream is torn down
  dead_ = absl::DeadlineExceededError(
      absl::StrCat("grant expired at ", absl::ToUnixSeconds(grant_.expires_at),
                   " (unix seconds) during the upload of shard ", grant_.shard_key,
                   "; nothing was stored, ask the coordinator for a new grant"));
  return dead_;
}

absl::Status ShardUpload::Append(std::string_view data) {
  FH_RETURN_IF_ERROR(CheckNotExpired());
  if (node_.metrics_ != nullptr)
    node_.metrics_->bytes_in.Increment(static_cast<double>(data.size()));
  if (writer_ != nullptr) return writer_->Append(data);
  if (data.size() > grant_.size_bytes - drained_) {
    return absl::InvalidArgumentError(
        absl::StrCat("data exceeds grant.size_bytes ", grant_.size_bytes));
  }
  drained_ += data.size();
  return absl::OkStatus();
}

absl::StatusOr<ShardUpload::Result> ShardUpload::Finish() {
  FH_RETURN_IF_ERROR(CheckNotExpired());
  Result result;
  if (writer_ != nullptr) {
    FH_ASSIGN_OR_RETURN(result.already_present, writer_->Commit());
    writer_.reset();
  } else {
    result.already_present = true;
  }
  Receipt receipt;
  receipt.node_id = node_.node_id();
  receipt.shard_key = grant_.shard_key;
  receipt.size_bytes = grant_.size_bytes;
  receipt.sha256 = grant_.sha256;
  receipt.stored_at = node_.clock_.Now();
  result.receipt_token = node_.receipts_.Sign(receipt);
  return result;
}

absl::StatusOr<bool> ShardDownload::Next(std::string* chunk) {
  if (next_ >= end_) {
    chunk->clear();
    return false;
  }
  const size_t n = static_cast<size_t>(std::min<uint64_t>(kReadChunkBytes, end_ - next_));
  FH_RETURN_IF_ERROR(reader_->ReadAt(next_, n, chunk));
  if (chunk->size() != n) {
    return absl::DataLossError(absl::StrCat("shard ", reader_->key(), " is truncated on disk"));
  }
  next_ += n;
  if (metrics_ != nullptr) metrics_->bytes_out.Increment(static_cast<double>(n));
  return true;
}

StorageNode::StorageNode(ShardStore& store, const GrantChecker& grants,
                         const ReceiptSigner& receipts, Clock& clock, StoragedMetrics* metrics)
    : store_(store), grants_(grants), receipts_(receipts), clock_(clock), metrics_(metrics) {}

absl::StatusOr<std::unique_ptr<ShardUpload>> StorageNode::BeginPut(std::string_view token) {
  FH_ASSIGN_OR_RETURN(Grant grant, grants_.Check(token, GrantOperation::kPut));
  if (!ClaimUpload(grant.shard_key)) {
    return absl::AbortedError(
        absl::StrCat("another PutShard of shard ", grant.shard_key,
                     " is in progress on this node; one upload per shard key at a time"));
  }
  absl::StatusOr<PutStart> start =
      store_.BeginPut(grant.shard_key, grant.size_bytes, grant.sha256);
  if (!start.ok()) {
    ReleaseUpload(grant.shard_key);
    return start.status();
  }
  // From here the upload owns the claim (released by ~ShardUpload).
  return std::unique_ptr<ShardUpload>(
      new ShardUpload(*this, std::move(grant), std::move(start->writer)));
}

bool StorageNode::ClaimUpload(const std::string& key) {
  absl::MutexLock lock(&uploads_mu_);
  return uploading_.insert(key).second;
}

void StorageNode::ReleaseUpload(const std::string& key) {
  absl::MutexLock lock(&uploads_mu_);
  uploading_.erase(key);
}

size_t StorageNode::uploads_in_progress() const {
  absl::MutexLock lock(&uploads_mu_);
  return uploading_.size();
}

absl::StatusOr<std::unique_ptr<ShardDownload>> StorageNode::BeginGet(std::string_view token,
                                                                     uint64_t offset,
                                                                     uint64_t length) {
  FH_ASSIGN_OR_RETURN(Grant grant, grants_.Check(token, GrantOperation::kGet));
  FH_ASSIGN_OR_RETURN(std::unique_ptr<ShardReader> reader, store_.Open(grant.shard_key));
  const uint64_t size = reader->size();
  if (grant.size_bytes != 0 && size > grant.size_bytes) {
    return absl::PermissionDeniedError(
        absl::StrCat("shard is ", size, " bytes, more than grant.size_bytes ", grant.size_bytes));
  }
  if (!grant.sha256.empty() && !SecureEquals(grant.sha256, reader->sha256())) {
    return absl::FailedPreconditionError(
        absl::StrCat("stored shard has sha256 ", HexEncode(reader->sha256()),
                     ", grant.sha256 asks for ", HexEncode(grant.sha256)));
  }
  if (offset > size) {
    return absl::OutOfRangeError(
        absl::StrCat("offset ", offset, " is past the end of the ", size, "-byte shard"));
  }
  if (length > size - offset) {
    return absl::OutOfRangeError(absl::StrCat("offset ", offset, " + length ", length,
                                              " is past the end of the ", size, "-byte shard"));
  }
  const uint64_t end = length == 0 ? size : offset + length;
  return std::unique_ptr<ShardDownload>(
      new ShardDownload(metrics_, std::move(reader), offset, end));
}

absl::StatusOr<bool> StorageNode::Delete(std::string_view token) {
  FH_ASSIGN_OR_RETURN(Grant grant, grants_.Check(token, GrantOperation::kDelete));
  return store_.Delete(grant.shard_key);
}

absl::StatusOr<AuditResult> StorageNode::Audit(std::string_view token,
                                               std::string_view challenge_key) {
  FH_ASSIGN_OR_RETURN(Grant grant, grants_.Check(token, GrantOperation::kAudit));
  if (challenge_key.size() != crypto_generichash_KEYBYTES) {
    return absl::InvalidArgumentError(absl::StrCat("challenge_key is ", challenge_key.size(),
                                                   " bytes; it must be 32 random bytes"));
  }
  FH_ASSIGN_OR_RETURN(std::unique_ptr<ShardReader> reader, store_.Open(grant.shard_key));
  crypto_generichash_state state;
  crypto_generichash_init(&state, reinterpret_cast<const unsigned char*>(challenge_key.data()),
                          challenge_key.size(), 32);
  std::string chunk;
  for (uint64_t offset = 0; offset < reader->size();) {
    const size_t n =
        static_cast<size_t>(std::min<uint64_t>(kReadChunkBytes, reader->size() - offset));
    FH_RETURN_IF_ERROR(reader->ReadAt(offset, n, &chunk));
    crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(chunk.data()),
                              chunk.size());
    offset += n;
  }
  AuditResult result;
  result.keyed_hash.resize(32);
  crypto_generichash_final(&state, reinterpret_cast<unsigned char*>(result.keyed_hash.data()), 32);
  result.size_bytes = reader->size();
  return result;
}

NodeStatus StorageNode::Status() const {
  NodeStatus status;
  status.node_id = node_id();
  const PublicKey key = receipts_.public_key();
  status.node_public_key.assign(reinterpret_cast<const char*>(key.key.data()), key.key.size());
  status.stats = store_.Stats();
  status.version = std::string(kStoragedVersion);
  return status;
}

absl::StatusOr<ShardPage> StorageNode::List(uint32_t page_size, std::string_view page_token) const {
  if (!page_token.empty()) {
    FH_RETURN_IF_ERROR(ValidateShardKey(page_token, "page.page_token"));
  }
  if (page_size == 0) page_size = kDefaultListPageSize;
  page_size = std::min(page_size, kMaxListPageSize);
  ShardPage page;
  page.keys = store_.ListKeys(page_token, page_size + 1);
  if (page.keys.size() > page_size) {
    page.keys.resize(page_size);
    page.next_page_token = page.keys.back();
  }
  return page;
}

}  // namespace freehold::storaged
