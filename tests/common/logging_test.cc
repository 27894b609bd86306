// Structured JSON logs: format, levels, context fields, redaction.
#include "common/logging.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "tests/support/status_matchers.h"

namespace freehold {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::SizeIs;

TEST(LoggingTest, WritesOneJsonObjectPerLine) {
  auto sink = std::make_shared<CapturingLogSink>();
  Logger log("storaged", LogLevel::kInfo, sink);
  const size_t bytes = 65536;
  log.Info("shard stored",
           {{"key", "ab\"12\n"}, {"bytes", bytes}, {"ok", true}, {"ratio", 0.5}, {"neg", -3}});
  ASSERT_THAT(sink->lines(), SizeIs(1));
  const std::string line = sink->lines()[0];
  EXPECT_EQ(line.find('\n'), std::string::npos);
  const nlohmann::json j = nlohmann::json::parse(line);
  EXPECT_EQ(j["level"], "info");
  EXPECT_EQ(j["component"], "storaged");
  EXPECT_EQ(j["msg"], "shard stored");
  EXPECT_EQ(j["key"], "ab\"12\n");
  EXPECT_EQ(j["bytes"], 65536);
  EXPECT_EQ(j["ok"], true);
  EXPECT_EQ(j["ratio"], 0.5);
  EXPECT_EQ(j["neg"], -3);
  const std::string ts = j["ts"];
  EXPECT_EQ(ts.size(), 27u) << ts;  // 2024-01-02T03:04:05.123456Z
  EXPECT_EQ(ts.back(), 'Z');
}

TEST(LoggingTest, DropsLinesBelowMinimumLevel) {
  auto sink = std::make_shared<CapturingLogSink>();
  Logger log("x", LogLevel::kWarn, sink);
  log.Debug("d");
  log.Info("i");
  log.Warn("w");
  log.Error("e");
  ASSERT_THAT(sink->lines(), SizeIs(2));
  EXPECT_EQ(nlohmann::json::parse(sink->lines()[0])["level"], "warn");
  EXPECT_EQ(nlohmann::json::parse(sink->lines()[1])["level"], "error");
}

TEST(LoggingTest, RedactsSecretLookingKeys) {
  auto sink = std::make_shared<CapturingLogSink>();
  Logger log("accounts", LogLevel::kDebug, sink);
  log.Info("login", {{"password", "hunter2"},
                     {"auth_key", "AAAA"},
                     {"refresh_token", "rt-secret"},
                     {"Server_Pepper", "pep"},
                     {"client_secret", "cs"},
                     {"token_id", "tid-1"},
                     {"handle", "alice"}});
  ASSERT_THAT(sink->lines(), SizeIs(1));
  const std::string line = sink->lines()[0];
  for (const char* secret : {"hunter2", "AAAA", "rt-secret", "\"pep\"", "\"cs\""}) {
    EXPECT_THAT(line, Not(HasSubstr(secret)));
  }
  const nlohmann::json j = nlohmann::json::parse(line);
  EXPECT_EQ(j["password"], "[REDACTED]");
  EXPECT_EQ(j["auth_key"], "[REDACTED]");
  EXPECT_EQ(j["refresh_token"], "[REDACTED]");
  EXPECT_EQ(j["Server_Pepper"], "[REDACTED]");
  EXPECT_EQ(j["token_id"], "tid-1");
  EXPECT_EQ(j["handle"], "alice");
}

TEST(LoggingTest, WithAddsFieldsToEveryLineAndRedactsThem) {
  auto sink = std::make_shared<CapturingLogSink>();
  Logger base("coordinator", LogLevel::kInfo, sink);
  Logger log = base.With({{"node_id", "n1"}, {"api_key", "k"}});
  log.Info("a");
  log.Warn("b", {{"segment", 3}});
  base.Info("c");
  ASSERT_THAT(sink->lines(), SizeIs(3));
  const nlohmann::json a = nlohmann::json::parse(sink->lines()[0]);
  EXPECT_EQ(a["node_id"], "n1");
  EXPECT_EQ(a["api_key"], "[REDACTED]");
  EXPECT_EQ(nlohmann::json::parse(sink->lines()[1])["segment"], 3);
  EXPECT_FALSE(nlohmann::json::parse(sink->lines()[2]).contains("node_id"));
}

TEST(LoggingTest, StatusAndDurationValues) {
  auto sink = std::make_shared<CapturingLogSink>();
  Logger log("x", LogLevel::kInfo, sink);
  log.Error("failed",
            {{"status", absl::NotFoundError("no shard")}, {"took", absl::Milliseconds(1500)}});
  const nlohmann::json j = nlohmann::json::parse(sink->lines().at(0));
  EXPECT_THAT(j["status"].get<std::string>(), HasSubstr("no shard"));
  EXPECT_EQ(j["took"], 1.5);
}

TEST(LoggingTest, ConcurrentLoggingKeepsLinesWhole) {
  auto sink = std::make_shared<CapturingLogSink>();
  Logger log("x", LogLevel::kInfo, sink);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&log, t] {
      for (int i = 0; i < 200; ++i) log.Info("tick", {{"thread", t}, {"i", i}});
    });
  }
  for (auto& th : threads) th.join();
  const auto lines = sink->lines();
  ASSERT_THAT(lines, SizeIs(800));
  for (const auto& line : lines) EXPECT_EQ(nlohmann::json::parse(line)["msg"], "tick");
}

TEST(LoggingTest, ParsesLevelNames) {
  ASSERT_OK_AND_ASSIGN(LogLevel l, ParseLogLevel("WARNING"));
  EXPECT_EQ(l, LogLevel::kWarn);
  EXPECT_THAT(ParseLogLevel("loud"),
              ::freehold::testing::StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace freehold
