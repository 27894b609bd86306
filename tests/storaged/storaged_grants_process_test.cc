// freehold-storaged as a real process: one PutShard per shard key at a time, and a
// PutShard stream that outlives its grant is ended with nothing left on disk.
#include <gmock/gmock.h>
#include <grpcpp/client_context.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "absl/time/clock.h"
#include "common/bloom_filter.h"
#include "common/grpc_status.h"
#include "common/peer_identity.h"
#include "services/storaged/core/node_identity.h"
#include "tests/storaged/storaged_harness.h"
#include "tests/storaged/storaged_test_util.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_pki.h"

namespace freehold::storaged {
namespace {

using ::freehold::testing::StatusIs;
using ::testing::HasSubstr;
using namespace ::freehold::storaged::testing;  // NOLINT

class StoragedGrantsProcessTest : public ::testing::Test {
 protected:
  StoragedGrantsProcessTest() : coordinator_(NewKey("coord-1")) {
    keys_file_ =
        dir_.WriteFile("coordinator.pub", FormatPublicKeyFile({coordinator_.public_key()}), 0644);
    data_dir_ = dir_.File("data");
    DaemonOptions options;
    options.data_dir = data_dir_;
    options.keys_file = keys_file_;
    absl::StatusOr<std::unique_ptr<StoragedDaemon>> daemon = StoragedDaemon::Start(options);
    EXPECT_TRUE(daemon.ok()) << daemon.status();
    if (daemon.ok()) daemon_ = *std::move(daemon);
  }

  std::string PutToken(const std::string& key, std::string_view data, absl::Duration ttl) {
    return SignGrant(coordinator_, MakeGrant(GrantOperation::kPut, daemon_->node_id(), key, data,
                                             absl::Now() + ttl));
  }

  size_t TempFiles() const {
    size_t n = 0;
    std::error_code ec;
    for (auto it = std::filesystem::directory_iterator(data_dir_ + "/tmp", ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
      ++n;
    }
    return n;
  }
  bool WaitForTempFiles(size_t n, absl::Duration timeout = absl::Seconds(10)) {
    const absl::Time deadline = absl::Now() + timeout;
    while (absl::Now() < deadline) {
      if (TempFiles() == n) return true;
      absl::SleepFor(absl::Milliseconds(10));
    }
    return TempFiles() == n;
  }

  // An open PutShard stream that has sent its grant and `first` bytes.
  struct OpenStream {
    grpc::ClientContext context;
    v1::PutShardResponse response;
    std::unique_ptr<grpc::ClientWriter<v1::PutShardRequest>> writer;
  };
  std::unique_ptr<OpenStream> Open(const std::string& token, std::string_view first) {
    auto stream = std::make_unique<OpenStream>();
    stream->context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
    stream->writer = daemon_->stub().PutShard(&stream->context, &stream->response);
    v1::PutShardRequest grant;
    grant.mutable_grant()->set_token(token);
    EXPECT_TRUE(stream->writer->Write(grant));
    v1::PutShardRequest data;
    data.set_data(std::string(first));
    EXPECT_TRUE(stream->writer->Write(data));
    return stream;
  }

  freehold::testing::TempDir dir_;
  TokenSigner coordinator_;
  std::string keys_file_;
  std::string data_dir_;
  std::unique_ptr<StoragedDaemon> daemon_;
};

TEST_F(StoragedGrantsProcessTest, SecondConcurrentPutOfTheSameShardIsAbortedAndTheFirstCompletes) {
  ASSERT_NE(daemon_, nullptr);
  const std::string data = PatternBytes(300000);
  const std::string token = PutToken(ShardKey(1), data, absl::Minutes(5));
  std::unique_ptr<OpenStream> first = Open(token, std::string_view(data).substr(0, 100000));
  ASSERT_TRUE(WaitForTempFiles(1));  // the first upload is in progress on the daemon

  const PutResult replay = PutShard(daemon_->stub(), token, data);
  EXPECT_EQ(replay.status.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_THAT(replay.status.error_message(),
              HasSubstr("another PutShard of shard " + ShardKey(1) + " is in progress"));

  v1::PutShardRequest rest;
  rest.set_data(data.substr(100000));
  ASSERT_TRUE(first->writer->Write(rest));
  ASSERT_TRUE(first->writer->WritesDone());
  const grpc::Status finished = first->writer->Finish();
  ASSERT_TRUE(finished.ok()) << finished.error_message();
  EXPECT_FALSE(first->response.already_present());
  GetResult got = GetShard(daemon_->stub(),
                           SignGrant(coordinator_, MakeGrant(GrantOperation::kGet,
                                                             daemon_->node_id(), ShardKey(1), "",
                                                             absl::Now() + absl::Minutes(5))));
  ASSERT_TRUE(got.status.ok()) << got.status.error_message();
  EXPECT_TRUE(got.data == data);
  EXPECT_EQ(TempFiles(), 0u);
}

TEST_F(StoragedGrantsProcessTest, StreamStillSendingWhenItsGrantExpiresEndsDeadlineExceeded) {
  ASSERT_NE(daemon_, nullptr);
  const std::string data = PatternBytes(1 << 20);
  const absl::Time start = absl::Now();
  std::unique_ptr<OpenStream> stream =
      Open(PutToken(ShardKey(2), data, absl::Seconds(2)), std::string_view(data).substr(0, 1000));
  ASSERT_TRUE(WaitForTempFiles(1));
  // Keep trickling bytes (never the whole shard) until the daemon ends the stream.
  size_t sent = 1000;
  v1::PutShardRequest piece;
  while (absl::Now() - start < absl::Seconds(10) && sent + 1000 < data.size()) {
    piece.set_data(data.substr(sent, 1000));
    if (!stream->writer->Write(piece)) break;
    sent += 1000;
    absl::SleepFor(absl::Milliseconds(50));
  }
  const grpc::Status status = stream->writer->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << status.error_message();
  EXPECT_THAT(status.error_message(), HasSubstr("grant expired at"));
  EXPECT_LT(absl::Now() - start, absl::Seconds(8));
  EXPECT_TRUE(WaitForTempFiles(0));  // nothing half-written is left
}

TEST_F(StoragedGrantsProcessTest, IdleStreamIsEndedWhenItsGrantExpiresAndLeavesNothing) {
  ASSERT_NE(daemon_, nullptr);
  const std::string data = PatternBytes(500000);
  const absl::Time start = absl::Now();
  std::unique_ptr<OpenStream> stream =
      Open(PutToken(ShardKey(3), data, absl::Seconds(2)), std::string_view(data).substr(0, 1000));
  ASSERT_TRUE(WaitForTempFiles(1));
  // The client sends nothing more; the daemon must not wait for it forever.
  const grpc::Status status = stream->writer->Finish();
  EXPECT_FALSE(status.ok());
  EXPECT_LT(absl::Now() - start, absl::Seconds(8)) << status.error_message();
  EXPECT_TRUE(WaitForTempFiles(0));
  // And the key is free again for a fresh grant.
  const PutResult again = PutShard(daemon_->stub(), PutToken(ShardKey(3), data, absl::Minutes(1)),
                                   data);
  EXPECT_TRUE(again.status.ok()) << again.status.error_message();
}

// SweepOrphans deletes data: only the coordinator's certificate may call it.
TEST(StoragedSweepOrphansProcessTest, OnlyTheCoordinatorMaySweepAndBadFiltersAreRefused) {
  if (!freehold::testing::TestPki::Available()) GTEST_SKIP() << "no openssl command";
  freehold::testing::TempDir dir;
  TokenSigner coordinator(NewKey("coord-1"));
  const std::string keys_file =
      dir.WriteFile("coordinator.pub", FormatPublicKeyFile({coordinator.public_key()}), 0644);
  freehold::testing::TestPki pki;
  const TlsConfig node_tls = pki.Issue("node", kRoleStoraged, "n1");
  freehold::testing::ProcessOptions options;
  options.binary = freehold::testing::BinaryPath("freehold-storaged");
  options.args = {"--data-dir", dir.File("data"),   "--coordinator-keys", keys_file,
                  "--listen",   "127.0.0.1:0",      "--metrics-listen",   "",
                  "--tls-cert", node_tls.cert_file, "--tls-key",          node_tls.key_file,
                  "--tls-ca",   node_tls.ca_file};
  ASSERT_OK_AND_ASSIGN(auto process, freehold::testing::Process::Start(options));
  ASSERT_OK_AND_ASSIGN(std::string ready,
                       process->WaitForStderrLine("READY grpc=", absl::Seconds(20)));
  std::string address = ready.substr(ready.find("grpc=") + 5);
  address = address.substr(0, address.find_first_of(" \n"));
  ASSERT_OK_AND_ASSIGN(NodeIdentity identity, LoadOrCreateNodeIdentity(dir.File("data")));

  BloomFilter filter = BloomFilter::ForCapacity(10, 1e-3, BloomFilter::NewKey());
  v1::SweepOrphansRequest request;
  request.set_node_id(identity.node_id);
  request.mutable_filter()->set_bits(filter.bits());
  request.mutable_filter()->set_hash_count(filter.hash_count());
  request.mutable_filter()->set_hash_key(filter.key());
  auto sweep = [&](const ClientTlsOptions& tls,
                   const v1::SweepOrphansRequest& r) -> absl::StatusOr<v1::SweepOrphansResponse> {
    absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = MakeChannel(address, tls);
    if (!channel.ok()) return channel.status();
    auto stub = v1::StorageNode::NewStub(*channel);
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    v1::SweepOrphansResponse response;
    absl::Status s = FromGrpcStatus(stub->SweepOrphans(&ctx, r, &response));
    if (!s.ok()) return s;
    return response;
  };
  const ClientTlsOptions coordinator_tls = pki.Issue("coordinator", kRoleCoordinator, "c1").Client();
  EXPECT_THAT(sweep(pki.TrustOnly(), request), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(sweep(pki.Issue("other", kRoleStoraged, "n2").Client(), request),
              StatusIs(absl::StatusCode::kPermissionDenied));
  ASSERT_OK_AND_ASSIGN(v1::SweepOrphansResponse swept, sweep(coordinator_tls, request));
  EXPECT_EQ(swept.examined(), 0u);
  v1::SweepOrphansRequest other_node = request;
  other_node.set_node_id("someone-else");
  EXPECT_THAT(sweep(coordinator_tls, other_node),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("another node")));
  v1::SweepOrphansRequest bad = request;
  bad.mutable_filter()->set_hash_key("short");
  EXPECT_THAT(sweep(coordinator_tls, bad),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("filter.hash_key")));
  EXPECT_OK(process->Stop(absl::Seconds(10)).status());
}

}  // namespace
}  // namespace freehold::storaged
