// Cache of rendered public documents (see page_cache.h).
#include "services/donations/core/page_cache.h"

#include <sodium.h>

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace freehold::donations {

std::string EtagOf(absl::string_view body) {
  unsigned char hash[16];
  crypto_generichash(hash, sizeof(hash), reinterpret_cast<const unsigned char*>(body.data()),
                     body.size(), nullptr, 0);
  return absl::StrCat(
      "\"", absl::BytesToHexString(absl::string_view(reinterpret_cast<char*>(hash), sizeof(hash))),
      "\"");
}

bool IfNoneMatchMatches(absl::string_view if_none_match, absl::string_view etag) {
  absl::string_view want = absl::StripPrefix(etag, "W/");
  for (absl::string_view tag : absl::StrSplit(if_none_match, ',')) {
    tag = absl::StripAsciiWhitespace(tag);
    if (tag == "*") return true;
    if (absl::StripPrefix(tag, "W/") == want && !want.empty()) return true;
  }
  return false;
}

PageCache::PageCache(Renderer render, absl::Duration ttl, Clock& clock)
    : render_(std::move(render)), ttl_(ttl), clock_(clock) {}

bool PageCache::Fresh(absl::Time now, uint64_t generation) const {
  return current_ != nullptr && current_generation_ == generation &&
         now - current_->rendered_at < ttl_ && now >= current_->rendered_at;
}

absl::StatusOr<std::shared_ptr<const CachedDocument>> PageCache::Get() {
  if (ttl_ <= absl::ZeroDuration()) {
    renders_.fetch_add(1, std::memory_order_relaxed);
    absl::StatusOr<std::string> body = render_();
    if (!body.ok()) return body.status();
    auto doc = std::make_shared<CachedDocument>();
    doc->etag = EtagOf(*body);
    doc->body = *std::move(body);
    doc->rendered_at = clock_.Now();
    return std::shared_ptr<const CachedDocument>(std::move(doc));
  }
  const uint64_t generation = generation_.load(std::memory_order_acquire);
  const absl::Time now = clock_.Now();
  {
    absl::ReaderMutexLock lock(&mu_);
    if (Fresh(now, generation)) return current_;
  }
  {
    absl::MutexLock lock(&mu_);
    if (Fresh(now, generation)) return current_;
    if (rendering_) {
      // Someone renders: answer the previous copy, or wait for the first one.
      if (current_ != nullptr) return current_;
      auto done = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return !rendering_; };
      mu_.Await(absl::Condition(&done));
      if (current_ != nullptr) return current_;
      // The first rendering failed: this caller tries itself.
    }
    rendering_ = true;
  }
  renders_.fetch_add(1, std::memory_order_relaxed);
  absl::StatusOr<std::string> body = render_();
  absl::MutexLock lock(&mu_);
  rendering_ = false;
  if (!body.ok()) {
    if (current_ != nullptr) return current_;  // stale, until a rendering succeeds
    return body.status();
  }
  auto doc = std::make_shared<CachedDocument>();
  doc->etag = EtagOf(*body);
  doc->body = *std::move(body);
  doc->rendered_at = clock_.Now();
  current_ = std::move(doc);
  current_generation_ = generation;
  return current_;
}

}  // namespace freehold::donations
