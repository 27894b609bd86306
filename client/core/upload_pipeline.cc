#include "client/core/upload_pipeline.h"

#include <sodium.h>

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "client/core/internal/segment_builder.h"
#include "client/core/internal/segment_job.h"

namespace freehold::client {
namespace {

using internal::BuildSegment;
using internal::SegmentJob;
using internal::SegmentJobReader;

absl::Status ValidateOptions(const UploadOptions& o) {
  if (o.segment_size == 0) return absl::InvalidArgumentError("segment_size: must be positive");
  if (o.segment_size > (uint64_t{1} << 32)) {
    return absl::InvalidArgumentError("segment_size: at most 4 GiB");
  }
  if (o.threads < 0 || o.threads > 64) {
    return absl::InvalidArgumentError("threads: must be in [0, 64]");
  }
  return absl::OkStatus();
}

struct WorkerResult {
  absl::StatusOr<erasure::EncodedSegment> encoded;
  uint64_t seg_offset;
};

}  // namespace

struct UploadPipeline::Buffers {
  std::mutex mu;
  std::vector<std::vector<uint8_t>> plain;    // Job::plain buffers
  std::vector<std::vector<uint8_t>> storage;  // shard buffers

  std::vector<uint8_t> Take(std::vector<std::vector<uint8_t>>& pool) {
    std::lock_guard<std::mutex> lock(mu);
    if (pool.empty()) return {};
    std::vector<uint8_t> v = std::move(pool.back());
    pool.pop_back();
    return v;
  }
  void Give(std::vector<std::vector<uint8_t>>& pool, std::vector<uint8_t> v) {
    if (v.capacity() == 0) return;
    std::lock_guard<std::mutex> lock(mu);
    pool.push_back(std::move(v));
  }
};

UploadPipeline::UploadPipeline(const UploadOptions& options, erasure::ReedSolomon rs)
    : options_(options), rs_(std::move(rs)), buffers_(std::make_unique<Buffers>()) {}
UploadPipeline::~UploadPipeline() = default;

absl::StatusOr<std::unique_ptr<UploadPipeline>> UploadPipeline::Create(
    const UploadOptions& options) {
  if (absl::Status s = ValidateOptions(options); !s.ok()) return s;
  absl::StatusOr<erasure::ReedSolomon> rs = erasure::ReedSolomon::Create(options.k, options.m);
  if (!rs.ok()) return rs.status();
  return std::unique_ptr<UploadPipeline>(new UploadPipeline(options, std::move(*rs)));
}

absl::StatusOr<UploadSummary> EncodeUpload(const SecretBytes& file_key, ByteSource& plaintext,
                                           const UploadOptions& options,
                                           const UploadSegmentHandler& handler) {
  absl::StatusOr<std::unique_ptr<UploadPipeline>> p = UploadPipeline::Create(options);
  if (!p.ok()) return p.status();
  return (*p)->Run(file_key, plaintext, handler);
}

absl::StatusOr<UploadSummary> UploadPipeline::Run(const SecretBytes& file_key,
                                                  ByteSource& plaintext,
                                                  const UploadSegmentHandler& handler) {
  if (file_key.size() != 16) return absl::InvalidArgumentError("file_key: must be 16 bytes");
  const UploadOptions& options = options_;
  const erasure::ReedSolomon* rs = &rs_;
  Buffers& pool = *buffers_;
  PayloadNonce nonce;
  if (options.nonce) {
    nonce = *options.nonce;
  } else {
    if (sodium_init() < 0) return absl::InternalError("libsodium initialisation failed");
    randombytes_buf(nonce.data(), nonce.size());
  }
  PositionalSource* positional = dynamic_cast<PositionalSource*>(&plaintext);
  SegmentJobReader reader(plaintext, options.segment_size, positional);
  UploadSummary summary;

  if (options.threads == 0) {
    absl::StatusOr<StreamCipher> cipher = StreamCipher::Create(file_key, nonce, options.backend);
    if (!cipher.ok()) return cipher.status();
    SegmentJob job;
    job.plain = pool.Take(pool.plain);
    std::vector<uint8_t> scratch, storage = pool.Take(pool.storage);
    absl::Status status;
    while (status.ok()) {
      absl::StatusOr<bool> more = reader.Next(&job);
      if (!more.ok()) {
        status = more.status();
        break;
      }
      if (!*more) break;
      absl::StatusOr<erasure::EncodedSegment> enc = BuildSegment(
          job, *cipher, nonce, *rs, options.backend, positional, std::move(storage), scratch);
      if (!enc.ok()) {
        status = enc.status();
        break;
      }
      UploadSegment seg{job.index, job.seg_offset, std::move(*enc)};
      status = handler(seg);
      ++summary.segments;
      storage = std::move(seg.encoded.storage);  // recycle (empty if the handler kept it)
    }
    pool.Give(pool.plain, std::move(job.plain));
    pool.Give(pool.storage, std::move(storage));
    if (status.ok() && positional != nullptr) status = positional->CheckUnchanged();
    if (!status.ok()) return status;
    summary.plaintext_bytes = reader.plaintext_bytes();
    summary.payload_bytes = reader.payload_bytes();
    return summary;
  }

  std::mutex mu;
  std::condition_variable cv_work, cv_done;
  std::deque<SegmentJob> queue;
  std::map<uint64_t, WorkerResult> done;
  bool stop = false;

  auto worker = [&]() {
    absl::StatusOr<StreamCipher> cipher = StreamCipher::Create(file_key, nonce, options.backend);
    std::vector<uint8_t> scratch;
    while (true) {
      SegmentJob job;
      {
        std::unique_lock<std::mutex> lock(mu);
        cv_work.wait(lock, [&] { return stop || !queue.empty(); });
        if (stop && queue.empty()) return;
        job = std::move(queue.front());
        queue.pop_front();
      }
      std::vector<uint8_t> storage = pool.Take(pool.storage);
      WorkerResult r{cipher.ok() ? BuildSegment(job, *cipher, nonce, *rs, options.backend,
                                                positional, std::move(storage), scratch)
                                 : absl::StatusOr<erasure::EncodedSegment>(cipher.status()),
                     job.seg_offset};
      pool.Give(pool.plain, std::move(job.plain));
      std::lock_guard<std::mutex> lock(mu);
      done.emplace(job.index, std::move(r));
      cv_done.notify_all();
    }
  };

  std::vector<std::thread> threads;
  for (int i = 0; i < options.threads; ++i) threads.emplace_back(worker);
  // Reading ahead needs one segment more than there are workers; positional
  // sources are read by the workers, so one shard buffer per worker suffices.
  const uint64_t max_inflight =
      static_cast<uint64_t>(options.threads) + (positional != nullptr ? 0 : 1);
  uint64_t dispatched = 0, delivered = 0;
  absl::Status status;

  // Hands finished segments to the handler in order; blocks until at least
  // `wait_for` segments have been delivered.
  auto drain = [&](uint64_t wait_for) {
    while (status.ok() && delivered < dispatched) {
      std::unique_lock<std::mutex> lock(mu);
      if (delivered >= wait_for && done.find(delivered) == done.end()) return;
      cv_done.wait(lock, [&] { return done.find(delivered) != done.end(); });
      WorkerResult r = std::move(done.at(delivered));
      done.erase(delivered);
      lock.unlock();
      if (!r.encoded.ok()) {
        status = r.encoded.status();
        return;
      }
      UploadSegment seg{delivered, r.seg_offset, std::move(*r.encoded)};
      status = handler(seg);
      ++summary.segments;
      ++delivered;
      pool.Give(pool.storage, std::move(seg.encoded.storage));
    }
  };

  while (status.ok()) {
    if (dispatched - delivered >= max_inflight) drain(dispatched - max_inflight + 1);
    if (!status.ok()) break;
    SegmentJob job;
    if (positional == nullptr) job.plain = pool.Take(pool.plain);
    absl::StatusOr<bool> more = reader.Next(&job);
    if (!more.ok()) {
      status = more.status();
      break;
    }
    if (!*more) {
      pool.Give(pool.plain, std::move(job.plain));  // keep it for the next Run
      break;
    }
    {
      std::lock_guard<std::mutex> lock(mu);
      queue.push_back(std::move(job));
      ++dispatched;
    }
    cv_work.notify_one();
    drain(0);  // deliver whatever is ready without blocking
  }
  if (status.ok()) drain(dispatched);
  {
    std::lock_guard<std::mutex> lock(mu);
    stop = true;
    if (!status.ok()) queue.clear();
  }
  cv_work.notify_all();
  for (std::thread& t : threads) t.join();
  if (status.ok() && positional != nullptr) status = positional->CheckUnchanged();
  if (!status.ok()) return status;
  summary.plaintext_bytes = reader.plaintext_bytes();
  summary.payload_bytes = reader.payload_bytes();
  return summary;
}

}  // namespace freehold::client
