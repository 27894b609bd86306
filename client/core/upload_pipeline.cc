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

namespace freehold::client {
namespace {

constexpr uint64_t P = kStreamChunkBytes;
constexpr uint64_t C = kStreamSealedChunkBytes;
constexpr uint64_t N = kPayloadNonceBytes;

// One segment's work: the STREAM chunks overlapping payload bytes
// [seg_offset, seg_offset + seg_len) and their plaintext.
struct Job {
  uint64_t index = 0;
  uint64_t seg_offset = 0, seg_len = 0;
  uint64_t first_chunk = 0, end_chunk = 0;  // chunks [first, end)
  std::optional<uint64_t> final_chunk;      // set once the plaintext size is known
  uint64_t plaintext_total = 0;             // valid when final_chunk is set
  std::vector<uint8_t> plain;               // plaintext from first_chunk * P
  uint64_t plain_len = 0;                   // bytes of `plain` in use
};

void ChunkRange(uint64_t seg_offset, uint64_t seg_len, uint64_t* first, uint64_t* end) {
  const uint64_t seg_end = seg_offset + seg_len;
  if (seg_end <= N) {
    *first = *end = 0;
    return;
  }
  *first = seg_offset < N ? 0 : (seg_offset - N) / C;
  *end = (seg_end - 1 - N) / C + 1;
}

// Hashes the data shards of a segment as its bytes are written in order,
// while they are still in cache.
class DataShardHasher {
 public:
  DataShardHasher(int k, uint64_t shard_size, bulk::Backend backend) : shard_size_(shard_size) {
    hashers_.reserve(k);
    for (int i = 0; i < k; ++i) hashers_.emplace_back(backend);
  }
  // Bytes [done, upto) of the data area are final: hash them.
  void Feed(const uint8_t* base, uint64_t upto) {
    while (done_ < upto) {
      const uint64_t shard = done_ / shard_size_;
      const uint64_t end = std::min(upto, (shard + 1) * shard_size_);
      hashers_[shard].Update(std::span<const uint8_t>(base + done_, end - done_));
      done_ = end;
    }
  }
  std::vector<bulk::Sha256Hash> Finish() {
    std::vector<bulk::Sha256Hash> out;
    for (bulk::Sha256& h : hashers_) out.push_back(h.Final());
    return out;
  }

 private:
  uint64_t shard_size_;
  uint64_t done_ = 0;
  std::vector<bulk::Sha256> hashers_;
};

// Builds the ciphertext of a segment and erasure codes it. With `source`
// set, each chunk's plaintext is read from it straight to where its
// ciphertext goes and sealed in place (job.plain is unused); otherwise the
// plaintext is job.plain.
absl::StatusOr<EncodedSegment> BuildSegment(const Job& job, StreamCipher& cipher,
                                            const PayloadNonce& nonce, const ReedSolomon& rs,
                                            bulk::Backend backend, PositionalSource* source,
                                            std::vector<uint8_t> storage,
                                            std::vector<uint8_t>& scratch) {
  const uint64_t shard = ReedSolomon::ShardSize(job.seg_len, rs.k());
  const uint64_t total = shard * rs.total();
  if (storage.size() < total) storage.resize(total);
  uint8_t* buf = storage.data();
  const uint64_t seg_start = job.seg_offset, seg_end = job.seg_offset + job.seg_len;
  DataShardHasher hasher(rs.k(), shard, backend);
  if (seg_start < N) {
    const uint64_t n = std::min(N, seg_end) - seg_start;
    std::memcpy(buf, nonce.data() + seg_start, n);
  }
  // scratch: one sealed chunk, then (positional reads) one plaintext chunk.
  scratch.resize(C + P);
  for (uint64_t j = job.first_chunk; j < job.end_chunk; ++j) {
    const bool last = job.final_chunk && j == *job.final_chunk;
    const uint64_t pt_off = (j - job.first_chunk) * P;
    const uint64_t pt_len = last ? job.plaintext_total - j * P : P;
    const uint64_t ct_off = N + j * C, ct_len = pt_len + kStreamTagBytes;
    std::span<const uint8_t> pt;
    if (source == nullptr) pt = std::span<const uint8_t>(job.plain.data() + pt_off, pt_len);
    if (ct_off >= seg_start && ct_off + ct_len <= seg_end) {
      std::span<uint8_t> out(buf + (ct_off - seg_start), ct_len);
      if (source != nullptr) {
        if (absl::Status s = source->ReadAtOffset(j * P, out.first(pt_len)); !s.ok()) return s;
        pt = out.first(pt_len);  // sealed in place
      }
      if (absl::Status s = cipher.SealChunk(j, last, pt, out); !s.ok()) return s;
    } else {
      // A chunk straddling a segment boundary: seal it aside, keep our part.
      if (source != nullptr) {
        std::span<uint8_t> in(scratch.data() + C, pt_len);
        if (absl::Status s = source->ReadAtOffset(j * P, in); !s.ok()) return s;
        pt = in;
      }
      std::span<uint8_t> out(scratch.data(), ct_len);
      if (absl::Status s = cipher.SealChunk(j, last, pt, out); !s.ok()) return s;
      const uint64_t from = std::max(ct_off, seg_start), to = std::min(ct_off + ct_len, seg_end);
      std::memcpy(buf + (from - seg_start), scratch.data() + (from - ct_off), to - from);
    }
    hasher.Feed(buf, std::min(ct_off + ct_len, seg_end) - seg_start);
  }
  // Zero padding of the last data shard, then the remaining data bytes.
  const uint64_t data_end = shard * rs.k();
  std::memset(buf + job.seg_len, 0, data_end - job.seg_len);
  hasher.Feed(buf, data_end);
  return EncodeSegmentWithDataHashes(rs, std::move(storage), job.seg_len, hasher.Finish(), backend);
}

// Reads plaintext and cuts it into segment jobs (the only stateful reader).
class JobReader {
 public:
  // With `positional` set (the same object as `in`), the size is known up
  // front and jobs carry no plaintext: workers read it themselves.
  JobReader(ByteSource& in, uint64_t segment_size, PositionalSource* positional)
      : in_(in), segment_size_(segment_size), positional_(positional) {
    if (positional_ != nullptr) {
      read_total_ = positional_->size();
      eof_ = true;
      payload_total_ = PayloadSizeForPlaintext(read_total_);
    }
  }

  // Fills *job for the next segment; returns false when there is none.
  absl::StatusOr<bool> Next(Job* job) {
    const uint64_t seg_offset = next_index_ * segment_size_;
    if (positional_ != nullptr) {
      if (seg_offset >= payload_total_) return false;
      job->plain_len = 0;
      job->seg_len = std::min(segment_size_, payload_total_ - seg_offset);
      ChunkRange(seg_offset, job->seg_len, &job->first_chunk, &job->end_chunk);
      job->final_chunk = ChunkCount(read_total_) - 1;
      job->plaintext_total = read_total_;
      job->index = next_index_++;
      job->seg_offset = seg_offset;
      return true;
    }
    if (eof_ && seg_offset >= payload_total_) return false;
    uint64_t seg_len = eof_ ? std::min(segment_size_, payload_total_ - seg_offset) : segment_size_;
    uint64_t first, end;
    ChunkRange(seg_offset, seg_len, &first, &end);
    // Gather plaintext [first*P, end*P + 1): one byte of lookahead tells
    // whether the last chunk here is the payload's final chunk.
    const uint64_t want_begin = first * P, want_end = end * P + 1;
    // Buffers only grow (a recycled one is not zero-filled again).
    job->plain_len = want_end - want_begin;
    if (job->plain.size() < job->plain_len) job->plain.resize(job->plain_len);
    if (carry_start_ > want_begin) return absl::InternalError("upload pipeline: reader went back");
    uint64_t have = 0;
    if (carry_start_ + carry_.size() > want_begin) {
      have = std::min<uint64_t>(carry_start_ + carry_.size() - want_begin, job->plain_len);
      std::memcpy(job->plain.data(), carry_.data() + (want_begin - carry_start_), have);
    }
    if (!eof_ && have < job->plain_len) {
      absl::StatusOr<size_t> n =
          ReadFull(in_, std::span<uint8_t>(job->plain.data() + have, job->plain_len - have));
      if (!n.ok()) return n.status();
      read_total_ += *n;
      have += *n;
      if (have < job->plain_len) {
        eof_ = true;
        payload_total_ = PayloadSizeForPlaintext(read_total_);
      }
    }
    if (eof_) {
      if (seg_offset >= payload_total_) return false;
      seg_len = std::min(segment_size_, payload_total_ - seg_offset);
      ChunkRange(seg_offset, seg_len, &first, &end);
      job->final_chunk = ChunkCount(read_total_) - 1;
      job->plaintext_total = read_total_;
    } else {
      job->final_chunk.reset();
    }
    job->index = next_index_++;
    job->seg_offset = seg_offset;
    job->seg_len = seg_len;
    job->first_chunk = first;
    job->end_chunk = end;
    // Keep plaintext from the last chunk on (it may straddle into the next
    // segment) plus the lookahead.
    const uint64_t keep_from = end == 0 ? 0 : (end - 1) * P;
    carry_.assign(
        job->plain.begin() + static_cast<ptrdiff_t>(std::max(keep_from, want_begin) - want_begin),
        job->plain.begin() + static_cast<ptrdiff_t>(have));
    carry_start_ = std::max(keep_from, want_begin);
    return true;
  }

  uint64_t plaintext_bytes() const { return read_total_; }
  uint64_t payload_bytes() const { return payload_total_; }

 private:
  ByteSource& in_;
  uint64_t segment_size_;
  PositionalSource* positional_;
  uint64_t next_index_ = 0;
  std::vector<uint8_t> carry_;
  uint64_t carry_start_ = 0;
  uint64_t read_total_ = 0;
  bool eof_ = false;
  uint64_t payload_total_ = 0;
};

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
  absl::StatusOr<EncodedSegment> encoded;
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

UploadPipeline::UploadPipeline(const UploadOptions& options, ReedSolomon rs)
    : options_(options), rs_(std::move(rs)), buffers_(std::make_unique<Buffers>()) {}
UploadPipeline::~UploadPipeline() = default;

absl::StatusOr<std::unique_ptr<UploadPipeline>> UploadPipeline::Create(
    const UploadOptions& options) {
  if (absl::Status s = ValidateOptions(options); !s.ok()) return s;
  absl::StatusOr<ReedSolomon> rs = ReedSolomon::Create(options.k, options.m);
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
  const ReedSolomon* rs = &rs_;
  Buffers& pool = *buffers_;
  PayloadNonce nonce;
  if (options.nonce) {
    nonce = *options.nonce;
  } else {
    if (sodium_init() < 0) return absl::InternalError("libsodium initialisation failed");
    randombytes_buf(nonce.data(), nonce.size());
  }
  PositionalSource* positional = dynamic_cast<PositionalSource*>(&plaintext);
  JobReader reader(plaintext, options.segment_size, positional);
  UploadSummary summary;

  if (options.threads == 0) {
    absl::StatusOr<StreamCipher> cipher = StreamCipher::Create(file_key, nonce, options.backend);
    if (!cipher.ok()) return cipher.status();
    Job job;
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
      absl::StatusOr<EncodedSegment> enc = BuildSegment(job, *cipher, nonce, *rs, options.backend,
                                                        positional, std::move(storage), scratch);
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
  std::deque<Job> queue;
  std::map<uint64_t, WorkerResult> done;
  bool stop = false;

  auto worker = [&]() {
    absl::StatusOr<StreamCipher> cipher = StreamCipher::Create(file_key, nonce, options.backend);
    std::vector<uint8_t> scratch;
    while (true) {
      Job job;
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
                                 : absl::StatusOr<EncodedSegment>(cipher.status()),
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
    Job job;
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
