// Shared fixture of the end-to-end tests: one cluster per test process
// (started in SetUpTestSuite; ctest runs each test in its own process) and
// helpers to sign users up.
#pragma once

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/grpc_server.h"
#include "freehold/v1/coordinator.grpc.pb.h"
#include "tests/e2e/cli_runner.h"
#include "tests/e2e/cluster.h"

namespace freehold::e2e {

// The JSON a `--json` command printed (a test failure if it is not JSON).
inline nlohmann::json Json(const CliResult& r) {
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << r.Describe();
  return j;
}

template <int kNodes, int kZones>
class ClusterTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { StartWith(Options()); }
  // The suite's options; a test suite with other settings defines its own
  // SetUpTestSuite calling StartWith(options).
  static ClusterOptions Options() {
    ClusterOptions o;
    o.storage_nodes = kNodes;
    o.zones = kZones;
    return o;
  }
  static void StartWith(const ClusterOptions& o) {
    absl::StatusOr<std::unique_ptr<Cluster>> c = Cluster::Start(o);
    if (c.ok()) {
      cluster_ = c->release();
    } else {
      start_error_ = new std::string(c.status().ToString());
    }
  }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
    delete start_error_;
    start_error_ = nullptr;
  }
  void SetUp() override {
    ASSERT_EQ(start_error_, nullptr) << "cluster did not start: " << *start_error_;
    // A previous test (same process) may have stopped daemons.
    absl::Status s = cluster_->RestoreAllNodes(absl::Seconds(30));
    ASSERT_TRUE(s.ok()) << s;
  }
  Cluster& cluster() { return *cluster_; }

  // A new user with a unique handle, signed up and logged in.
  std::unique_ptr<CliUser> SignUp(const std::string& prefix) {
    static int counter = 0;
    const std::string handle =
        prefix + std::to_string(::getpid()) + "x" + std::to_string(++counter);
    auto user = std::make_unique<CliUser>(
        cluster_->accounts_address(), cluster_->coordinator_address(), TestPassword(handle),
        cluster_->ca_file());
    CliResult r = user->Run({"signup", "--handle", handle});
    EXPECT_EQ(r.exit_code, 0) << r.Describe();
    handles_[user.get()] = handle;
    return user;
  }
  std::string HandleOf(const CliUser& u) { return handles_[&u]; }

  // Puts `path` and returns the object id (from --json output).
  std::string Put(const CliUser& u, const std::string& path, const std::string& name) {
    CliResult r = u.Run({"--json", "put", path, "--name", name});
    EXPECT_EQ(r.exit_code, 0) << r.Describe();
    nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
    if (j.is_discarded() || !j.contains("id")) {
      ADD_FAILURE() << "no id in put output: " << r.Describe();
      return "";
    }
    return j["id"].get<std::string>();
  }

  // A client of the coordinator's gRPC API, as the CLI connects.
  std::unique_ptr<v1::Coordinator::Stub> CoordinatorStub() {
    absl::StatusOr<std::shared_ptr<grpc::Channel>> ch =
        MakeChannel(cluster_->coordinator_address(), cluster_->client_tls());
    EXPECT_TRUE(ch.ok()) << ch.status();
    return v1::Coordinator::NewStub(*ch);
  }

  // A 10 s deadline and the bearer token (if any).
  static void PrepareCall(grpc::ClientContext* ctx, const std::string& token) {
    ctx->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
  }

  // One value from the coordinator's database (NULL reads as 0).
  int64_t Sql(const std::string& query) {
    pqxx::connection c(cluster_->database_url());
    pqxx::work w(c);
    w.exec("SET search_path = coordinator");
    pqxx::row r = w.exec1(query);
    w.commit();
    return r[0].is_null() ? 0 : r[0].as<int64_t>();
  }

  // Sum of freehold_rpc_total for a coordinator method (all status codes).
  double RpcCount(const std::string& method) {
    CliResult r = RunTool("/usr/bin/curl",
                          {"-sS", "--max-time", "5",
                           absl::StrCat("http://", cluster_->coordinator_metrics_address(),
                                        "/metrics")},
                          cluster_->dir());
    EXPECT_EQ(r.exit_code, 0) << r.Describe();
    double total = 0;
    for (absl::string_view line : absl::StrSplit(r.out, '\n')) {
      if (!absl::StartsWith(line, "freehold_rpc_total{") ||
          !absl::StrContains(line, absl::StrCat("method=\"", method, "\""))) {
        continue;
      }
      double v = 0;
      if (absl::SimpleAtod(line.substr(line.rfind(' ') + 1), &v)) total += v;
    }
    return total;
  }

  static inline Cluster* cluster_ = nullptr;
  static inline std::string* start_error_ = nullptr;
  std::map<const CliUser*, std::string> handles_;
};

}  // namespace freehold::e2e
