// The progress of many-file commands (client/cli/progress.h): the ETA, the
// terminal line and the summary rate, and what each mode writes (no servers).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "absl/strings/str_split.h"
#include "client/cli/progress.h"

namespace freehold::cli {
namespace {

using ::testing::HasSubstr;

TEST(TreeEtaTest, BytesLeftAtTheMeanRateElseFiles) {
  // A quarter of the bytes in 10 s: 30 s left.
  EXPECT_EQ(TreeEta({1, 4, 256, 1024}, absl::Seconds(10)), absl::Seconds(30));
  // Bytes unknown (0): by files, 2 of 10 in 4 s -> 16 s.
  EXPECT_EQ(TreeEta({2, 10, 0, 0}, absl::Seconds(4)), absl::Seconds(16));
  // Nothing moved yet, or no time passed: unknown.
  EXPECT_EQ(TreeEta({0, 4, 0, 1024}, absl::Seconds(3)), absl::InfiniteDuration());
  EXPECT_EQ(TreeEta({1, 4, 10, 1024}, absl::ZeroDuration()), absl::InfiniteDuration());
  // Done (or more than planned): zero.
  EXPECT_EQ(TreeEta({4, 4, 1024, 1024}, absl::Seconds(3)), absl::ZeroDuration());
  EXPECT_EQ(TreeEta({5, 4, 2048, 1024}, absl::Seconds(3)), absl::ZeroDuration());
  EXPECT_EQ(TreeEta({0, 0, 0, 0}, absl::Seconds(1)), absl::ZeroDuration());
}

TEST(TreeProgressLineTest, FilesBytesRateAndEta) {
  EXPECT_EQ(TreeProgressLine({3, 10, 1 << 20, 4 << 20}, absl::Seconds(2)),
            "3/10 files  1.0 MiB / 4.0 MiB  512.0 KiB/s  ETA 0:06");
  // Total bytes unknown: bytes done only; ETA by files.
  EXPECT_EQ(TreeProgressLine({1, 3, 2048, 0}, absl::Seconds(1)),
            "1/3 files  2.0 KiB  2.0 KiB/s  ETA 0:02");
  EXPECT_EQ(TreeProgressLine({0, 3, 0, 100}, absl::ZeroDuration()),
            "0/3 files  0 B / 100 B  0 B/s  ETA --:--");
  EXPECT_EQ(TreeRateText(25, 4 << 20, 2.0), "(2.0 MiB/s, 12.5 files/s)");
  EXPECT_EQ(TreeRateText(0, 0, 0), "(0 B/s, 0.0 files/s)");
}

std::string ReadAll(std::FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::string s;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) s.append(buf, n);
  return s;
}

TEST(TreeProgressTest, PlainModeWritesOnlyItsLinesAndTheSummary) {
  std::FILE* term = std::tmpfile();
  std::FILE* out = std::tmpfile();
  ASSERT_NE(term, nullptr);
  ASSERT_NE(out, nullptr);
  {
    TreeProgress p(TreeProgress::Mode::kPlain, term, out);
    p.Start(2, 30);
    p.FileDone("put", "a", 10);
    p.Print("Stored a");
    p.FileDone("put", "b", 20);
    EXPECT_EQ(p.files_done(), 2u);
    EXPECT_EQ(p.bytes_done(), 30u);
    p.Finish("2 of 2 files stored");
  }
  EXPECT_EQ(ReadAll(term), "");
  const std::string text = ReadAll(out);
  EXPECT_EQ(text, "Stored a\n2 of 2 files stored\n");
  EXPECT_EQ(text.find('\r'), std::string::npos);
  std::fclose(term);
  std::fclose(out);
}

TEST(TreeProgressTest, TerminalModeRedrawsOneLineAndClearsIt) {
  std::FILE* term = std::tmpfile();
  std::FILE* out = std::tmpfile();
  ASSERT_NE(term, nullptr);
  ASSERT_NE(out, nullptr);
  {
    TreeProgress p(TreeProgress::Mode::kTerminal, term, out);
    p.Start(1, 5);
    p.FileDone("get", "x", 5);
    p.Finish("done");
  }
  const std::string drawn = ReadAll(term);
  EXPECT_THAT(drawn, HasSubstr("\r0/1 files  0 B / 5 B"));
  EXPECT_EQ(drawn.find('\n'), std::string::npos) << "the progress line is redrawn, never scrolled";
  EXPECT_TRUE(drawn.size() >= 4 && drawn.compare(drawn.size() - 4, 4, "\r\x1b[K") == 0)
      << "cleared at the end";
  EXPECT_EQ(ReadAll(out), "done\n");
  std::fclose(term);
  std::fclose(out);
}

TEST(TreeProgressTest, JsonModeWritesOneEventPerLine) {
  std::FILE* term = std::tmpfile();
  std::FILE* out = std::tmpfile();
  ASSERT_NE(term, nullptr);
  ASSERT_NE(out, nullptr);
  {
    TreeProgress p(TreeProgress::Mode::kJson, term, out);
    p.Start(2, 30, {{"command", "put"}});
    p.FileDone("put", "a\nb", 10);
    p.Print("not in the events");
    p.Error("c", absl::NotFoundError("gone"));
    p.Finish("not either", {{"of", 2}});
  }
  EXPECT_EQ(ReadAll(term), "");
  std::vector<nlohmann::json> ev;
  for (absl::string_view line : absl::StrSplit(ReadAll(out), '\n', absl::SkipEmpty())) {
    ev.push_back(nlohmann::json::parse(line));
  }
  ASSERT_EQ(ev.size(), 4u);
  EXPECT_EQ(ev[0]["event"], "start");
  EXPECT_EQ(ev[0]["command"], "put");
  EXPECT_EQ(ev[0]["files"], 2);
  EXPECT_EQ(ev[1]["event"], "file");
  EXPECT_EQ(ev[1]["path"], "a\nb");
  EXPECT_EQ(ev[1]["bytes"], 10);
  EXPECT_EQ(ev[2]["event"], "error");
  EXPECT_EQ(ev[2]["code"], "NOT_FOUND");
  EXPECT_EQ(ev[3]["event"], "summary");
  EXPECT_EQ(ev[3]["files"], 1);
  EXPECT_EQ(ev[3]["bytes"], 10);
  EXPECT_EQ(ev[3]["of"], 2);
  std::fclose(term);
  std::fclose(out);
}

}  // namespace
}  // namespace freehold::cli
