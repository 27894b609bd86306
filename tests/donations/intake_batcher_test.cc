// IntakeBatcher (group commit) against a scripted store: batching, bounds, per-event
// answers, errors. The database side is in one_statement_intake_pg_test.cc.
#include "services/donations/core/intake_batcher.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "tests/support/status_matchers.h"

namespace freehold::donations {
namespace {

// Records each ApplyFast batch; answers every event with its own id in `reason`.
// Optionally holds batches until released, and fails batches holding a marked event.
class ScriptedStore : public DonationStore {
 public:
  absl::Status RunInTransaction(absl::FunctionRef<absl::Status(LedgerTxn&)>) override {
    return absl::UnimplementedError("not used");
  }
  absl::Status StoreDeadLetter(const DeadLetter&) override { return absl::OkStatus(); }
  int FastConcurrency() const override { return 4; }

  absl::StatusOr<std::vector<FastIntakeOutcome>> ApplyFast(
      const std::vector<const FastIntakeEvent*>& events) override {
    const int now_running = ++running_;
    int seen = max_running_.load();
    while (now_running > seen && !max_running_.compare_exchange_weak(seen, now_running)) {
    }
    bool fail = false;
    {
      absl::MutexLock lock(&mu_);
      std::vector<std::string> ids;
      for (const FastIntakeEvent* e : events) {
        ids.push_back(e->event_id);
        fail = fail || e->event_id == fail_id_;
      }
      batches_.push_back(ids);
      mu_.Await(absl::Condition(
          +[](bool* held) { return !*held; }, &held_));
    }
    --running_;
    if (fail) return absl::UnavailableError("database went away");
    std::vector<FastIntakeOutcome> out(events.size());
    for (size_t i = 0; i < events.size(); ++i) {
      out[i].result = FastIntakeResult::kClaimed;
      out[i].reason = events[i]->event_id;
    }
    return out;
  }

  void Hold() {
    absl::MutexLock lock(&mu_);
    held_ = true;
  }
  void Release() {
    absl::MutexLock lock(&mu_);
    held_ = false;
  }
  void FailBatchWith(const std::string& id) {
    absl::MutexLock lock(&mu_);
    fail_id_ = id;
  }
  std::vector<std::vector<std::string>> batches() {
    absl::MutexLock lock(&mu_);
    return batches_;
  }
  size_t batch_count() { return batches().size(); }
  int max_running() const { return max_running_.load(); }

 private:
  absl::Mutex mu_;
  bool held_ ABSL_GUARDED_BY(mu_) = false;
  std::string fail_id_ ABSL_GUARDED_BY(mu_);
  std::vector<std::vector<std::string>> batches_ ABSL_GUARDED_BY(mu_);
  std::atomic<int> running_{0};
  std::atomic<int> max_running_{0};
};

FastIntakeEvent Event(const std::string& id) {
  FastIntakeEvent e;
  e.provider = "stripe";
  e.event_id = id;
  e.claim_only = true;
  return e;
}

// Polls `done` for up to 20 s.
bool WaitFor(const std::function<bool()>& done) {
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (!done()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(1));
  }
  return true;
}

// Starts one thread per id calling Apply; each checks that it got its own answer.
class Callers {
 public:
  Callers(IntakeBatcher& batcher, std::vector<std::string> ids) : events_(ids.size()) {
    for (size_t i = 0; i < ids.size(); ++i) events_[i] = Event(ids[i]);
    results_.resize(ids.size());
    for (size_t i = 0; i < ids.size(); ++i) {
      threads_.emplace_back([this, &batcher, i] { results_[i] = batcher.Apply(events_[i]); });
    }
  }
  void Join() {
    for (auto& t : threads_) t.join();
    threads_.clear();
  }
  ~Callers() { Join(); }
  const absl::StatusOr<FastIntakeOutcome>& result(size_t i) const { return results_[i]; }
  const std::string& id(size_t i) const { return events_[i].event_id; }
  size_t size() const { return events_.size(); }

 private:
  std::vector<FastIntakeEvent> events_;
  std::vector<absl::StatusOr<FastIntakeOutcome>> results_;
  std::vector<std::thread> threads_;
};

TEST(IntakeBatcherTest, ALoneEventRunsAtOnceInABatchOfOne) {
  ScriptedStore store;
  IntakeBatcher batcher(store, {.max_events = 32, .max_concurrent = 1}, nullptr);
  const FastIntakeEvent event = Event("evt_1");
  ASSERT_OK_AND_ASSIGN(FastIntakeOutcome outcome, batcher.Apply(event));
  EXPECT_EQ(outcome.reason, "evt_1");
  EXPECT_EQ(store.batches(), (std::vector<std::vector<std::string>>{{"evt_1"}}));
  EXPECT_EQ(batcher.queued(), 0u);
}

TEST(IntakeBatcherTest, EventsArrivingDuringABatchShareTheNextAndGetTheirOwnAnswers) {
  ScriptedStore store;
  IntakeBatcher batcher(store, {.max_events = 32, .max_concurrent = 1}, nullptr);
  store.Hold();
  Callers first(batcher, {"evt_a"});
  ASSERT_TRUE(WaitFor([&] { return store.batch_count() == 1; }));
  Callers rest(batcher, {"evt_b", "evt_c", "evt_d", "evt_e", "evt_f"});
  ASSERT_TRUE(WaitFor([&] { return batcher.queued() == 5; }));
  store.Release();
  first.Join();
  rest.Join();
  const auto batches = store.batches();
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(batches[0], std::vector<std::string>{"evt_a"});
  EXPECT_EQ(batches[1].size(), 5u);
  for (size_t i = 0; i < rest.size(); ++i) {
    ASSERT_OK(rest.result(i).status());
    EXPECT_EQ(rest.result(i)->reason, rest.id(i));
  }
  EXPECT_EQ(store.max_running(), 1);
}

TEST(IntakeBatcherTest, BatchesNeverExceedMaxEventsOrMaxConcurrent) {
  ScriptedStore store;
  IntakeBatcher batcher(store, {.max_events = 2, .max_concurrent = 2}, nullptr);
  store.Hold();
  Callers first(batcher, {"evt_0", "evt_1"});
  // Two leaders run (one event each or both in one batch), the rest queue.
  ASSERT_TRUE(WaitFor([&] {
    size_t in_batches = 0;
    for (const auto& b : store.batches()) in_batches += b.size();
    return in_batches == 2;
  }));
  std::vector<std::string> ids;
  for (int i = 2; i < 9; ++i) ids.push_back(absl::StrCat("evt_", i));
  Callers rest(batcher, ids);
  ASSERT_TRUE(WaitFor([&] { return batcher.queued() == 7; }));
  store.Release();
  first.Join();
  rest.Join();
  size_t total = 0;
  for (const auto& b : store.batches()) {
    EXPECT_LE(b.size(), 2u);
    total += b.size();
  }
  EXPECT_EQ(total, 9u);
  EXPECT_LE(store.max_running(), 2);
  for (size_t i = 0; i < rest.size(); ++i) EXPECT_EQ(rest.result(i)->reason, rest.id(i));
}

TEST(IntakeBatcherTest, ManyCallersInLoopsEachGetTheirOwnAnswerFromExactlyOneBatch) {
  // Regression: a caller taken by one leader, not yet answered, must not lead itself
  // when the queue is empty (front() of an empty deque could be a stale copy of its own
  // address: each thread's Apply frame sits at the same place every call).
  ScriptedStore store;
  IntakeBatcher batcher(store, {.max_events = 4, .max_concurrent = 2}, nullptr);
  constexpr int kThreads = 8;
  constexpr int kCalls = 300;
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCalls; ++i) {
        const FastIntakeEvent event = Event(absl::StrCat("evt_", t, "_", i));
        absl::StatusOr<FastIntakeOutcome> r = batcher.Apply(event);
        if (!r.ok() || r->reason != event.event_id) ++wrong;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
  std::set<std::string> seen;
  size_t total = 0;
  for (const auto& b : store.batches()) {
    EXPECT_FALSE(b.empty());
    EXPECT_LE(b.size(), 4u);
    total += b.size();
    seen.insert(b.begin(), b.end());
  }
  EXPECT_EQ(total, static_cast<size_t>(kThreads * kCalls));
  EXPECT_EQ(seen.size(), static_cast<size_t>(kThreads * kCalls));
  EXPECT_LE(store.max_running(), 2);
}

TEST(IntakeBatcherTest, LeaderWaitsUpToMaxWaitForAFullBatch) {
  ScriptedStore store;
  IntakeBatcher batcher(
      store, {.max_events = 3, .max_wait = absl::Seconds(30), .max_concurrent = 1}, nullptr);
  Callers callers(batcher, {"evt_x"});
  ASSERT_TRUE(WaitFor([&] { return batcher.queued() == 1; }));
  EXPECT_EQ(store.batch_count(), 0u);  // the leader is waiting for two more
  Callers more(batcher, {"evt_y", "evt_z"});
  callers.Join();
  more.Join();
  EXPECT_EQ(store.batches().size(), 1u);
  EXPECT_EQ(store.batches()[0].size(), 3u);

  // A short wait runs a partial batch when nobody else comes.
  IntakeBatcher brief(
      store, {.max_events = 3, .max_wait = absl::Milliseconds(5), .max_concurrent = 1}, nullptr);
  const FastIntakeEvent alone = Event("evt_alone");
  ASSERT_OK(brief.Apply(alone).status());
  EXPECT_EQ(store.batches().back(), std::vector<std::string>{"evt_alone"});
}

TEST(IntakeBatcherTest, AFailedBatchFailsOnlyItsOwnEvents) {
  ScriptedStore store;
  IntakeBatcher batcher(store, {.max_events = 32, .max_concurrent = 1}, nullptr);
  store.FailBatchWith("evt_bad");
  store.Hold();
  Callers first(batcher, {"evt_ok"});
  ASSERT_TRUE(WaitFor([&] { return store.batch_count() == 1; }));
  Callers second(batcher, {"evt_bad", "evt_unlucky"});
  ASSERT_TRUE(WaitFor([&] { return batcher.queued() == 2; }));
  store.Release();
  first.Join();
  second.Join();
  EXPECT_OK(first.result(0).status());
  for (size_t i = 0; i < second.size(); ++i) {
    EXPECT_EQ(second.result(i).status().code(), absl::StatusCode::kUnavailable);
  }
  // The batcher carries on.
  const FastIntakeEvent later = Event("evt_later");
  EXPECT_OK(batcher.Apply(later).status());
}

TEST(IntakeBatcherTest, OptionsAreValidatedNamingTheFlag) {
  EXPECT_OK(IntakeBatchOptions{}.Validate());
  EXPECT_THAT(IntakeBatchOptions{.max_events = 0}.Validate().message(),
              ::testing::HasSubstr("--intake-batch-max"));
  EXPECT_THAT(IntakeBatchOptions{.max_events = 65}.Validate().message(),
              ::testing::HasSubstr("--intake-batch-max"));
  EXPECT_THAT(IntakeBatchOptions{.max_wait = absl::Seconds(1)}.Validate().message(),
              ::testing::HasSubstr("--intake-batch-wait"));
  EXPECT_THAT(IntakeBatchOptions{.max_concurrent = 0}.Validate().message(),
              ::testing::HasSubstr("--intake-connections"));
}

}  // namespace
}  // namespace freehold::donations
