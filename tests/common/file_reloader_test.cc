// common/file_reloader.h: a re-read secret file is applied only when it changed, a
// broken version keeps the previous one in force and is reported once, the metrics
// tell, and ReloadLoop re-reads on Trigger().
#include "common/file_reloader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>

#include "common/metrics.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace freehold {
namespace {

using ::freehold::testing::StatusIs;
using ::testing::HasSubstr;

// OK and holding `value`.
MATCHER_P(HoldsValue, value, "is OK and holds " + ::testing::PrintToString(value)) {
  return arg.ok() && *arg == value;
}

TEST(FileReloaderTest, AppliesChangesOnlyAndKeepsTheLastGoodVersionOnErrors) {
  freehold::testing::TempDir dir;
  const std::string path = dir.WriteFile("secret", "one\n", 0600);
  std::string in_force;
  int applies = 0;
  prometheus::Registry registry;
  FileReloader reloader(
      "--x-file", path,
      [&](const std::string& text) -> absl::Status {
        if (text == "bad") return absl::InvalidArgumentError("not usable");
        in_force = text;
        ++applies;
        return absl::OkStatus();
      },
      Logger("test"), &registry);
  ASSERT_OK(reloader.Load());
  EXPECT_EQ(in_force, "one");
  EXPECT_THAT(reloader.ReloadIfChanged(), HoldsValue(false));
  EXPECT_EQ(applies, 1);

  auto replace = [&](const std::string& text, mode_t mode) {
    dir.WriteFile("next", text, mode);
    ASSERT_EQ(std::rename(dir.File("next").c_str(), path.c_str()), 0);
  };
  replace("bad", 0600);
  EXPECT_THAT(reloader.ReloadIfChanged(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--x-file")));
  EXPECT_THAT(reloader.ReloadIfChanged(), HoldsValue(false));  // reported once
  EXPECT_TRUE(reloader.failing());
  EXPECT_EQ(in_force, "one");
  EXPECT_EQ(ReadMetric(registry, "freehold_file_reload_failing", {{"file", "--x-file"}}), 1);
  EXPECT_EQ(ReadMetric(registry, "freehold_file_reloads_total",
                       {{"file", "--x-file"}, {"result", "error"}}),
            1);

  replace("two", 0644);  // readable by others: refused
  EXPECT_THAT(reloader.ReloadIfChanged(), StatusIs(absl::StatusCode::kPermissionDenied));
  ASSERT_EQ(std::remove(path.c_str()), 0);
  EXPECT_THAT(reloader.ReloadIfChanged(), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(reloader.ReloadIfChanged(), HoldsValue(false));
  EXPECT_EQ(in_force, "one");

  replace("two", 0600);
  EXPECT_THAT(reloader.ReloadIfChanged(), HoldsValue(true));
  EXPECT_EQ(in_force, "two");
  EXPECT_FALSE(reloader.failing());
  EXPECT_EQ(ReadMetric(registry, "freehold_file_reload_failing", {{"file", "--x-file"}}), 0);
  EXPECT_EQ(
      ReadMetric(registry, "freehold_file_reloads_total", {{"file", "--x-file"}, {"result", "ok"}}),
      2);
}

TEST(FileReloaderTest, TheLoopRereadsOnTrigger) {
  freehold::testing::TempDir dir;
  const std::string path = dir.WriteFile("secret", "one", 0600);
  std::atomic<int> applies{0};
  FileReloader reloader(
      "--x-file", path,
      [&](const std::string&) {
        ++applies;
        return absl::OkStatus();
      },
      Logger("test"), nullptr);
  ASSERT_OK(reloader.Load());
  ReloadLoop loop(absl::Hours(1), {&reloader});
  dir.WriteFile("secret", "two", 0600);
  loop.Trigger();
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (applies.load() < 2 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(10));
  EXPECT_EQ(applies.load(), 2);
}

}  // namespace
}  // namespace freehold
