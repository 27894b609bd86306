// Rotation of the Stripe webhook secret without a restart, against the real
// freehold-donations binary and PostgreSQL: the secrets come from
// --stripe-webhook-secrets-file, re-read on change and on SIGHUP. A client thread
// delivers signed payments throughout, the way Stripe does while an endpoint secret
// is rolled: first with the old secret, then with either, then with the new one only.
// No delivery may fail and every one must be recorded.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <pqxx/pqxx>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "services/donations/core/webhook_signature.h"
#include "tests/donations/donations_test_support.h"
#include "tests/support/process.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace freehold::donations::testing {
namespace {

using freehold::testing::BinaryPath;
using freehold::testing::Process;
using freehold::testing::TempDir;
using ::testing::HasSubstr;

constexpr char kNewSecret[] = "whsec_test_rotated_in_00112233445566778899";

// POSTs a Stripe delivery to http://<host:port>/webhooks/stripe over a fresh
// connection; returns the HTTP status (or -1 on a transport error, *error set).
int PostDelivery(const std::string& address, const std::string& body, const std::string& signature,
                 std::string* error) {
  const size_t colon = address.rfind(':');
  int port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(address.substr(colon + 1), &port)) {
    *error = "bad address " + address;
    return -1;
  }
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *error = "socket";
    return -1;
  }
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    ::close(fd);
    *error = "connect";
    return -1;
  }
  const std::string request =
      absl::StrCat("POST /webhooks/stripe HTTP/1.1\r\nHost: ", address,
                   "\r\nContent-Type: application/json\r\nStripe-Signature: ", signature,
                   "\r\nContent-Length: ", body.size(), "\r\nConnection: close\r\n\r\n", body);
  size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      ::close(fd);
      *error = "send";
      return -1;
    }
    sent += static_cast<size_t>(n);
  }
  std::string response;
  char buf[4096];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) response.append(buf, static_cast<size_t>(n));
  ::close(fd);
  int status = -1;
  // "HTTP/1.1 200 OK"
  if (response.size() >= 12 && absl::StartsWith(response, "HTTP/1.")) {
    (void)absl::SimpleAtoi(response.substr(9, 3), &status);
  }
  if (status < 0) *error = "no HTTP status in: " + response.substr(0, 200);
  if (status != 200) *error = response.substr(0, 300);
  return status;
}

class WebhookSecretRotationTest : public freehold::testing::PostgresTest {
 protected:
  // The secrets file, replaced atomically (as a Kubernetes Secret update does).
  void WriteSecrets(const std::string& text, mode_t mode = 0600) {
    dir_.WriteFile("secrets.next", text, mode);
    ASSERT_EQ(std::rename(dir_.File("secrets.next").c_str(), secrets_file_.c_str()), 0);
  }

  void StartBinary(const std::string& reload_interval) {
    ASSERT_OK_AND_ASSIGN(
        process_,
        Process::Start(
            {.binary = BinaryPath("freehold-donations"),
             .args = {"--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0", "--http-listen",
                      "127.0.0.1:0", "--database-url", db_url(), "--stripe-webhook-secrets-file",
                      secrets_file_, "--stripe-webhook-secrets-reload-interval", reload_interval},
             .stdout_path = stdout_path_}));
    ASSERT_OK_AND_ASSIGN(ready_, WaitForReady(*process_, stdout_path_, absl::Seconds(30)));
  }

  // How many times the service has put a new version of the file in force (start-up
  // excluded): counted in its log.
  int Reloads() {
    const std::string log = process_->ReadStderr();
    int n = 0;
    for (size_t at = log.find("re-read file put in force"); at != std::string::npos;
         at = log.find("re-read file put in force", at + 1)) {
      ++n;
    }
    return n;
  }
  bool WaitForReloads(int n) {
    const absl::Time deadline = absl::Now() + absl::Seconds(15);
    while (Reloads() < n && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(20));
    return Reloads() >= n;
  }

  // One payment delivery signed with `secret`; returns the HTTP status.
  int Deliver(const std::string& id, const std::string& secret, std::string* error) {
    const int64_t now = absl::ToUnixSeconds(absl::Now());
    const std::string body = PaymentIntentSucceeded(
        {.event_id = "evt_" + id, .payment_intent = "pi_" + id, .amount = 100, .created = now});
    return PostDelivery(ready_.http, body, SignPayload(secret, now, body), error);
  }

  int64_t RecordedEvents() {
    pqxx::connection c(db_url());
    pqxx::work w(c);
    return w.exec1("SELECT count(*) FROM donations.events WHERE event_id LIKE 'evt_rot%'")[0]
        .as<int64_t>();
  }

  TempDir dir_{"donations-rot-"};
  const std::string secrets_file_ = dir_.File("stripe-secrets");
  const std::string stdout_path_ = dir_.File("stdout.txt");
  std::unique_ptr<Process> process_;
  Ready ready_;
};

TEST_F(WebhookSecretRotationTest, RollingTheSecretUnderTrafficLosesNoDelivery) {
  WriteSecrets(absl::StrCat("# Stripe endpoint secrets\n", kOldSecret, "\n"));
  StartBinary("200ms");

  // The sender: phase 0 old secret only, 1 either (alternating), 2 new only.
  std::atomic<int> phase{0};
  std::atomic<bool> stop{false};
  std::atomic<int> sent{0}, by_old{0}, by_new{0};
  absl::Mutex mu;
  std::vector<std::string> failures;
  std::thread sender([&] {
    for (int i = 0; !stop.load(); ++i) {
      const int p = phase.load();
      const bool use_new = p == 2 || (p == 1 && i % 2 == 1);
      std::string error;
      const int status = Deliver(absl::StrCat("rot", i), use_new ? kNewSecret : kOldSecret, &error);
      if (status != 200) {
        absl::MutexLock lock(&mu);
        failures.push_back(absl::StrCat("delivery ", i, " (phase ", p, "): ", status, " ", error));
      }
      ++sent;
      ++(use_new ? by_new : by_old);
    }
  });
  auto deliveries = [&](int more) {
    const int target = sent.load() + more;
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    while (sent.load() < target && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(10));
    return sent.load() >= target;
  };

  EXPECT_TRUE(deliveries(10));
  // 1. The operator adds the new secret (Stripe's "roll secret" keeps the old one valid).
  WriteSecrets(absl::StrCat(kOldSecret, "\n", kNewSecret, "\n"));
  ASSERT_TRUE(WaitForReloads(1)) << process_->ReadStderr();
  phase = 1;
  EXPECT_TRUE(deliveries(20));
  // 2. Stripe signs with the new secret only; 3. the operator removes the old one.
  phase = 2;
  EXPECT_TRUE(deliveries(10));
  WriteSecrets(absl::StrCat(kNewSecret, "\n"));
  ASSERT_TRUE(WaitForReloads(2)) << process_->ReadStderr();
  EXPECT_TRUE(deliveries(10));
  stop = true;
  sender.join();

  {
    absl::MutexLock lock(&mu);
    EXPECT_THAT(failures, ::testing::IsEmpty());
  }
  EXPECT_GT(by_old.load(), 10);
  EXPECT_GT(by_new.load(), 20);
  // No delivery lost: every accepted one is recorded.
  EXPECT_EQ(RecordedEvents(), sent.load());

  // After the removal the old secret is refused, the new one accepted.
  std::string error;
  EXPECT_EQ(Deliver("rot_after_old", kOldSecret, &error), 400);
  EXPECT_EQ(Deliver("rot_after_new", kNewSecret, &error), 200) << error;
  ASSERT_OK_AND_ASSIGN(int code, process_->Stop());
  EXPECT_EQ(code, 0);
  // Secrets never reach the log.
  const std::string log = process_->ReadStderr();
  EXPECT_THAT(log, Not(HasSubstr(kOldSecret)));
  EXPECT_THAT(log, Not(HasSubstr(kNewSecret)));
}

TEST_F(WebhookSecretRotationTest, ABrokenOrOpenSecretsFileKeepsTheSecretsAndSighupRereads) {
  WriteSecrets(absl::StrCat(kOldSecret, "\n"));
  StartBinary("1h");  // re-read only on SIGHUP within the test's time
  std::string error;
  EXPECT_EQ(Deliver("rotb1", kOldSecret, &error), 200) << error;

  // Readable by other users: refused, the old secret stays in force.
  WriteSecrets(absl::StrCat(kNewSecret, "\n"), 0644);
  process_->Signal(SIGHUP);
  ASSERT_OK(process_->WaitForStderrLine("accessible by other users", absl::Seconds(10)));
  EXPECT_EQ(Deliver("rotb2", kOldSecret, &error), 200) << error;
  EXPECT_EQ(Deliver("rotb3", kNewSecret, &error), 400);
  // Malformed (white space inside a line): refused the same way.
  WriteSecrets(absl::StrCat(kNewSecret, " ", kOldSecret, "\n"));
  process_->Signal(SIGHUP);
  ASSERT_OK(process_->WaitForStderrLine("without white space", absl::Seconds(10)));
  EXPECT_EQ(Deliver("rotb4", kOldSecret, &error), 200) << error;
  int code = 0;
  EXPECT_THAT(RunCommand(absl::StrCat("curl -s http://", ready_.metrics, "/metrics"), &code),
              HasSubstr("freehold_file_reload_failing{file=\"--stripe-webhook-secrets-file\"} 1"));

  // A good version: SIGHUP puts it in force at once.
  WriteSecrets(absl::StrCat(kNewSecret, "\n"));
  process_->Signal(SIGHUP);
  ASSERT_TRUE(WaitForReloads(1)) << process_->ReadStderr();
  EXPECT_EQ(Deliver("rotb5", kNewSecret, &error), 200) << error;
  EXPECT_EQ(Deliver("rotb6", kOldSecret, &error), 400);
  EXPECT_THAT(RunCommand(absl::StrCat("curl -s http://", ready_.metrics, "/metrics"), &code),
              HasSubstr("freehold_file_reload_failing{file=\"--stripe-webhook-secrets-file\"} 0"));
}

TEST(WebhookSecretsFileTest, ParsesOneSecretPerLineAndNamesTheBadLineNeverTheSecret) {
  ASSERT_OK_AND_ASSIGN(
      std::vector<std::string> secrets,
      ParseWebhookSecretsFile("# rolled 2026-12-07\n  whsec_a  \n\nwhsec_b\n", "f"));
  EXPECT_THAT(secrets, ::testing::ElementsAre("whsec_a", "whsec_b"));
  absl::StatusOr<std::vector<std::string>> bad =
      ParseWebhookSecretsFile("whsec_a\nwhsec_x y\n", "f");
  EXPECT_THAT(
      bad, freehold::testing::StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("f line 2")));
  EXPECT_THAT(std::string(bad.status().message()), Not(HasSubstr("whsec_x")));
  EXPECT_FALSE(ParseWebhookSecretsFile("whsec_a\nwhsec_a\n", "f").ok());
  EXPECT_FALSE(ParseWebhookSecretsFile("# none\n", "f").ok());
  EXPECT_FALSE(ParseWebhookSecretsFile(std::string(2000, 'x'), "f").ok());
}

}  // namespace
}  // namespace freehold::donations::testing
