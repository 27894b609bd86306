// A rendered public document (the transparency page, the ledger export) kept in memory
// so that a burst of readers costs one rendering, not one database read each.
//
// Contract:
//   - Get() answers the cached copy while it is fresh: younger than `ttl` and rendered
//     after the last Invalidate(). Otherwise one caller renders (single flight) while
//     the others keep getting the previous copy (stale while revalidating); callers
//     arriving before any copy exists wait for that rendering.
//   - A failed rendering keeps the previous copy, which is answered (stale) until a
//     rendering succeeds; with no copy the error is returned. Every rendering is tried
//     by one caller at a time, so a database outage does not multiply its load.
//   - ttl == 0 turns caching off: every Get() renders.
//   - Invalidate() (a ledger change seen by this replica: a recorded payment, new rates,
//     a campaign) makes the next Get() render; changes made by other replicas show
//     within `ttl`.
// The ETag is a strong validator of the body (BLAKE2b-128 of it, quoted hex).
// Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace freehold::donations {

struct CachedDocument {
  std::string body;
  std::string etag;  // "\"<32 hex>\"", quotes included as sent in the header
  absl::Time rendered_at;
};

class PageCache {
 public:
  using Renderer = std::function<absl::StatusOr<std::string>()>;

  PageCache(Renderer render, absl::Duration ttl, Clock& clock);

  absl::StatusOr<std::shared_ptr<const CachedDocument>> Get();
  void Invalidate() { generation_.fetch_add(1, std::memory_order_release); }

  absl::Duration ttl() const { return ttl_; }
  // Renderings done so far (tests, metrics).
  uint64_t renders() const { return renders_.load(std::memory_order_relaxed); }

 private:
  bool Fresh(absl::Time now, uint64_t generation) const ABSL_SHARED_LOCKS_REQUIRED(mu_);

  const Renderer render_;
  const absl::Duration ttl_;
  Clock& clock_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<uint64_t> renders_{0};
  absl::Mutex mu_;
  std::shared_ptr<const CachedDocument> current_ ABSL_GUARDED_BY(mu_);
  uint64_t current_generation_ ABSL_GUARDED_BY(mu_) = 0;
  bool rendering_ ABSL_GUARDED_BY(mu_) = false;
};

// The strong ETag of `body` (as PageCache computes it).
std::string EtagOf(absl::string_view body);

// True if an If-None-Match header value matches `etag`: "*", or a comma-separated list
// of entity tags one of which equals it (weak "W/" prefixes compared weakly, as
// RFC 9110 13.1.2 asks for If-None-Match).
bool IfNoneMatchMatches(absl::string_view if_none_match, absl::string_view etag);

}  // namespace freehold::donations
