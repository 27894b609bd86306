// The plan of `freehold sync` (client/cli/sync_plan.h), from two trees alone.
#include "client/cli/sync_plan.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace freehold::cli {
namespace {

SyncEntry File(uint64_t size, int64_t mtime, std::string id = "") {
  SyncEntry e;
  e.size = size;
  e.modified_unix_nanos = mtime;
  e.id = std::move(id);
  return e;
}
SyncEntry Folder(std::string id = "") {
  SyncEntry e;
  e.is_folder = true;
  e.id = std::move(id);
  return e;
}

std::vector<std::string> Steps(const SyncPlan& p) {
  std::vector<std::string> out;
  for (const SyncStep& s : p.steps)
    out.push_back(std::string(SyncActionName(s.action)) + " " + s.path);
  return out;
}

TEST(SyncPlanTest, NewChangedUnchangedAndDeletedInOrder) {
  const SyncTree src = {{"a", Folder()},        {"a b", File(1, 1)},    {"a/new", File(5, 1)},
                        {"a/same", File(3, 7)}, {"a/size", File(4, 7)}, {"a/time", File(3, 8)},
                        {"z", Folder()},        {"z/y", Folder()}};
  const SyncTree dst = {{"a", Folder("A")},          {"a/same", File(3, 7, "1")},
                        {"a/size", File(3, 7, "2")}, {"a/time", File(3, 7, "3")},
                        {"gone", Folder("G")},       {"gone/x", File(1, 1, "4")},
                        {"gone/x y", Folder("H")},   {"old", File(9, 9, "5")}};
  absl::StatusOr<SyncPlan> keep = PlanSync(src, dst, false);
  ASSERT_TRUE(keep.ok()) << keep.status();
  EXPECT_THAT(Steps(*keep), ::testing::ElementsAre("mkdir z", "mkdir z/y", "add a b", "add a/new",
                                                   "update a/size", "update a/time"));
  EXPECT_EQ(keep->unchanged_files, 1u);
  EXPECT_EQ(keep->transfer_files, 4u);
  EXPECT_EQ(keep->transfer_bytes, 1u + 5 + 4 + 3);
  EXPECT_EQ(keep->steps[4].destination.id, "2");

  absl::StatusOr<SyncPlan> del = PlanSync(src, dst, true);
  ASSERT_TRUE(del.ok()) << del.status();
  // Deletes last, children before their folder.
  EXPECT_THAT(Steps(*del),
              ::testing::ElementsAre("mkdir z", "mkdir z/y", "add a b", "add a/new",
                                     "update a/size", "update a/time", "delete old",
                                     "delete gone/x y", "delete gone/x", "delete gone"));
}

TEST(SyncPlanTest, FileFolderConflictNeedsDelete) {
  const SyncTree src = {{"p", File(2, 2)}, {"q", Folder()}, {"q/f", File(1, 1)}};
  const SyncTree dst = {{"p", Folder("P")},
                        {"p/in", File(1, 1, "1")},
                        {"p in", File(1, 1, "9")},
                        {"q", File(1, 1, "2")}};
  absl::StatusOr<SyncPlan> refused = PlanSync(src, dst, false);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(), ::testing::HasSubstr("--delete"));
  absl::StatusOr<SyncPlan> plan = PlanSync(src, dst, true);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(Steps(*plan), ::testing::ElementsAre("delete p/in", "delete p", "delete q", "mkdir q",
                                                   "add p", "add q/f", "delete p in"));
}

TEST(SyncPlanTest, EmptyTreesAndIdenticalTreesDoNothing) {
  absl::StatusOr<SyncPlan> empty = PlanSync({}, {}, true);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->steps.empty());
  const SyncTree t = {{"d", Folder()}, {"d/f", File(1, 1)}};
  absl::StatusOr<SyncPlan> same = PlanSync(t, t, true);
  ASSERT_TRUE(same.ok());
  EXPECT_TRUE(same->steps.empty());
  EXPECT_EQ(same->unchanged_files, 1u);
}

TEST(SyncPlanTest, ChecksumComparesContentOfSameSizedFiles) {
  auto hashed = [](uint64_t size, int64_t mtime, std::string hash) {
    SyncEntry e = File(size, mtime, "id");
    e.content_hash = std::move(hash);
    return e;
  };
  const std::string h1(32, 'a'), h2(32, 'b');
  const SyncTree src = {{"edited", hashed(3, 7, h1)},   {"same", hashed(3, 7, h1)},
                        {"touched", hashed(3, 9, h1)},  {"unhashed", hashed(3, 7, h1)},
                        {"resized", hashed(4, 7, h1)}};
  const SyncTree dst = {{"edited", hashed(3, 7, h2)},   {"same", hashed(3, 7, h1)},
                        {"touched", hashed(3, 7, h1)},  {"unhashed", hashed(3, 7, "")},
                        {"resized", hashed(3, 7, h1)}};
  // Size and time alone: only the resized and the touched file.
  absl::StatusOr<SyncPlan> plain = PlanSync(src, dst, false);
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_THAT(Steps(*plain), ::testing::ElementsAre("update resized", "update touched"));
  // By content: the edited one (same size and time), the one without a
  // recorded hash, the resized one; not the touched one.
  absl::StatusOr<SyncPlan> sums = PlanSync(src, dst, false, /*checksum=*/true);
  ASSERT_TRUE(sums.ok()) << sums.status();
  EXPECT_THAT(Steps(*sums),
              ::testing::ElementsAre("update edited", "update resized", "update unhashed"));
  EXPECT_EQ(sums->unchanged_files, 2u);
  EXPECT_TRUE(NeedsContentHash(src.at("edited"), dst.at("edited")));
  EXPECT_FALSE(NeedsContentHash(src.at("resized"), dst.at("resized")));
}

}  // namespace
}  // namespace freehold::cli
