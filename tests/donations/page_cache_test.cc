// PageCache (services/donations/core/page_cache.h): freshness, invalidation, single
// flight with stale answers while one caller renders, failures, ETag matching.
#include "services/donations/core/page_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "common/clock.h"

namespace freehold::donations {
namespace {

TEST(PageCacheTest, ServesTheCopyUntilTheTtlThenRendersAgain) {
  FakeClock clock;
  int n = 0;
  PageCache cache([&]() -> absl::StatusOr<std::string> { return "page " + std::to_string(++n); },
                  absl::Seconds(2), clock);
  auto a = cache.Get();
  ASSERT_TRUE(a.ok());
  EXPECT_EQ((*a)->body, "page 1");
  clock.Advance(absl::Milliseconds(1999));
  EXPECT_EQ((*cache.Get())->body, "page 1");
  EXPECT_EQ(cache.renders(), 1u);
  clock.Advance(absl::Milliseconds(1));
  EXPECT_EQ((*cache.Get())->body, "page 2");
  EXPECT_EQ(cache.renders(), 2u);
  EXPECT_NE((*a)->etag, (*cache.Get())->etag);
}

TEST(PageCacheTest, InvalidateMakesTheNextGetRender) {
  FakeClock clock;
  int n = 0;
  PageCache cache([&]() -> absl::StatusOr<std::string> { return "v" + std::to_string(++n); },
                  absl::Minutes(10), clock);
  EXPECT_EQ((*cache.Get())->body, "v1");
  EXPECT_EQ((*cache.Get())->body, "v1");
  cache.Invalidate();
  EXPECT_EQ((*cache.Get())->body, "v2");
  EXPECT_EQ((*cache.Get())->body, "v2");
  EXPECT_EQ(cache.renders(), 2u);
}

TEST(PageCacheTest, ZeroTtlRendersEveryTime) {
  FakeClock clock;
  int n = 0;
  PageCache cache([&]() -> absl::StatusOr<std::string> { return std::to_string(++n); },
                  absl::ZeroDuration(), clock);
  EXPECT_EQ((*cache.Get())->body, "1");
  EXPECT_EQ((*cache.Get())->body, "2");
}

TEST(PageCacheTest, AFailedRenderingKeepsThePreviousCopyAndWithoutOneIsAnError) {
  FakeClock clock;
  bool fail = true;
  PageCache cache(
      [&]() -> absl::StatusOr<std::string> {
        if (fail) return absl::UnavailableError("database down");
        return std::string("ok");
      },
      absl::Seconds(1), clock);
  EXPECT_EQ(cache.Get().status().code(), absl::StatusCode::kUnavailable);
  fail = false;
  EXPECT_EQ((*cache.Get())->body, "ok");
  fail = true;
  clock.Advance(absl::Seconds(5));
  auto stale = cache.Get();
  ASSERT_TRUE(stale.ok());
  EXPECT_EQ((*stale)->body, "ok");
  EXPECT_EQ(cache.renders(), 3u);
  // Still stale: every Get tries again (one at a time), answering the old copy.
  EXPECT_EQ((*cache.Get())->body, "ok");
  EXPECT_EQ(cache.renders(), 4u);
}

TEST(PageCacheTest, OneCallerRendersWhileTheOthersGetTheStaleCopy) {
  RealClock clock;
  std::atomic<int> n{0};
  absl::Notification entered, release;
  PageCache cache(
      [&]() -> absl::StatusOr<std::string> {
        const int k = ++n;
        if (k == 2) {  // the second rendering blocks until released
          entered.Notify();
          release.WaitForNotification();
        }
        return "v" + std::to_string(k);
      },
      absl::Hours(1), clock);
  EXPECT_EQ((*cache.Get())->body, "v1");
  cache.Invalidate();
  std::thread renderer([&] { EXPECT_EQ((*cache.Get())->body, "v2"); });
  entered.WaitForNotification();
  std::vector<std::thread> readers;
  std::atomic<int> stale{0};
  for (int i = 0; i < 8; ++i) {
    readers.emplace_back([&] {
      if ((*cache.Get())->body == "v1") ++stale;
    });
  }
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(stale.load(), 8);  // none waited for, or started, a second rendering
  release.Notify();
  renderer.join();
  EXPECT_EQ((*cache.Get())->body, "v2");
  EXPECT_EQ(n.load(), 2);
}

TEST(PageCacheTest, CallersBeforeTheFirstCopyWaitForOneRendering) {
  RealClock clock;
  std::atomic<int> n{0};
  PageCache cache(
      [&]() -> absl::StatusOr<std::string> {
        ++n;
        absl::SleepFor(absl::Milliseconds(100));
        return std::string("first");
      },
      absl::Hours(1), clock);
  std::vector<std::thread> callers;
  for (int i = 0; i < 6; ++i) {
    callers.emplace_back([&] { EXPECT_EQ((*cache.Get())->body, "first"); });
  }
  for (std::thread& t : callers) t.join();
  EXPECT_EQ(n.load(), 1);
}

TEST(PageCacheTest, EtagsAndIfNoneMatch) {
  const std::string etag = EtagOf("hello");
  EXPECT_EQ(etag.size(), 34u);
  EXPECT_EQ(etag.front(), '"');
  EXPECT_EQ(etag, EtagOf("hello"));
  EXPECT_NE(etag, EtagOf("hello!"));
  EXPECT_TRUE(IfNoneMatchMatches(etag, etag));
  EXPECT_TRUE(IfNoneMatchMatches("*", etag));
  EXPECT_TRUE(IfNoneMatchMatches("\"x\", W/" + etag, etag));
  EXPECT_TRUE(IfNoneMatchMatches(" \"x\" ,  " + etag + " ", etag));
  EXPECT_FALSE(IfNoneMatchMatches("\"x\"", etag));
  EXPECT_FALSE(IfNoneMatchMatches("", etag));
  EXPECT_FALSE(IfNoneMatchMatches(etag.substr(0, 10), etag));
}

}  // namespace
}  // namespace freehold::donations
