#include "client/cli/uploader.h"

#include <atomic>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "client/cli/rpc.h"
#include "client/core/age_stream.h"
#include "client/core/upload_pipeline.h"

namespace freehold::cli {
namespace {

std::string Bytes(std::span<const uint8_t> b) {
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

std::string FormatWait(absl::Duration d) {
  return absl::StrCat(absl::ToInt64Seconds(d + absl::Milliseconds(999)), " s");
}

// Total shard bytes of an upload, for progress.
uint64_t TotalShardBytes(uint64_t payload, uint64_t segment_size, int k, int m) {
  uint64_t total = 0;
  for (uint64_t off = 0; off < payload; off += segment_size) {
    const uint64_t len = std::min(segment_size, payload - off);
    total += erasure::ReedSolomon::ShardSize(len, k) * static_cast<uint64_t>(k + m);
  }
  return total;
}

}  // namespace

bool SuggestsRetry(absl::string_view message) {
  const std::string m = absl::AsciiStrToLower(message);
  return absl::StrContains(m, "retry") || absl::StrContains(m, "try again") ||
         absl::StrContains(m, "later") || absl::StrContains(m, "throttl");
}

Uploader::Uploader(CoordinatorApi& coordinator, StorageNodes& nodes, UploadConfig config,
                   TransferObserver* observer)
    : coordinator_(coordinator),
      nodes_(nodes),
      config_(std::move(config)),
      observer_(observer != nullptr ? observer : &null_observer_) {
  if (!config_.sleep) {
    config_.sleep = [](absl::Duration d) { absl::SleepFor(d); };
  }
}

absl::StatusOr<v1::BeginSegmentResponse> Uploader::BeginWithAdmission(
    const v1::BeginSegmentRequest& req) {
  for (int attempt = 0;; ++attempt) {
    absl::StatusOr<v1::BeginSegmentResponse> resp = coordinator_.BeginSegment(req);
    if (resp.ok()) return resp;
    const absl::Status& s = resp.status();
    if (s.code() == absl::StatusCode::kFailedPrecondition) {
      return absl::UnavailableError(
          absl::StrCat(s.message(),
                       ". The cluster cannot place data now (too few storage nodes are up); "
                       "try again later"));
    }
    if (s.code() != absl::StatusCode::kResourceExhausted) return s;
    std::optional<absl::Duration> wait = RetryAfterOf(s);
    if (!wait.has_value() && SuggestsRetry(s.message())) {
      wait = absl::Seconds(2) * (int64_t{1} << std::min(attempt, 6));
    }
    if (!wait.has_value()) {
      return absl::ResourceExhaustedError(
          absl::StrCat("the cluster is not accepting new files right now: ", s.message()));
    }
    if (RetryAfterOf(s).has_value() && *wait > config_.max_admission_wait) {
      return absl::ResourceExhaustedError(
          absl::StrCat(s.message(), " (the cluster asks to wait ", FormatWait(*wait),
                       ", longer than --max-throttle-wait ", FormatWait(config_.max_admission_wait),
                       "; try again later)"));
    }
    if (attempt >= config_.admission_retries) {
      return absl::ResourceExhaustedError(
          absl::StrCat("the cluster is still throttling new writes after ", attempt + 1,
                       " attempts; try again later: ", s.message()));
    }
    wait = std::min(*wait, config_.max_admission_wait);
    observer_->Notice(absl::StrCat(s.message(), " -- waiting ", FormatWait(*wait),
                                   " before retrying (attempt ", attempt + 2, " of ",
                                   config_.admission_retries + 1, ")"));
    config_.sleep(*wait);
  }
}

absl::StatusOr<v1::ShardReceipt> Uploader::StoreShard(const std::string& object_id,
                                                      uint64_t segment, int index,
                                                      v1::ShardPlan plan,
                                                      std::span<const uint8_t> data,
                                                      int* replaced) {
  std::string failures;
  for (int attempt = 0; attempt < config_.attempts_per_shard; ++attempt) {
    absl::StatusOr<v1::ShardReceipt> receipt;
    for (size_t retry = 0;; ++retry) {
      int64_t sent = 0;
      receipt = nodes_.Put(plan.node_address(), plan.grant().token(), data, [&](uint64_t n) {
        sent += static_cast<int64_t>(n);
        observer_->Moved(static_cast<int64_t>(n));
      });
      if (receipt.ok()) return receipt;
      observer_->Moved(-sent);
      // Only UNAVAILABLE is transient (connect failed, connection reset); a refusal
      // (bad grant, full disk, ...) goes straight to a replacement.
      if (receipt.status().code() != absl::StatusCode::kUnavailable ||
          retry >= config_.same_node_backoff.size()) {
        break;
      }
      config_.sleep(config_.same_node_backoff[retry]);
    }
    absl::StrAppend(&failures, failures.empty() ? "" : "; ", receipt.status().message());
    if (attempt + 1 == config_.attempts_per_shard) break;
    observer_->Notice(absl::StrCat("segment ", segment, " shard ", index, ": ",
                                   receipt.status().message(), " -- moving it to another node"));
    v1::ReplaceShardTargetRequest req;
    req.set_object_id(object_id);
    req.set_segment(static_cast<uint32_t>(segment));
    req.set_index(static_cast<uint32_t>(index));
    req.set_failed_node_id(plan.node_id());
    absl::StatusOr<v1::ReplaceShardTargetResponse> repl = coordinator_.ReplaceShardTarget(req);
    if (!repl.ok()) {
      return absl::UnavailableError(
          absl::StrCat("segment ", segment, " shard ", index, " could not be stored (", failures,
                       ") and no other storage node can take it (", repl.status().message(),
                       "); try again when more nodes are up"));
    }
    plan = repl->shard();
    ++*replaced;
  }
  return absl::UnavailableError(absl::StrCat("segment ", segment, " shard ", index,
                                             " could not be stored after ",
                                             config_.attempts_per_shard, " tries: ", failures));
}

absl::Status Uploader::StoreSegment(const std::string& object_id, uint64_t index,
                                    const erasure::EncodedSegment& seg, int* replaced,
                                    int* degraded) {
  v1::BeginSegmentRequest begin;
  begin.set_object_id(object_id);
  begin.set_segment(static_cast<uint32_t>(index));
  begin.set_segment_size_bytes(seg.segment_len);
  begin.set_shard_size_bytes(seg.shard_size);
  for (const bulk::Sha256Hash& h : seg.hashes) begin.add_shard_sha256(Bytes(h));
  absl::StatusOr<v1::BeginSegmentResponse> plans = BeginWithAdmission(begin);
  if (!plans.ok()) return plans.status();
  const int n = seg.k + seg.m;
  std::vector<const v1::ShardPlan*> by_index(n, nullptr);
  for (const v1::ShardPlan& p : plans->shards()) {
    if (p.index() < static_cast<uint32_t>(n)) by_index[p.index()] = &p;
  }
  for (int i = 0; i < n; ++i) {
    if (by_index[i] == nullptr) {
      return absl::InternalError(
          absl::StrCat("the coordinator gave no node for segment ", index, " shard ", i));
    }
  }
  // Receipts the coordinator needs at least (0 = an older coordinator: all of them).
  int min_stored = static_cast<int>(plans->min_shards_to_commit());
  if (min_stored <= 0 || min_stored > n) min_stored = n;
  std::vector<absl::StatusOr<v1::ShardReceipt>> receipts(n, absl::UnknownError("not run"));
  std::vector<int> replaced_per_shard(n, 0);
  std::vector<std::thread> threads;
  threads.reserve(n);
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      receipts[i] =
          StoreShard(object_id, index, i, *by_index[i], seg.shard(i), &replaced_per_shard[i]);
    });
  }
  for (std::thread& t : threads) t.join();
  v1::CommitSegmentRequest commit;
  commit.set_object_id(object_id);
  commit.set_segment(static_cast<uint32_t>(index));
  int stored = 0;
  std::string failed;  // "shard i: why; ..."
  const absl::Status* first_failure = nullptr;
  for (int i = 0; i < n; ++i) {
    *replaced += replaced_per_shard[i];
    if (!receipts[i].ok()) {
      if (first_failure == nullptr) first_failure = &receipts[i].status();
      absl::StrAppend(&failed, failed.empty() ? "" : "; ", receipts[i].status().message());
      continue;
    }
    ++stored;
    *commit.add_receipts() = *receipts[i];
  }
  if (stored < min_stored) return *first_failure;
  if (stored < n) {
    // Degraded commit: enough shards for the cluster's minimum; it rebuilds the rest.
    observer_->Notice(absl::StrCat("segment ", index, ": stored ", stored, " of ", n,
                                   " shards (", failed, "); committing it with ", stored,
                                   " (at least ", min_stored,
                                   " are needed): the cluster rebuilds the missing ", n - stored,
                                   " shortly"));
    ++*degraded;
  }
  return coordinator_.CommitSegment(commit);
}

absl::StatusOr<UploadResult> Uploader::Upload(const UploadInput& in) {
  const uint64_t payload_size = client::PayloadSizeForPlaintext(in.plaintext_size);
  v1::CreateObjectRequest create;
  create.set_encrypted_metadata(in.encrypted_metadata);
  create.set_age_header(in.age_header);
  create.set_size_bytes(payload_size);
  create.set_name_hash(in.name_hash);
  create.set_object_id(in.object_id);
  create.set_parent_id(in.parent_id);
  absl::StatusOr<v1::CreateObjectResponse> created = coordinator_.CreateObject(create);
  if (!created.ok()) return created.status();
  if (!in.object_id.empty() && created->object_id() != in.object_id) {
    return absl::FailedPreconditionError(
        "the coordinator ignored the object id this client chose (too old a coordinator?): "
        "the file's metadata would not match its object");
  }
  UploadResult result;
  result.object_id = created->object_id();
  result.data_shards = static_cast<int>(created->data_shards());
  result.parity_shards = static_cast<int>(created->parity_shards());

  client::UploadOptions options;
  options.k = result.data_shards;
  options.m = result.parity_shards;
  if (created->segment_size_bytes() > 0) options.segment_size = created->segment_size_bytes();
  options.threads = config_.encode_threads;
  observer_->Started(TotalShardBytes(payload_size, options.segment_size, options.k, options.m),
                     in.plaintext_size);

  // Segments being sent, oldest first. Each task owns its encoded segment.
  struct Task {
    std::thread thread;
    std::shared_ptr<erasure::EncodedSegment> encoded;
    std::shared_ptr<absl::Status> status;
    std::shared_ptr<int> replaced;
    std::shared_ptr<int> degraded;
  };
  std::deque<Task> tasks;
  // Shard buffers of finished segments, handed back to the pipeline so that
  // it reuses them instead of allocating (and zeroing) new ones.
  std::vector<std::vector<uint8_t>> spare;
  auto finish_oldest = [&]() -> absl::Status {
    Task t = std::move(tasks.front());
    tasks.pop_front();
    t.thread.join();
    result.replaced_shards += *t.replaced;
    result.degraded_segments += *t.degraded;
    spare.push_back(std::move(t.encoded->storage));
    return *t.status;
  };
  auto abandon = [&](absl::Status s) -> absl::Status {
    while (!tasks.empty()) (void)finish_oldest();
    // Never visible (not committed); delete its shards now rather than at GC.
    (void)coordinator_.DeleteObject(result.object_id);
    observer_->Finished(false);
    return s;
  };

  absl::StatusOr<client::UploadSummary> summary = client::EncodeUpload(
      *in.file_key, *in.plaintext, options, [&](client::UploadSegment& seg) -> absl::Status {
        while (static_cast<int>(tasks.size()) >= std::max(1, config_.segments_in_flight)) {
          if (absl::Status s = finish_oldest(); !s.ok()) return s;
        }
        auto encoded = std::make_shared<erasure::EncodedSegment>(std::move(seg.encoded));
        seg.encoded.storage.clear();
        if (!spare.empty()) {
          seg.encoded.storage = std::move(spare.back());  // recycled by the pipeline
          spare.pop_back();
        }
        Task t{std::thread(), encoded, std::make_shared<absl::Status>(), std::make_shared<int>(0),
               std::make_shared<int>(0)};
        t.thread = std::thread([this, encoded, status = t.status, replaced = t.replaced,
                                degraded = t.degraded, id = result.object_id, index = seg.index] {
          *status = StoreSegment(id, index, *encoded, replaced.get(), degraded.get());
        });
        tasks.push_back(std::move(t));
        return absl::OkStatus();
      });
  if (!summary.ok()) return abandon(summary.status());
  while (!tasks.empty()) {
    if (absl::Status s = finish_oldest(); !s.ok()) return abandon(s);
  }
  if (summary->payload_bytes != payload_size) {
    return abandon(absl::InternalError("the payload size differs from the one announced"));
  }
  v1::CommitObjectRequest commit;
  commit.set_object_id(result.object_id);
  commit.set_segment_count(static_cast<uint32_t>(summary->segments));
  absl::StatusOr<v1::CommitObjectResponse> committed = coordinator_.CommitObject(commit);
  if (!committed.ok()) return abandon(committed.status());
  result.payload_bytes = summary->payload_bytes;
  result.segments = summary->segments;
  observer_->Finished(true);
  return result;
}

}  // namespace freehold::cli
