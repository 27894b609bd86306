#include "client/cli/downloader.h"

#include <cstring>
#include <deque>
#include <future>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/cli/exit_codes.h"
#include "client/core/age_stream.h"

namespace freehold::cli {
namespace {

absl::Time FromProto(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

}  // namespace

absl::Status ValidateManifest(const v1::GetObjectResponse& m) {
  const int k = static_cast<int>(m.data_shards()), p = static_cast<int>(m.parity_shards());
  if (k < 1 || k > erasure::kMaxDataShards || p < 0 || p > erasure::kMaxParityShards) {
    return absl::InvalidArgumentError(
        absl::StrCat("manifest: unsupported coding ", k, "+", p, " (upgrade freehold?)"));
  }
  uint64_t total = 0;
  for (int i = 0; i < m.segments_size(); ++i) {
    const v1::SegmentManifest& s = m.segments(i);
    if (s.segment() != static_cast<uint32_t>(i)) {
      return absl::InvalidArgumentError(
          absl::StrCat("manifest: segment ", i, " is missing or out of order"));
    }
    if (s.segment_size_bytes() == 0 ||
        s.shard_size_bytes() != erasure::ReedSolomon::ShardSize(s.segment_size_bytes(), k)) {
      return absl::InvalidArgumentError(absl::StrCat("manifest: segment ", i, " has bad sizes"));
    }
    total += s.segment_size_bytes();
  }
  if (total != m.object().size_bytes()) {
    return absl::InvalidArgumentError(absl::StrCat("manifest: segments hold ", total,
                                                   " bytes, the object ", m.object().size_bytes()));
  }
  return absl::OkStatus();
}

std::vector<uint8_t> Downloader::TakeBuffer(size_t size) {
  std::vector<uint8_t> buf;
  {
    absl::MutexLock lock(&pool_mu_);
    if (!pool_.empty()) {
      buf = std::move(pool_.back());
      pool_.pop_back();
    }
  }
  if (buf.size() < size) buf.resize(size);
  return buf;
}

std::vector<Downloader::CorruptShard> Downloader::TakeCorruptShards() {
  absl::MutexLock lock(&corrupt_mu_);
  std::vector<CorruptShard> out;
  out.swap(corrupt_);
  return out;
}

void Downloader::GiveBuffer(std::vector<uint8_t> buf) {
  if (buf.capacity() == 0) return;
  absl::MutexLock lock(&pool_mu_);
  if (pool_.size() < 8) pool_.push_back(std::move(buf));
}

absl::StatusOr<Downloader::Fetched> Downloader::FetchSegment(const v1::SegmentManifest& seg,
                                                             const erasure::ReedSolomon& rs) {
  const int k = rs.k(), n = rs.total();
  const size_t shard_size = seg.shard_size_bytes();
  const uint64_t seg_len = seg.segment_size_bytes();
  // Data shards land directly in the segment buffer; parity in `parity`.
  std::vector<uint8_t> data = TakeBuffer(shard_size * static_cast<size_t>(k));
  std::vector<std::vector<uint8_t>> parity(static_cast<size_t>(n - k));
  std::vector<const v1::ShardLocation*> candidates;
  for (const v1::ShardLocation& loc : seg.shards()) {
    if (loc.index() < static_cast<uint32_t>(n) && loc.state() == v1::SHARD_STATE_HEALTHY &&
        !loc.grant().token().empty() && loc.sha256().size() == bulk::kSha256Bytes) {
      candidates.push_back(&loc);
    }
  }
  std::sort(candidates.begin(), candidates.end(),
            [](const v1::ShardLocation* a, const v1::ShardLocation* b) {
              return a->index() < b->index();
            });
  std::vector<bool> present(static_cast<size_t>(n), false);
  std::vector<std::string> problems;
  bool unreachable = false;
  int good = 0;
  size_t next = 0;
  while (good < k && next < candidates.size()) {
    std::vector<const v1::ShardLocation*> round;
    while (static_cast<int>(round.size()) < k - good && next < candidates.size()) {
      const v1::ShardLocation* c = candidates[next++];
      if (present[c->index()]) continue;  // a duplicate entry
      round.push_back(c);
    }
    std::vector<absl::Status> results(round.size());
    std::vector<std::thread> threads;
    for (size_t r = 0; r < round.size(); ++r) {
      const v1::ShardLocation* loc = round[r];
      const int idx = static_cast<int>(loc->index());
      std::span<uint8_t> dest;
      if (idx < k) {
        dest = std::span<uint8_t>(data.data() + static_cast<size_t>(idx) * shard_size, shard_size);
      } else {
        if (parity[idx - k].empty()) parity[idx - k] = TakeBuffer(shard_size);
        dest = std::span<uint8_t>(parity[idx - k].data(), shard_size);
      }
      threads.emplace_back([&, r, loc, dest] {
        int64_t got = 0;
        absl::StatusOr<bulk::Sha256Hash> hash =
            nodes_.Get(loc->node_address(), loc->grant().token(), dest, [&](uint64_t b) {
              got += static_cast<int64_t>(b);
              observer_->Moved(static_cast<int64_t>(b));
            });
        if (!hash.ok()) {
          observer_->Moved(-got);
          results[r] = hash.status();
        } else if (std::memcmp(hash->data(), loc->sha256().data(), hash->size()) != 0) {
          observer_->Moved(-got);
          {
            absl::MutexLock lock(&corrupt_mu_);
            corrupt_.push_back(CorruptShard{seg.segment(), loc->index(), loc->node_id()});
          }
          results[r] =
              absl::DataLossError(absl::StrCat("storage node ", loc->node_address(), ": shard ",
                                               loc->index(), " does not match its hash"));
        }
      });
    }
    for (std::thread& t : threads) t.join();
    for (size_t r = 0; r < round.size(); ++r) {
      if (results[r].ok()) {
        present[round[r]->index()] = true;
        ++good;
      } else {
        const absl::StatusCode c = results[r].code();
        unreachable |=
            c == absl::StatusCode::kUnavailable || c == absl::StatusCode::kDeadlineExceeded;
        problems.push_back(std::string(results[r].message()));
        observer_->Notice(absl::StrCat("segment ", seg.segment(), ": ", results[r].message(),
                                       " -- using another shard"));
      }
    }
  }
  auto recycle_parity = [&] {
    for (std::vector<uint8_t>& p : parity) GiveBuffer(std::move(p));
  };
  if (good < k) {
    recycle_parity();
    GiveBuffer(std::move(data));
    std::string msg = absl::StrCat("segment ", seg.segment(), ": only ", good, " of the ", k,
                                   " shards needed could be read (", candidates.size(), " of ", n,
                                   " listed as healthy)", problems.empty() ? "" : ": ",
                                   absl::StrJoin(problems, "; "));
    // Shards the coordinator lists as on nodes that are down now (not removed) still
    // exist: with them the segment is only unavailable, not lost.
    std::vector<bool> exists = present;
    int down_listed = 0;
    for (const v1::ShardLocation& loc : seg.shards()) {
      if (loc.index() >= static_cast<uint32_t>(n)) continue;
      if (loc.state() == v1::SHARD_STATE_UNAVAILABLE && !exists[loc.index()]) {
        exists[loc.index()] = true;
        ++down_listed;
      }
    }
    if (unreachable || good + down_listed >= k) {
      return absl::UnavailableError(absl::StrCat(
          msg, ". The data is not lost: ",
          down_listed > 0
              ? absl::StrCat(down_listed, " shards are on storage nodes that are down now; ")
              : "",
          "too many storage nodes are unreachable; try again later"));
    }
    return DataLostError(absl::StrCat(msg, ". The data of this object is lost: fewer than ", k,
                                      " of its shards exist on any storage node"));
  }
  bool data_complete = true;
  for (int i = 0; i < k; ++i) data_complete = data_complete && present[i];
  if (data_complete) {
    recycle_parity();
    return Fetched{std::move(data), seg_len};
  }
  std::vector<std::span<const uint8_t>> shards(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    if (!present[i]) continue;
    shards[i] = i < k ? std::span<const uint8_t>(data.data() + static_cast<size_t>(i) * shard_size,
                                                 shard_size)
                      : std::span<const uint8_t>(parity[i - k].data(), shard_size);
  }
  // Hashes were verified as the shards arrived.
  absl::StatusOr<std::vector<uint8_t>> decoded = erasure::DecodeSegment(rs, seg_len, shards, {});
  recycle_parity();
  GiveBuffer(std::move(data));
  if (!decoded.ok()) return decoded.status();
  const size_t len = decoded->size();
  return Fetched{*std::move(decoded), len};
}

absl::Status Downloader::Fetch(v1::GetObjectResponse manifest, const ManifestSource& renew,
                               client::ByteSink& payload) {
  if (absl::Status s = ValidateManifest(manifest); !s.ok()) return s;
  absl::StatusOr<erasure::ReedSolomon> rs = erasure::ReedSolomon::Create(
      static_cast<int>(manifest.data_shards()), static_cast<int>(manifest.parity_shards()));
  if (!rs.ok()) return rs.status();
  uint64_t total_units = 0;
  for (const v1::SegmentManifest& s : manifest.segments()) {
    total_units += s.shard_size_bytes() * manifest.data_shards();
  }
  absl::StatusOr<uint64_t> plain = client::PlaintextSizeForPayload(manifest.object().size_bytes());
  observer_->Started(total_units, plain.ok() ? *plain : manifest.object().size_bytes());

  const int segments = manifest.segments_size();
  std::deque<std::future<absl::StatusOr<Fetched>>> pending;
  int launched = 0;
  absl::Status status;
  for (int consumed = 0; consumed < segments && status.ok(); ++consumed) {
    while (launched < segments && launched - consumed < std::max(1, config_.segments_ahead)) {
      if (renew && absl::Now() + config_.grant_margin >= FromProto(manifest.grants_expire_at())) {
        absl::StatusOr<v1::GetObjectResponse> fresh = renew();
        if (!fresh.ok()) {
          status = fresh.status();
          break;
        }
        if (fresh->segments_size() != segments ||
            fresh->object().size_bytes() != manifest.object().size_bytes()) {
          status = absl::FailedPreconditionError("the object changed during the download");
          break;
        }
        manifest = *std::move(fresh);
      }
      const v1::SegmentManifest seg = manifest.segments(launched++);
      pending.push_back(
          std::async(std::launch::async, [this, seg, &rs] { return FetchSegment(seg, *rs); }));
    }
    if (!status.ok() || pending.empty()) break;
    absl::StatusOr<Fetched> fetched = pending.front().get();
    pending.pop_front();
    if (!fetched.ok()) {
      status = fetched.status();
      break;
    }
    status = payload.Write(std::span<const uint8_t>(fetched->buf.data(), fetched->len));
    GiveBuffer(std::move(fetched->buf));
  }
  for (auto& f : pending) f.wait();
  observer_->Finished(status.ok());
  return status;
}

}  // namespace freehold::cli
