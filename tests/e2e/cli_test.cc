// End-to-end: the real `freehold` CLI against a real cluster on loopback
// (accounts, coordinator with 1 MiB segments, six storage daemons in three
// zones, PostgreSQL), checked byte for byte.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "tests/e2e/e2e_fixture.h"
#include "tests/support/process.h"
#include "tests/support/status_matchers.h"
#include "tests/support/storaged_identity.h"
#include "tests/support/temp_dir.h"
#include "common/peer_identity.h"
#include "tests/support/test_pki.h"

namespace freehold::e2e {
namespace {

using ::testing::HasSubstr;

class CliEndToEndTest : public ClusterTest<6, 3> {};

TEST_F(CliEndToEndTest, RoundTripsFilesOfEdgeSizesByteForByte) {
  auto alice = SignUp("alice");
  // 0 B, 1 B, one STREAM chunk +- 1, and several 1 MiB segments.
  const std::vector<size_t> sizes = {0, 1, 65535, 65536, 65537, 3 * 1024 * 1024 + 12345};
  for (size_t size : sizes) {
    SCOPED_TRACE(size);
    const std::string name = absl::StrCat("file-", size, ".bin");
    const std::string data = WriteRandomFile(alice->File(name), size, static_cast<uint32_t>(size));
    ASSERT_FALSE(Put(*alice, alice->File(name), name).empty());
    CliResult got = alice->Run({"get", name, "-o", alice->File(name + ".back")});
    ASSERT_EQ(got.exit_code, 0) << got.Describe();
    EXPECT_EQ(ReadFile(alice->File(name + ".back")), data);
  }
  CliResult ls = alice->Run({"--json", "ls"});
  ASSERT_EQ(ls.exit_code, 0) << ls.Describe();
  nlohmann::json list = nlohmann::json::parse(ls.out);
  ASSERT_EQ(list.size(), sizes.size());
  for (const nlohmann::json& o : list) {
    const std::string name = o["name"].get<std::string>();
    EXPECT_EQ(absl::StrCat("file-", o["size"].get<uint64_t>(), ".bin"), name);
  }
  CliResult human = alice->Run({"ls"});
  EXPECT_THAT(human.out, HasSubstr("file-65537.bin"));
  EXPECT_THAT(human.out, HasSubstr("3.0 MiB"));
}

TEST_F(CliEndToEndTest, GetWritesToStdoutAndDefaultNameAndRmDeletes) {
  auto alice = SignUp("alice");
  const std::string data = WriteRandomFile(alice->File("notes.txt"), 1000, 7);
  const std::string id = Put(*alice, alice->File("notes.txt"), "docs/notes.txt");
  CliResult to_stdout = alice->Run({"get", id, "-o", "-"});
  ASSERT_EQ(to_stdout.exit_code, 0) << to_stdout.Describe();
  EXPECT_EQ(to_stdout.out, data);
  // Default output: the last component of the stored name, in the cwd.
  ::unlink(alice->File("notes.txt").c_str());
  CliResult by_default = alice->Run({"get", "docs/notes.txt"});
  ASSERT_EQ(by_default.exit_code, 0) << by_default.Describe();
  EXPECT_EQ(ReadFile(alice->File("notes.txt")), data);
  CliResult again = alice->Run({"get", "docs/notes.txt"});
  EXPECT_EQ(again.exit_code, 2) << again.Describe();
  EXPECT_THAT(again.err, HasSubstr("already exists"));

  CliResult rm = alice->Run({"rm", "docs/notes.txt"});
  ASSERT_EQ(rm.exit_code, 0) << rm.Describe();
  CliResult gone = alice->Run({"get", id, "-o", alice->File("x")});
  EXPECT_EQ(gone.exit_code, 4) << gone.Describe();
  CliResult gone_by_name = alice->Run({"get", "docs/notes.txt", "-o", alice->File("x")});
  EXPECT_EQ(gone_by_name.exit_code, 4) << gone_by_name.Describe();
  EXPECT_THAT(gone_by_name.err, HasSubstr("no file named"));
}

TEST_F(CliEndToEndTest, ExportIsAnAgeFileTheStockAgeToolDecrypts) {
  if (::access("/usr/bin/age", X_OK) != 0) GTEST_SKIP() << "age is not installed";
  auto alice = SignUp("alice");
  const std::string data = WriteRandomFile(alice->File("report.pdf"), 1500000, 3);
  const std::string id = Put(*alice, alice->File("report.pdf"), "report.pdf");
  CliResult exp = alice->Run({"export", "report.pdf", "-o", alice->File("report.pdf.age")});
  ASSERT_EQ(exp.exit_code, 0) << exp.Describe();
  EXPECT_EQ(ReadFile(alice->File("report.pdf.age")).substr(0, 21), "age-encryption.org/v1");
  CliResult key = alice->Run({"recovery-key", "--yes"});
  ASSERT_EQ(key.exit_code, 0) << key.Describe();
  EXPECT_THAT(key.out, ::testing::StartsWith("AGE-SECRET-KEY-1"));
  EXPECT_THAT(key.err, HasSubstr("WARNING"));
  const std::string key_file = alice->File("identity.txt");
  { std::ofstream(key_file) << key.out; }
  CliResult age =
      RunTool("/usr/bin/age",
              {"-d", "-i", key_file, "-o", alice->File("from-age"), alice->File("report.pdf.age")},
              alice->work_dir());
  ASSERT_EQ(age.exit_code, 0) << age.Describe();
  EXPECT_EQ(ReadFile(alice->File("from-age")), data);
}

TEST_F(CliEndToEndTest, SharedFileIsReadableByTheRecipientsOnly) {
  auto alice = SignUp("alice");
  auto bob = SignUp("bob");
  auto carol = SignUp("carol");
  const std::string data = WriteRandomFile(alice->File("plan.txt"), 200000, 11);
  const std::string id = Put(*alice, alice->File("plan.txt"), "plan.txt");

  // Not shared yet: to bob the file does not exist (exit 4, like an unknown id).
  CliResult before = bob->Run({"get", id, "-o", bob->File("plan")});
  EXPECT_EQ(before.exit_code, 4) << before.Describe();

  CliResult share = alice->Run({"share", "plan.txt", "--with", HandleOf(*bob)});
  ASSERT_EQ(share.exit_code, 0) << share.Describe();
  CliResult got = bob->Run({"get", id, "-o", bob->File("plan")});
  ASSERT_EQ(got.exit_code, 0) << got.Describe();
  EXPECT_EQ(ReadFile(bob->File("plan")), data);
  CliResult ls = bob->Run({"--json", "ls"});
  ASSERT_EQ(ls.exit_code, 0) << ls.Describe();
  EXPECT_THAT(ls.out, HasSubstr(id));
  EXPECT_THAT(ls.out, HasSubstr("\"shared_with_me\": true"));

  CliResult not_carol = carol->Run({"get", id, "-o", carol->File("plan")});
  EXPECT_EQ(not_carol.exit_code, 4) << not_carol.Describe();
  // The recipient cannot re-share or delete it (it reads it: not allowed, exit 3).
  CliResult reshare = bob->Run({"share", id, "--with", HandleOf(*carol)});
  EXPECT_EQ(reshare.exit_code, 3) << reshare.Describe();
  CliResult rm = bob->Run({"rm", id});
  EXPECT_EQ(rm.exit_code, 3) << rm.Describe();

  // Sharing with a second account keeps the first one's access.
  ASSERT_EQ(alice->Run({"share", id, "--with", HandleOf(*carol)}).exit_code, 0);
  EXPECT_EQ(carol->Run({"get", id, "-o", carol->File("plan")}).exit_code, 0);
  EXPECT_EQ(ReadFile(carol->File("plan")), data);
  EXPECT_EQ(bob->Run({"get", id, "-o", bob->File("plan2")}).exit_code, 0);
  EXPECT_EQ(ReadFile(bob->File("plan2")), data);

  CliResult nobody = alice->Run({"share", id, "--with", "nobody-here-xyz"});
  EXPECT_EQ(nobody.exit_code, 4) << nobody.Describe();
}

TEST_F(CliEndToEndTest, PublicLinkIsFetchedWithoutAnAccountUntilDisabled) {
  auto alice = SignUp("alice");
  const std::string data = WriteRandomFile(alice->File("photo.jpg"), 2500000, 5);
  const std::string id = Put(*alice, alice->File("photo.jpg"), "photo.jpg");
  CliResult link = alice->Run({"link", "photo.jpg"});
  ASSERT_EQ(link.exit_code, 0) << link.Describe();
  const std::string url(absl::StripAsciiWhitespace(link.out));
  EXPECT_THAT(url, ::testing::StartsWith("freehold://" + id + "#AGE-SECRET-KEY-1"));

  // A stranger: no session, no password.
  CliUser stranger(cluster().accounts_address(), cluster().coordinator_address(), "",
                   cluster().ca_file());
  CliResult fetched = stranger.Run({"fetch", url, "-o", stranger.File("photo.jpg")});
  ASSERT_EQ(fetched.exit_code, 0) << fetched.Describe();
  EXPECT_EQ(ReadFile(stranger.File("photo.jpg")), data);

  // A damaged key never opens the file.
  std::string bad = url;
  bad.back() = bad.back() == 'Q' ? 'P' : 'Q';
  CliResult damaged = stranger.Run({"fetch", bad, "-o", stranger.File("bad")});
  EXPECT_NE(damaged.exit_code, 0) << damaged.Describe();

  ASSERT_EQ(alice->Run({"link", "--disable", id}).exit_code, 0);
  CliResult off = stranger.Run({"fetch", url, "-o", stranger.File("photo2.jpg")});
  EXPECT_EQ(off.exit_code, 4) << off.Describe();  // like a deleted file: nothing is revealed
  EXPECT_THAT(off.err, HasSubstr("no longer works"));
}

TEST_F(CliEndToEndTest, AccountsCannotListReadOrDeleteEachOthersFiles) {
  auto alice = SignUp("alice");
  auto mallory = SignUp("mallory");
  const std::string data = WriteRandomFile(alice->File("diary"), 5000, 9);
  const std::string id = Put(*alice, alice->File("diary"), "diary");
  CliResult ls = mallory->Run({"--json", "ls"});
  ASSERT_EQ(ls.exit_code, 0) << ls.Describe();
  EXPECT_THAT(ls.out, ::testing::Not(HasSubstr(id)));
  // Another account's file answers like one that does not exist (exit 4, not found).
  CliResult get = mallory->Run({"get", id, "-o", mallory->File("diary")});
  EXPECT_EQ(get.exit_code, 4) << get.Describe();
  CliResult exp = mallory->Run({"export", id, "-o", mallory->File("diary.age")});
  EXPECT_EQ(exp.exit_code, 4) << exp.Describe();
  CliResult rm = mallory->Run({"rm", id});
  EXPECT_EQ(rm.exit_code, 4) << rm.Describe();
  CliResult link = mallory->Run({"link", id});
  EXPECT_NE(link.exit_code, 0) << link.Describe();
  CliResult still = alice->Run({"get", id, "-o", alice->File("diary.back")});
  ASSERT_EQ(still.exit_code, 0) << still.Describe();
  EXPECT_EQ(ReadFile(alice->File("diary.back")), data);
}

// The cluster speaks TLS only: the CLI verifies it with the CA (every other
// test), and when the handshake cannot succeed it says what to check.
TEST_F(CliEndToEndTest, SpeaksTlsAndExplainsHandshakeFailures) {
  auto alice = SignUp("tls");
  ASSERT_EQ(alice->Run({"ls"}).exit_code, 0);

  // Without the CA: the system trust store does not know the private CA.
  CliResult no_ca = alice->Run({"ls"}, {{"FREEHOLD_CA_FILE", ""}});
  EXPECT_NE(no_ca.exit_code, 0);
  EXPECT_THAT(no_ca.err, HasSubstr("--ca-file")) << no_ca.Describe();

  // A CA that did not sign the servers' certificates.
  testing::TestPki other;
  CliResult wrong = alice->Run({"ls"}, {{"FREEHOLD_CA_FILE", other.ca_file()}});
  EXPECT_NE(wrong.exit_code, 0);
  EXPECT_THAT(wrong.err, HasSubstr(other.ca_file())) << wrong.Describe();

  // Plaintext to a TLS server fails, and says so.
  CliResult plain = alice->Run({"ls"}, {{"FREEHOLD_CA_FILE", ""}, {"FREEHOLD_PLAINTEXT", "1"}});
  EXPECT_NE(plain.exit_code, 0);
  EXPECT_THAT(plain.err, HasSubstr("drop --plaintext")) << plain.Describe();

  // Plaintext to another machine is refused before any byte is sent.
  CliResult remote = alice->Run(
      {"--plaintext", "--accounts", "192.0.2.1:17101", "--coordinator", "192.0.2.1:17103", "ls"},
      {{"FREEHOLD_CA_FILE", ""}});
  EXPECT_NE(remote.exit_code, 0);
  EXPECT_THAT(remote.err, HasSubstr("--insecure-plaintext-to-remote-host")) << remote.Describe();
}

TEST_F(CliEndToEndTest, WrongPasswordIsRefusedWithExitCode3) {
  auto alice = SignUp("alice");
  const std::string handle = HandleOf(*alice);
  CliResult ls = alice->Run({"ls"}, {{"FREEHOLD_PASSWORD", "not the password"}});
  EXPECT_EQ(ls.exit_code, 3) << ls.Describe();
  EXPECT_THAT(ls.err, HasSubstr("wrong password"));
  CliResult logout = alice->Run({"logout"});
  ASSERT_EQ(logout.exit_code, 0) << logout.Describe();
  CliResult not_in = alice->Run({"ls"});
  EXPECT_EQ(not_in.exit_code, 3) << not_in.Describe();
  EXPECT_THAT(not_in.err, HasSubstr("freehold login"));
  CliResult login =
      alice->Run({"login", "--handle", handle}, {{"FREEHOLD_PASSWORD", "not the password"}});
  EXPECT_EQ(login.exit_code, 3) << login.Describe();
  EXPECT_THAT(login.err, HasSubstr("wrong handle or password"));
  CliResult ok = alice->Run({"login", "--handle", handle});
  ASSERT_EQ(ok.exit_code, 0) << ok.Describe();
  CliResult who = alice->Run({"whoami"});
  ASSERT_EQ(who.exit_code, 0) << who.Describe();
  EXPECT_THAT(who.out, HasSubstr(handle));
}

TEST_F(CliEndToEndTest, FullLocalDiskIsReportedAndExits6) {
  auto alice = SignUp("alice");
  WriteRandomFile(alice->File("big"), 300000, 1);
  const std::string id = Put(*alice, alice->File("big"), "big");
  CliResult full = alice->Run({"get", id, "-o", "/dev/full"});
  EXPECT_EQ(full.exit_code, 6) << full.Describe();
  EXPECT_THAT(full.err, HasSubstr("disk is full"));
}

// freehold-admin with the cluster's operator certificate; exit code and stdout.
std::pair<int, std::string> Admin(Cluster& cluster, std::vector<std::string> args) {
  testing::TempDir out("admin-out-");
  testing::ProcessOptions options;
  options.binary = testing::BinaryPath("freehold-admin");
  // Over TLS with the operator certificate, as the cluster's operator.
  options.args = {"--coordinator", cluster.coordinator_address(),
                  "--ca-file",     cluster.ca_file(),
                  "--tls-cert",    cluster.operator_tls().cert_file,
                  "--tls-key",     cluster.operator_tls().key_file};
  options.args.insert(options.args.end(), args.begin(), args.end());
  options.stdout_path = out.File("stdout");
  absl::StatusOr<std::unique_ptr<testing::Process>> p = testing::Process::Start(options);
  if (!p.ok()) return {-1, p.status().ToString()};
  absl::StatusOr<int> code = (*p)->Wait(absl::Seconds(30));
  std::ifstream in(options.stdout_path);
  std::stringstream text;
  text << in.rdbuf();
  return {code.ok() ? *code : -1, text.str() + (*p)->ReadStderr()};
}

TEST_F(CliEndToEndTest, AnUnapprovedDaemonIsPendingUntilAnOperatorApprovesItAndRevokeTakesItOut) {
  const std::string data_dir = cluster().dir() + "/unapproved-node";
  ASSERT_OK_AND_ASSIGN(testing::StoragedIdentity identity,
                       testing::PrintStoragedIdentity(data_dir));
  testing::ProcessOptions options;
  options.binary = testing::BinaryPath("freehold-storaged");
  options.args = {"--listen", "127.0.0.1:0", "--metrics-listen", "", "--data-dir", data_dir,
                  "--coordinator", cluster().coordinator_address(), "--coordinator-keys",
                  cluster().dir() + "/coordinator/coordinator.pub", "--region", "local",
                  "--zone", "zone-1", "--host", "host-unapproved", "--capacity-bytes", "1GiB",
                  "--reserve-bytes", "0", "--heartbeat-interval", "1s", "--max-backoff", "500ms",
                  "--log-level", "warn"};
  // A valid storaged certificate for its own id: admission, not TLS, keeps it out.
  const TlsConfig tls = cluster().pki().Issue("unapproved", kRoleStoraged, identity.node_id);
  options.args.insert(options.args.end(), {"--tls-cert", tls.cert_file, "--tls-key",
                                           tls.key_file, "--tls-ca", tls.ca_file});
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<testing::Process> daemon,
                       testing::Process::Start(options));

  // Refused and listed as pending, with its key's fingerprint; not a member.
  std::pair<int, std::string> pending;
  for (int i = 0; i < 100; ++i) {
    pending = Admin(cluster(), {"nodes", "pending"});
    if (pending.second.find(identity.node_id) != std::string::npos) break;
    absl::SleepFor(absl::Milliseconds(200));
  }
  ASSERT_EQ(pending.first, 0) << pending.second;
  EXPECT_THAT(pending.second, HasSubstr(identity.node_id));
  EXPECT_THAT(pending.second, HasSubstr("host-unapproved"));
  EXPECT_THAT(pending.second, HasSubstr("SHA256:"));
  EXPECT_THAT(pending.second, HasSubstr("unknown"));
  ASSERT_OK_AND_ASSIGN(v1::ClusterStatusResponse status, cluster().Status());
  for (const v1::NodeInfo& n : status.nodes()) EXPECT_NE(n.node_id(), identity.node_id);

  // Approved from its pending attempt: it joins.
  std::pair<int, std::string> approved = Admin(cluster(), {"nodes", "approve", identity.node_id});
  ASSERT_EQ(approved.first, 0) << approved.second;
  ASSERT_OK(cluster().WaitForNodesUp(7, absl::Seconds(30)));

  // Revoked: out at once (down), its heartbeats refused.
  std::pair<int, std::string> revoked = Admin(cluster(), {"nodes", "revoke", identity.node_id});
  ASSERT_EQ(revoked.first, 0) << revoked.second;
  ASSERT_OK(cluster().WaitForNodesUp(6, absl::Seconds(10)));
  ASSERT_OK_AND_ASSIGN(status, cluster().Status());
  for (const v1::NodeInfo& n : status.nodes()) {
    if (n.node_id() == identity.node_id) EXPECT_EQ(n.state(), v1::NODE_STATE_DOWN);
  }
  (void)daemon->Stop(absl::Seconds(10));
}

// Errors that need no cluster.
class CliErrorsTest : public ::testing::Test {
 protected:
  std::string DeadAddress() {
    absl::StatusOr<int> port = testing::PickFreePort();
    return absl::StrCat("127.0.0.1:", port.ok() ? *port : 1);
  }
};

TEST_F(CliErrorsTest, UnreachableClusterExits5AndSaysWhatToCheck) {
  const std::string dead = DeadAddress();
  CliUser user(dead, dead, "pw");
  CliResult r = user.Run({"login", "--handle", "alice"});
  EXPECT_EQ(r.exit_code, 5) << r.Describe();
  EXPECT_THAT(r.err, HasSubstr("cannot reach the accounts service at " + dead));
  EXPECT_THAT(r.err, HasSubstr("FREEHOLD_ACCOUNTS_ADDR"));
  CliResult fetch =
      user.Run({"fetch", "freehold://0123456789abcdef0123456789abcdef#AGE-SECRET-KEY-1QQQ"});
  EXPECT_NE(fetch.exit_code, 0) << fetch.Describe();
}

TEST_F(CliErrorsTest, MissingFileExits4) {
  CliUser user(DeadAddress(), DeadAddress(), "pw");
  CliResult r = user.Run({"put", user.File("does-not-exist.bin")});
  EXPECT_EQ(r.exit_code, 4) << r.Describe();
  EXPECT_THAT(r.err, HasSubstr("does-not-exist.bin: no such file"));
}

TEST_F(CliErrorsTest, BadUsageExits2AndNotLoggedInExits3) {
  CliUser user(DeadAddress(), DeadAddress(), "pw");
  EXPECT_EQ(user.Run({"put"}).exit_code, 2);
  EXPECT_EQ(user.Run({"frobnicate"}).exit_code, 2);
  EXPECT_EQ(user.Run({"fetch", "https://example.com/x"}).exit_code, 2);
  CliResult ls = user.Run({"ls"});
  EXPECT_EQ(ls.exit_code, 3) << ls.Describe();
  EXPECT_THAT(ls.err, HasSubstr("not logged in"));
  CliResult help = user.Run({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.out, HasSubstr("Exit codes"));
}

}  // namespace
}  // namespace freehold::e2e
