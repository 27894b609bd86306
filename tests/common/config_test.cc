// CLI11 helpers: env fallbacks, precedence, durations, secrets.
#include "common/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace freehold {
namespace {

using ::freehold::testing::StatusIs;
using ::freehold::testing::TempDir;
using ::testing::HasSubstr;
using ::testing::Not;

// Sets an environment variable for the scope of a test.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) { ::setenv(name, value, 1); }
  ~ScopedEnv() { ::unsetenv(name_); }

 private:
  const char* name_;
};

struct TestConfig {
  std::string listen = "127.0.0.1:1";
  int workers = 1;
  bool verbose = false;
  absl::Duration heartbeat = absl::Seconds(5);
};

void AddTestFlags(CLI::App& app, TestConfig& c) {
  AddFlag(app, "--listen", &c.listen, "listen address", "FREEHOLD_TEST_LISTEN");
  AddFlag(app, "--workers", &c.workers, "worker threads");  // default env name
  AddFlag(app, "--verbose", &c.verbose, "log more", "FREEHOLD_TEST_VERBOSE");
  AddDurationFlag(app, "--heartbeat", &c.heartbeat, "heartbeat period", "FREEHOLD_TEST_HEARTBEAT");
}

void Parse(CLI::App& app, std::vector<std::string> args) {
  std::vector<char*> argv;
  std::string prog = "prog";
  argv.push_back(prog.data());
  for (auto& a : args) argv.push_back(a.data());
  app.parse(static_cast<int>(argv.size()), argv.data());
}

TEST(ConfigTest, DefaultEnvNameIsDerivedFromFlag) {
  EXPECT_EQ(DefaultEnvName("--pg-url"), "FREEHOLD_PG_URL");
  EXPECT_EQ(DefaultEnvName("-l,--listen"), "FREEHOLD_LISTEN");
}

TEST(ConfigTest, DefaultsApplyWithoutFlagsOrEnv) {
  CLI::App app;
  TestConfig c;
  AddTestFlags(app, c);
  Parse(app, {});
  EXPECT_EQ(c.listen, "127.0.0.1:1");
  EXPECT_EQ(c.workers, 1);
  EXPECT_FALSE(c.verbose);
  EXPECT_EQ(c.heartbeat, absl::Seconds(5));
}

TEST(ConfigTest, EnvironmentFillsFlagsThatAreAbsent) {
  ScopedEnv a("FREEHOLD_TEST_LISTEN", "0.0.0.0:9000");
  ScopedEnv b("FREEHOLD_WORKERS", "8");
  ScopedEnv v("FREEHOLD_TEST_VERBOSE", "true");
  ScopedEnv h("FREEHOLD_TEST_HEARTBEAT", "250ms");
  CLI::App app;
  TestConfig c;
  AddTestFlags(app, c);
  Parse(app, {});
  EXPECT_EQ(c.listen, "0.0.0.0:9000");
  EXPECT_EQ(c.workers, 8);
  EXPECT_TRUE(c.verbose);
  EXPECT_EQ(c.heartbeat, absl::Milliseconds(250));
}

TEST(ConfigTest, CommandLineWinsOverEnvironment) {
  ScopedEnv a("FREEHOLD_TEST_LISTEN", "0.0.0.0:9000");
  ScopedEnv h("FREEHOLD_TEST_HEARTBEAT", "250ms");
  CLI::App app;
  TestConfig c;
  AddTestFlags(app, c);
  Parse(app, {"--listen", "[::1]:7", "--heartbeat=2s"});
  EXPECT_EQ(c.listen, "[::1]:7");
  EXPECT_EQ(c.heartbeat, absl::Seconds(2));
}

TEST(ConfigTest, HelpListsFlagsAndEnvNames) {
  CLI::App app{"test program"};
  TestConfig c;
  AddTestFlags(app, c);
  const std::string help = app.help();
  EXPECT_THAT(help, HasSubstr("--listen"));
  EXPECT_THAT(help, HasSubstr("FREEHOLD_TEST_LISTEN"));
  EXPECT_THAT(help, HasSubstr("FREEHOLD_WORKERS"));
}

TEST(ConfigTest, MalformedDurationIsAParseError) {
  CLI::App app;
  TestConfig c;
  AddTestFlags(app, c);
  EXPECT_THROW(Parse(app, {"--heartbeat", "soon"}), CLI::ParseError);
}

void ParseBadFlag() {
  CLI::App app("test");
  TestConfig c;
  AddTestFlags(app, c);
  char prog[] = "prog";
  char bad[] = "--no-such-flag";
  char* argv[] = {prog, bad, nullptr};
  ParseOrExit(app, 2, argv);
}

TEST(ConfigTest, ParsesByteSizesWithUnits) {
  EXPECT_EQ(*ParseByteSize("64MiB"), uint64_t{64} << 20);
  EXPECT_EQ(*ParseByteSize("64M"), uint64_t{64} << 20);
  EXPECT_EQ(*ParseByteSize(" 2 GB "), uint64_t{2} << 30);
  EXPECT_EQ(*ParseByteSize("4096"), 4096u);
  EXPECT_EQ(*ParseByteSize("1.5k"), 1536u);
  EXPECT_EQ(*ParseByteSize("1TiB"), uint64_t{1} << 40);
  EXPECT_THAT(ParseByteSize("lots"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseByteSize("12 parsecs"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseByteSize("-1k"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseByteSize("99999999T"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ConfigTest, SizeAndRateFlagsTakeUnitsAndEnvironment) {
  CLI::App app{"test"};
  uint64_t segment = 64;
  double rate = 0;
  AddByteSizeFlag(app, "--segment-size", &segment, "segment size");
  AddByteRateFlag(app, "--min-rate", &rate, "floor rate", "FREEHOLD_TEST_MIN_RATE");
  ScopedEnv env("FREEHOLD_TEST_MIN_RATE", "64KiB");
  Parse(app, {"--segment-size", "8MiB"});
  EXPECT_EQ(segment, uint64_t{8} << 20);
  EXPECT_EQ(rate, 65536.0);
  EXPECT_THAT(app.help(), HasSubstr("FREEHOLD_SEGMENT_SIZE"));
}

TEST(ConfigTest, MalformedSizeIsAParseErrorNamingTheFlag) {
  CLI::App app{"test"};
  uint64_t segment = 64;
  AddByteSizeFlag(app, "--segment-size", &segment, "segment size");
  try {
    Parse(app, {"--segment-size", "huge"});
    ADD_FAILURE() << "no parse error";
  } catch (const CLI::ParseError& e) {
    EXPECT_THAT(std::string(e.what()), HasSubstr("huge"));
  }
  EXPECT_EQ(segment, 64u);
}

TEST(ConfigDeathTest, ParseOrExitExitsNonZeroOnBadFlag) {
  EXPECT_EXIT(ParseBadFlag(), ::testing::ExitedWithCode(2), "no-such-flag");
}

TEST(ConfigDeathTest, ExitIfErrorNamesTheProblem) {
  EXPECT_EXIT(ExitIfError(absl::InvalidArgumentError("listen: empty"), "freehold-x"),
              ::testing::ExitedWithCode(2), "freehold-x: invalid configuration: listen: empty");
}

TEST(SecretTest, ReadSecretFileTrimsTrailingWhitespace) {
  TempDir dir;
  const std::string path = dir.WriteFile("pepper", "s3cret-value\n\n", 0600);
  ASSERT_OK_AND_ASSIGN(std::string secret, ReadSecretFile(path));
  EXPECT_EQ(secret, "s3cret-value");
}

TEST(SecretTest, ReadSecretFileRefusesWorldReadableFiles) {
  TempDir dir;
  const std::string path = dir.WriteFile("pepper", "s3cret-value", 0644);
  EXPECT_THAT(ReadSecretFile(path),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("chmod 600")));
}

TEST(SecretTest, ReadSecretFileErrorsNameThePathNotTheContents) {
  TempDir dir;
  EXPECT_THAT(ReadSecretFile(dir.File("missing")),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("missing")));
  const std::string empty = dir.WriteFile("empty", " \n", 0600);
  EXPECT_THAT(ReadSecretFile(empty), StatusIs(absl::StatusCode::kInvalidArgument));
  const std::string open = dir.WriteFile("open", "topsecret", 0666);
  EXPECT_THAT(ReadSecretFile(open),
              StatusIs(absl::StatusCode::kPermissionDenied, Not(HasSubstr("topsecret"))));
}

TEST(SecretTest, ResolveSecretReadsFilesOrTakesLiterals) {
  TempDir dir;
  const std::string path = dir.WriteFile("key", "from-file\n", 0600);
  ASSERT_OK_AND_ASSIGN(std::string a, ResolveSecret("file:" + path));
  EXPECT_EQ(a, "from-file");
  ASSERT_OK_AND_ASSIGN(std::string b, ResolveSecret("@" + path));
  EXPECT_EQ(b, "from-file");
  ASSERT_OK_AND_ASSIGN(std::string c, ResolveSecret("literal"));
  EXPECT_EQ(c, "literal");
  EXPECT_THAT(ResolveSecret(""), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(SecretFlagTest, RefusesLiteralSecretsOnTheCommandLineWithoutEchoingThem) {
  CLI::App app;
  std::string url;
  std::vector<std::string> webhook;
  AddSecretFlag(app, "--database-url", &url, "db", SecretKind::kUrlPassword);
  MarkSecretFlag(AddFlag(app, "--webhook-secret", &webhook, "whsec")->delimiter(','),
                 SecretKind::kSecret);
  auto check = [&](std::vector<std::string> args) {
    std::vector<const char*> argv = {"prog"};
    for (const std::string& a : args) argv.push_back(a.c_str());
    return CheckNoSecretsOnCommandLine(app, static_cast<int>(argv.size()), argv.data());
  };
  // A URL with a password, in either libpq form, and a literal webhook secret.
  absl::Status s = check({"--database-url", "postgresql://freehold:hunter2@db/freehold"});
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--database-url")));
  EXPECT_THAT(std::string(s.message()), Not(HasSubstr("hunter2")));
  EXPECT_THAT(std::string(s.message()), HasSubstr("FREEHOLD_DATABASE_URL"));
  EXPECT_THAT(check({"--database-url=host=db user=f password=hunter2"}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  s = check({"--webhook-secret", "whsec_abc"});
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--webhook-secret")));
  EXPECT_THAT(std::string(s.message()), Not(HasSubstr("whsec_abc")));
  EXPECT_THAT(check({"--webhook-secret=file:/a,whsec_abc"}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // Files, URLs without a password, and values after "--" are fine.
  EXPECT_OK(check({"--database-url", "postgresql://freehold@127.0.0.1:5432/freehold"}));
  EXPECT_OK(check({"--database-url", "file:/etc/freehold/database-url"}));
  EXPECT_OK(check({"--webhook-secret", "file:/etc/freehold/whsec", "--webhook-secret", "@/b"}));
  EXPECT_OK(check({"--", "--webhook-secret", "whsec_abc"}));
}

TEST(SecretFlagTest, LiteralFromTheEnvironmentAndFileReferencesFromEither) {
  TempDir dir;
  const std::string path =
      dir.WriteFile("url", "postgresql://freehold:hunter2@db/freehold\n", 0600);
  {
    CLI::App app;
    std::string url;
    AddSecretFlag(app, "--database-url", &url, "db", SecretKind::kUrlPassword,
                  "FREEHOLD_TEST_DB_URL");
    ScopedEnv env("FREEHOLD_TEST_DB_URL", "postgresql://freehold:env-pw@db/freehold");
    Parse(app, {});
    EXPECT_EQ(url, "postgresql://freehold:env-pw@db/freehold");
  }
  {
    CLI::App app;
    std::string url;
    AddSecretFlag(app, "--database-url", &url, "db", SecretKind::kUrlPassword);
    Parse(app, {"--database-url", "file:" + path});
    EXPECT_EQ(url, "postgresql://freehold:hunter2@db/freehold");
    EXPECT_THAT(app.help(), Not(HasSubstr("hunter2")));
  }
  {
    CLI::App app;
    std::string url;
    AddSecretFlag(app, "--database-url", &url, "db", SecretKind::kUrlPassword,
                  "FREEHOLD_TEST_DB_URL");
    ScopedEnv env("FREEHOLD_TEST_DB_URL", ("@" + path).c_str());
    Parse(app, {});
    EXPECT_EQ(url, "postgresql://freehold:hunter2@db/freehold");
  }
  {
    CLI::App app;
    std::string url;
    AddSecretFlag(app, "--database-url", &url, "db", SecretKind::kUrlPassword);
    EXPECT_THROW(Parse(app, {"--database-url", "file:" + dir.File("missing")}),
                 CLI::ParseError);
  }
}

void ParseSecretOnArgv() {
  CLI::App app{"prog"};
  std::string url;
  AddSecretFlag(app, "--database-url", &url, "db", SecretKind::kUrlPassword);
  std::string prog = "prog", flag = "--database-url", value = "postgresql://u:pw@h/d";
  char* argv[] = {prog.data(), flag.data(), value.data()};
  ParseOrExit(app, 3, argv);
}

TEST(ConfigDeathTest, ParseOrExitRefusesASecretOnTheCommandLine) {
  EXPECT_EXIT(ParseSecretOnArgv(), ::testing::ExitedWithCode(2),
              "--database-url: a URL with a password must not be given on the command line");
}

}  // namespace
}  // namespace freehold
