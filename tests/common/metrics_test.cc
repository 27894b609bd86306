// MetricsExposer, registry helpers and the gRPC metrics interceptor.
#include "common/metrics.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <prometheus/counter.h>
#include <sys/socket.h>
#include <unistd.h>

#include "absl/time/clock.h"
#include "common/grpc_server.h"
#include "tests/support/status_matchers.h"

namespace freehold {
namespace {

using ::freehold::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Optional;

// Plain HTTP/1.0 GET against 127.0.0.1:port; returns the whole response.
std::string HttpGet(int port, const std::string& path) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return "";
  }
  const std::string req = "GET " + path + " HTTP/1.0\r\nHost: localhost\r\n\r\n";
  (void)!::write(fd, req.data(), req.size());
  std::string out;
  char buf[4096];
  for (int i = 0; i < 10000; ++i) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

TEST(MetricsExposerTest, ServesRegistryOnPortZero) {
  ASSERT_OK_AND_ASSIGN(auto exposer, MetricsExposer::Start("127.0.0.1:0"));
  EXPECT_GT(exposer->port(), 0);
  EXPECT_EQ(exposer->url(), "http://127.0.0.1:" + std::to_string(exposer->port()) + "/metrics");
  auto& family = prometheus::BuildCounter()
                     .Name("freehold_test_things_total")
                     .Help("things")
                     .Register(exposer->registry());
  family.Add({{"kind", "a"}}).Increment(3);
  const std::string body = HttpGet(exposer->port(), "/metrics");
  EXPECT_THAT(body, HasSubstr("200 OK"));
  EXPECT_THAT(body, HasSubstr("freehold_test_things_total{kind=\"a\"} 3"));
  EXPECT_THAT(ReadMetric(exposer->registry(), "freehold_test_things_total", {{"kind", "a"}}),
              Optional(3.0));
  EXPECT_EQ(ReadMetric(exposer->registry(), "freehold_test_things_total", {{"kind", "b"}}),
            std::nullopt);
  EXPECT_THAT(SerializeMetrics(exposer->registry()),
              HasSubstr("# TYPE freehold_test_things_total counter"));
}

TEST(MetricsExposerTest, ReportsBadOrBusyAddresses) {
  EXPECT_THAT(MetricsExposer::Start("no-port"), StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_OK_AND_ASSIGN(auto first, MetricsExposer::Start("127.0.0.1:0"));
  EXPECT_THAT(MetricsExposer::Start("127.0.0.1:" + std::to_string(first->port())),
              StatusIs(absl::StatusCode::kUnavailable));
}

TEST(RpcMetricsTest, CountsCallsByServiceMethodAndCode) {
  prometheus::Registry registry;
  GrpcServerOptions options;
  options.metrics_registry = &registry;
  ASSERT_OK_AND_ASSIGN(auto server, GrpcServer::Start(options, {}));
  ASSERT_OK_AND_ASSIGN(auto channel, MakeChannel(server->address()));
  for (int i = 0; i < 3; ++i) EXPECT_OK(CheckHealth(*channel, "", absl::Seconds(10)));
  // The default health service answers NOT_FOUND for an unknown service name.
  EXPECT_THAT(CheckHealth(*channel, "no.such.Service", absl::Seconds(10)),
              StatusIs(absl::StatusCode::kNotFound));
  const std::map<std::string, std::string> ok_labels = {
      {"service", "grpc.health.v1.Health"}, {"method", "Check"}, {"code", "OK"}};
  // The interceptor records just before the status is sent: poll briefly.
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (ReadMetric(registry, "freehold_rpc_total", ok_labels) != 3.0 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_THAT(ReadMetric(registry, "freehold_rpc_total", ok_labels), Optional(3.0));
  EXPECT_THAT(
      ReadMetric(
          registry, "freehold_rpc_total",
          {{"service", "grpc.health.v1.Health"}, {"method", "Check"}, {"code", "NOT_FOUND"}}),
      Optional(1.0));
  EXPECT_THAT(ReadMetric(registry, "freehold_rpc_duration_seconds",
                         {{"service", "grpc.health.v1.Health"}, {"method", "Check"}}),
              Optional(4.0));
}

}  // namespace
}  // namespace freehold
