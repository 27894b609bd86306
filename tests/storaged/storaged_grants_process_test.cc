// freehold-storaged as a real process: one PutShard per shard key at a time, and a
// PutShard stream that outlives its grant is ended with nothing left on disk.
#include <gmock/gmock.h>
#include <grpcpp/client_context.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "absl/time/clock.h"
#include "tests/storaged/storaged_harness.h"
#include "tests/storaged/storaged_test_util.h"
#include "tests/support/temp_dir.h"

namespace freehold::storaged {
namespace {

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

}  // namespace
}  // namespace freehold::storaged
