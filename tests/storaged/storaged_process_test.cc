// freehold-storaged as a real process on loopback: the data path (put, get, audit,
// delete, stats, list), bad input leaving the disk unchanged, reserve refusal,
// crash safety and restarts.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <grpcpp/client_context.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sodium.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/time/clock.h"
#include "common/grpc_server.h"
#include "common/grpc_status.h"
#include "common/peer_identity.h"
#include "common/signed_token.h"
#include "services/storaged/core/key_ring.h"
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

class StoragedProcessTest : public ::testing::Test {
 protected:
  StoragedProcessTest() : coordinator_(NewKey("coord-1")) {
    keys_file_ =
        dir_.WriteFile("coordinator.pub", FormatPublicKeyFile({coordinator_.public_key()}), 0644);
    data_dir_ = dir_.File("data");
  }

  void StartDaemon(std::vector<std::string> extra = {}) {
    DaemonOptions options;
    options.data_dir = data_dir_;
    options.keys_file = keys_file_;
    options.extra_args = std::move(extra);
    absl::StatusOr<std::unique_ptr<StoragedDaemon>> daemon = StoragedDaemon::Start(options);
    ASSERT_TRUE(daemon.ok()) << daemon.status();
    daemon_ = *std::move(daemon);
  }

  std::string Token(GrantOperation op, const std::string& key, std::string_view data = "",
                    absl::Duration ttl = absl::Minutes(10)) {
    return SignGrant(coordinator_, MakeGrant(op, daemon_->node_id(), key, data, absl::Now() + ttl));
  }
  std::string Token(const Grant& grant) { return SignGrant(coordinator_, grant); }

  PutResult Put(const std::string& key, std::string_view data) {
    return PutShard(daemon_->stub(), Token(GrantOperation::kPut, key, data), data);
  }

  v1::NodeStatsResponse Stats() {
    grpc::ClientContext context;
    v1::NodeStatsResponse response;
    EXPECT_TRUE(daemon_->stub().NodeStats(&context, v1::NodeStatsRequest(), &response).ok());
    return response;
  }

  // Waits (bounded) until the data directory looks like `expected`.
  bool WaitForTree(const std::map<std::string, int64_t>& expected) {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (absl::Now() < deadline) {
      if (SnapshotTree(data_dir_) == expected) return true;
      absl::SleepFor(absl::Milliseconds(10));
    }
    return false;
  }

  freehold::testing::TempDir dir_;
  TokenSigner coordinator_;
  std::string keys_file_;
  std::string data_dir_;
  std::unique_ptr<StoragedDaemon> daemon_;
};

TEST_F(StoragedProcessTest, PutGetRangeAuditListDeleteAndStats) {
  StartDaemon();
  const std::string data = PatternBytes(3 * (1 << 20) + 5);
  const std::string key = ShardKey(1);
  PutResult put = Put(key, data);
  ASSERT_TRUE(put.status.ok()) << put.status.error_message();
  EXPECT_FALSE(put.response.already_present());

  // The receipt verifies with the key NodeStats publishes.
  PublicKey node_key;
  node_key.key_id = daemon_->node_id();
  std::memcpy(node_key.key.data(), daemon_->node_public_key().data(), 32);
  ASSERT_OK_AND_ASSIGN(
      std::string payload,
      TokenVerifier({node_key}).Verify(put.response.receipt().token(), kReceiptContext));
  ASSERT_OK_AND_ASSIGN(Receipt receipt, DecodeReceipt(payload));
  EXPECT_EQ(receipt.shard_key, key);
  EXPECT_EQ(receipt.sha256, Sha256Of(data));
  EXPECT_EQ(receipt.size_bytes, data.size());
  EXPECT_EQ(receipt.node_id, daemon_->node_id());

  GetResult all = GetShard(daemon_->stub(), Token(GrantOperation::kGet, key));
  ASSERT_TRUE(all.status.ok()) << all.status.error_message();
  EXPECT_TRUE(all.data == data);
  EXPECT_EQ(all.total_size, data.size());
  EXPECT_EQ(all.messages, 4);
  EXPECT_LE(all.largest_message, size_t{1} << 20);

  GetResult range = GetShard(daemon_->stub(), Token(GrantOperation::kGet, key), 1000, 1500000);
  ASSERT_TRUE(range.status.ok());
  EXPECT_TRUE(range.data == data.substr(1000, 1500000));
  EXPECT_EQ(range.total_size, data.size());
  GetResult past = GetShard(daemon_->stub(), Token(GrantOperation::kGet, key), data.size() + 1);
  EXPECT_EQ(past.status.error_code(), grpc::StatusCode::OUT_OF_RANGE);

  const std::string challenge = PatternBytes(32, 7);
  v1::AuditShardRequest audit_request;
  audit_request.mutable_grant()->set_token(Token(GrantOperation::kAudit, key));
  audit_request.set_challenge_key(challenge);
  v1::AuditShardResponse audit;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(daemon_->stub().AuditShard(&context, audit_request, &audit).ok());
  }
  std::string expected(32, '\0');
  crypto_generichash(reinterpret_cast<unsigned char*>(expected.data()), 32,
                     reinterpret_cast<const unsigned char*>(data.data()), data.size(),
                     reinterpret_cast<const unsigned char*>(challenge.data()), 32);
  EXPECT_EQ(audit.keyed_hash(), expected);
  EXPECT_EQ(audit.size_bytes(), data.size());

  v1::NodeStatsResponse stats = Stats();
  EXPECT_EQ(stats.used_bytes(), data.size());
  EXPECT_EQ(stats.shard_count(), 1u);
  EXPECT_EQ(stats.corrupt_shards(), 0u);
  EXPECT_GT(stats.capacity_bytes(), stats.used_bytes());
  EXPECT_GT(stats.free_bytes(), 0u);
  EXPECT_EQ(stats.node_public_key().size(), 32u);
  EXPECT_THAT(stats.version(), HasSubstr("freehold-storaged"));

  {
    grpc::ClientContext context;
    v1::ListShardsResponse list;
    ASSERT_TRUE(daemon_->stub().ListShards(&context, v1::ListShardsRequest(), &list).ok());
    EXPECT_THAT(list.keys(), ::testing::ElementsAre(key));
    EXPECT_EQ(list.next_page_token(), "");
  }

  v1::DeleteShardRequest del;
  del.mutable_grant()->set_token(Token(GrantOperation::kDelete, key));
  v1::DeleteShardResponse deleted;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(daemon_->stub().DeleteShard(&context, del, &deleted).ok());
  }
  EXPECT_TRUE(deleted.existed());
  EXPECT_EQ(Stats().shard_count(), 0u);
  EXPECT_EQ(Stats().used_bytes(), 0u);
  EXPECT_EQ(GetShard(daemon_->stub(), Token(GrantOperation::kGet, key)).status.error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(StoragedProcessTest, OversizedKeysAreRefusedQuicklyWithAShortMessage) {
  ASSERT_NO_FATAL_FAILURE(StartDaemon());
  // 10 MB is over the daemon's request size limit (RESOURCE_EXHAUSTED from gRPC); 60 KB
  // fits in a request and is refused by the shard key's own bound.
  for (const size_t size : {size_t{10} << 20, size_t{60} << 10}) {
    const std::string huge(size, 'k');
    const grpc::StatusCode want = size > (1 << 20) ? grpc::StatusCode::RESOURCE_EXHAUSTED
                                                   : grpc::StatusCode::INVALID_ARGUMENT;
    {
      grpc::ClientContext context;
      v1::ListShardsRequest request;
      request.mutable_page()->set_page_token(huge);
      v1::ListShardsResponse list;
      const absl::Time start = absl::Now();
      grpc::Status s = daemon_->stub().ListShards(&context, request, &list);
      EXPECT_EQ(s.error_code(), want) << size << ": " << s.error_message().substr(0, 200);
      EXPECT_LE(s.error_message().size(), 256u);
      EXPECT_LT(absl::Now() - start, absl::Seconds(2));
    }
    // A grant naming the shard key.
    GetResult got = GetShard(daemon_->stub(), Token(GrantOperation::kGet, huge));
    EXPECT_EQ(got.status.error_code(), want)
        << size << ": " << got.status.error_message().substr(0, 200);
    EXPECT_LE(got.status.error_message().size(), 256u);
  }
}

TEST_F(StoragedProcessTest, BadPutsAreRefusedPreciselyAndLeaveTheDiskUnchanged) {
  StartDaemon();
  ASSERT_TRUE(Put(ShardKey(100), "an existing shard").status.ok());
  const auto before = SnapshotTree(data_dir_);
  const std::string data = PatternBytes(200000);
  const std::string key = ShardKey(1);
  const absl::Time later = absl::Now() + absl::Minutes(10);

  struct Case {
    std::string name;
    std::string token;
    std::string sent;
    grpc::StatusCode code;
    std::string message;
  };
  TokenSigner stranger(NewKey("coord-1"));
  Grant other_node =
      MakeGrant(GrantOperation::kPut, "00000000-0000-4000-8000-000000000001", key, data, later);
  Grant expired = MakeGrant(GrantOperation::kPut, daemon_->node_id(), key, data,
                            absl::Now() - absl::Seconds(1));
  Grant wrong_hash = MakeGrant(GrantOperation::kPut, daemon_->node_id(), key, data, later);
  wrong_hash.sha256 = Sha256Of("not the data");
  std::vector<Case> cases = {
      {"bad signature",
       SignGrant(stranger, MakeGrant(GrantOperation::kPut, daemon_->node_id(), key, data, later)),
       data, grpc::StatusCode::UNAUTHENTICATED, "grant rejected"},
      {"garbage token", "garbage", data, grpc::StatusCode::UNAUTHENTICATED, "grant"},
      {"expired", Token(expired), data, grpc::StatusCode::DEADLINE_EXCEEDED, "grant expired"},
      {"other node", Token(other_node), data, grpc::StatusCode::PERMISSION_DENIED, "for node"},
      {"wrong operation", Token(GrantOperation::kGet, key), data,
       grpc::StatusCode::PERMISSION_DENIED, "GET"},
      {"short stream", Token(GrantOperation::kPut, key, data), data.substr(0, 150000),
       grpc::StatusCode::INVALID_ARGUMENT, "stream ended after 150000"},
      {"long stream", Token(GrantOperation::kPut, key, data), data + "x",
       grpc::StatusCode::INVALID_ARGUMENT, "size_bytes"},
      {"wrong hash", Token(wrong_hash), data, grpc::StatusCode::INVALID_ARGUMENT, "sha256"},
      {"dot-dot key", Token(GrantOperation::kPut, "../x", data), data,
       grpc::StatusCode::INVALID_ARGUMENT, "shard_key"},
      {"slash key", Token(GrantOperation::kPut, "a/b", data), data,
       grpc::StatusCode::INVALID_ARGUMENT, "shard_key"},
      {"other bytes under an existing key", Token(GrantOperation::kPut, ShardKey(100), data), data,
       grpc::StatusCode::ALREADY_EXISTS, "different sha256"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    PutResult result = PutShard(daemon_->stub(), c.token, c.sent, 64 << 10);
    EXPECT_EQ(result.status.error_code(), c.code) << result.status.error_message();
    EXPECT_THAT(result.status.error_message(), HasSubstr(c.message));
    EXPECT_TRUE(WaitForTree(before));
  }

  // Data before the grant, and an empty stream.
  {
    grpc::ClientContext context;
    v1::PutShardResponse response;
    auto writer = daemon_->stub().PutShard(&context, &response);
    v1::PutShardRequest request;
    request.set_data("bytes first");
    writer->Write(request);
    writer->WritesDone();
    grpc::Status status = writer->Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(status.error_message(), HasSubstr("grant"));
  }
  {
    grpc::ClientContext context;
    v1::PutShardResponse response;
    auto writer = daemon_->stub().PutShard(&context, &response);
    writer->WritesDone();
    EXPECT_EQ(writer->Finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }
  EXPECT_TRUE(WaitForTree(before));
  EXPECT_EQ(Stats().shard_count(), 1u);
}

TEST_F(StoragedProcessTest, CancelledUploadLeavesNoTrace) {
  StartDaemon();
  const auto before = SnapshotTree(data_dir_);
  const std::string data = PatternBytes(4 << 20);
  grpc::ClientContext context;
  v1::PutShardResponse response;
  auto writer = daemon_->stub().PutShard(&context, &response);
  v1::PutShardRequest request;
  request.mutable_grant()->set_token(Token(GrantOperation::kPut, ShardKey(1), data));
  ASSERT_TRUE(writer->Write(request));
  request.set_data(data.substr(0, 1 << 20));
  ASSERT_TRUE(writer->Write(request));
  // Wait until the daemon has a temp file, i.e. the upload is in progress.
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (CountFiles(data_dir_ + "/tmp") == 0 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  ASSERT_EQ(CountFiles(data_dir_ + "/tmp"), 1u);
  context.TryCancel();
  EXPECT_EQ(writer->Finish().error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_TRUE(WaitForTree(before));
  EXPECT_EQ(Stats().shard_count(), 0u);
}

// Data messages built by hand around slices of the shard (the bench client's way)
// are ordinary PutShard messages: stored bytes, hash checks and refusals are the same.
TEST_F(StoragedProcessTest, ReadyMadeDataMessagesAreStoredLikeAnyOther) {
  StartDaemon();
  const std::string data = PatternBytes(3 << 20 | 12345, 9);
  PutResult put = PutShardZeroCopy(daemon_->channel(),
                                   Token(GrantOperation::kPut, ShardKey(1), data), data, 300000);
  ASSERT_TRUE(put.status.ok()) << put.status.error_message();
  EXPECT_FALSE(put.response.already_present());
  EXPECT_FALSE(put.response.receipt().token().empty());
  GetResult got = GetShard(daemon_->stub(), Token(GrantOperation::kGet, ShardKey(1)));
  ASSERT_TRUE(got.status.ok()) << got.status.error_message();
  EXPECT_EQ(got.data, data);

  const auto before = SnapshotTree(data_dir_);
  Grant wrong_hash = MakeGrant(GrantOperation::kPut, daemon_->node_id(), ShardKey(2), data,
                               absl::Now() + absl::Minutes(10));
  wrong_hash.sha256 = Sha256Of("other bytes");
  PutResult refused = PutShardZeroCopy(daemon_->channel(), Token(wrong_hash), data, 1 << 20);
  EXPECT_EQ(refused.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(refused.status.error_message(), HasSubstr("sha256 mismatch"));
  PutResult longer = PutShardZeroCopy(
      daemon_->channel(), Token(GrantOperation::kPut, ShardKey(3), data), data + "x", 1 << 20);
  EXPECT_EQ(longer.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(longer.status.error_message(), HasSubstr("size_bytes"));
  EXPECT_TRUE(WaitForTree(before));
}

TEST_F(StoragedProcessTest, RePutOfTheSameShardIsIdempotent) {
  StartDaemon();
  const std::string data = PatternBytes(300000);
  PutResult first = Put(ShardKey(1), data);
  ASSERT_TRUE(first.status.ok());
  const auto before = SnapshotTree(data_dir_);
  PutResult second = Put(ShardKey(1), data);
  ASSERT_TRUE(second.status.ok()) << second.status.error_message();
  EXPECT_TRUE(second.response.already_present());
  EXPECT_FALSE(second.response.receipt().token().empty());
  EXPECT_EQ(SnapshotTree(data_dir_), before);
  EXPECT_EQ(Stats().shard_count(), 1u);
}

TEST_F(StoragedProcessTest, RefusesPutsThatWouldEatIntoTheReserve) {
  StartDaemon({"--capacity-bytes", "1MiB", "--reserve-bytes", "256KiB"});
  v1::NodeStatsResponse stats = Stats();
  EXPECT_EQ(stats.capacity_bytes(), 1u << 20);
  EXPECT_EQ(stats.free_bytes(), 768u << 10);
  ASSERT_TRUE(Put(ShardKey(1), PatternBytes(512 << 10, 1)).status.ok());
  const auto before = SnapshotTree(data_dir_);
  PutResult refused = Put(ShardKey(2), PatternBytes(512 << 10, 2));
  EXPECT_EQ(refused.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(refused.status.error_message(), HasSubstr("not enough space"));
  EXPECT_TRUE(WaitForTree(before));
  EXPECT_EQ(Stats().free_bytes(), 256u << 10);
  EXPECT_TRUE(Put(ShardKey(2), PatternBytes(256 << 10, 2)).status.ok());
  EXPECT_EQ(Stats().free_bytes(), 0u);
}

TEST_F(StoragedProcessTest, CrashDuringAWriteLeavesNoShardAndNoTempFile) {
  StartDaemon();
  const std::string data = PatternBytes(4 << 20);
  {
    grpc::ClientContext context;
    v1::PutShardResponse response;
    auto writer = daemon_->stub().PutShard(&context, &response);
    v1::PutShardRequest request;
    request.mutable_grant()->set_token(Token(GrantOperation::kPut, ShardKey(1), data));
    ASSERT_TRUE(writer->Write(request));
    request.set_data(data.substr(0, 2 << 20));  // half the bytes
    ASSERT_TRUE(writer->Write(request));
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (CountFiles(data_dir_ + "/tmp") == 0 && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(5));
    }
    ASSERT_EQ(CountFiles(data_dir_ + "/tmp"), 1u);
    daemon_->KillHard();
    EXPECT_FALSE(writer->Finish().ok());
  }
  EXPECT_EQ(CountFiles(data_dir_ + "/tmp"), 1u);  // the crash left it behind
  StartDaemon();
  EXPECT_EQ(CountFiles(data_dir_ + "/tmp"), 0u);
  EXPECT_EQ(Stats().shard_count(), 0u);
  EXPECT_EQ(Stats().used_bytes(), 0u);
  EXPECT_EQ(GetShard(daemon_->stub(), Token(GrantOperation::kGet, ShardKey(1))).status.error_code(),
            grpc::StatusCode::NOT_FOUND);
  // The same put succeeds afterwards.
  EXPECT_TRUE(Put(ShardKey(1), data).status.ok());
}

TEST_F(StoragedProcessTest, ShardsAndIdentitySurviveARestart) {
  StartDaemon();
  const std::string node_id = daemon_->node_id();
  const std::string public_key = daemon_->node_public_key();
  const std::string data = PatternBytes(1 << 20);
  ASSERT_TRUE(Put(ShardKey(1), data).status.ok());
  ASSERT_OK_AND_ASSIGN(int code, daemon_->Stop());
  EXPECT_EQ(code, 0);
  StartDaemon();
  EXPECT_EQ(daemon_->node_id(), node_id);
  EXPECT_EQ(daemon_->node_public_key(), public_key);
  EXPECT_EQ(Stats().used_bytes(), data.size());
  GetResult got = GetShard(daemon_->stub(), Token(GrantOperation::kGet, ShardKey(1)));
  ASSERT_TRUE(got.status.ok());
  EXPECT_TRUE(got.data == data);
}

TEST_F(StoragedProcessTest, AcceptsGrantsFromANewKeyAfterSighup) {
  StartDaemon({"--keys-reload-interval", "0s"});
  TokenSigner next(NewKey("coord-2"));
  const std::string data = "rotated";
  Grant grant = MakeGrant(GrantOperation::kPut, daemon_->node_id(), ShardKey(1), data,
                          absl::Now() + absl::Minutes(5));
  EXPECT_EQ(PutShard(daemon_->stub(), SignGrant(next, grant), data).status.error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  dir_.WriteFile("coordinator.pub",
                 FormatPublicKeyFile({next.public_key(), coordinator_.public_key()}), 0644);
  daemon_->process().Signal(SIGHUP);
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  grpc::Status status;
  while (absl::Now() < deadline) {
    status = PutShard(daemon_->stub(), SignGrant(next, grant), data).status;
    if (status.ok()) break;
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_TRUE(status.ok()) << status.error_message();
  // The old key still works (rotation keeps it).
  EXPECT_TRUE(Put(ShardKey(2), "old key").status.ok());
}

TEST_F(StoragedProcessTest, PicksUpAChangedKeyFileWithoutASignal) {
  StartDaemon({"--keys-reload-interval", "100ms", "--direct-io=false"});
  TokenSigner next(NewKey("coord-2"));
  const std::string data = "signed by the next key";
  Grant grant = MakeGrant(GrantOperation::kPut, daemon_->node_id(), ShardKey(1), data,
                          absl::Now() + absl::Minutes(5));
  EXPECT_EQ(PutShard(daemon_->stub(), SignGrant(next, grant), data).status.error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  dir_.WriteFile("coordinator.pub", FormatPublicKeyFile({next.public_key()}), 0644);
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  grpc::Status status;
  while (absl::Now() < deadline) {
    status = PutShard(daemon_->stub(), SignGrant(next, grant), data).status;
    if (status.ok()) break;
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_TRUE(status.ok()) << status.error_message();
  // The old key was removed from the file: its grants are refused now.
  EXPECT_EQ(Put(ShardKey(2), "old key").status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(StoragedProcessTest, ExposesStoragedAndRpcMetrics) {
  StartDaemon();
  ASSERT_TRUE(Put(ShardKey(1), PatternBytes(100000)).status.ok());
  ASSERT_TRUE(GetShard(daemon_->stub(), Token(GrantOperation::kGet, ShardKey(1))).status.ok());
  ASSERT_OK_AND_ASSIGN(std::string body, HttpGetMetrics(daemon_->metrics_address()));
  EXPECT_THAT(body, HasSubstr("freehold_storaged_bytes_in_total 100000"));
  EXPECT_THAT(body, HasSubstr("freehold_storaged_bytes_out_total 100000"));
  EXPECT_THAT(body, HasSubstr("freehold_storaged_shards 1"));
  EXPECT_THAT(body, HasSubstr("freehold_storaged_capacity_bytes{state=\"used\"} 100000"));
  EXPECT_THAT(body, HasSubstr("freehold_storaged_capacity_bytes{state=\"free\"}"));
  EXPECT_THAT(body, HasSubstr("freehold_storaged_fsync_seconds_count"));
  EXPECT_THAT(body, HasSubstr("freehold_storaged_corrupt_shards 0"));
  EXPECT_THAT(body, HasSubstr("freehold_rpc_total"));
}

TEST_F(StoragedProcessTest, InvalidConfigurationExitsNamingTheFlag) {
  freehold::testing::ProcessOptions options;
  options.binary = freehold::testing::BinaryPath("freehold-storaged");
  options.args = {"--data-dir",       data_dir_, "--coordinator-keys", keys_file_,
                  "--capacity-bytes", "1000",    "--reserve-bytes",    "1000"};
  ASSERT_OK_AND_ASSIGN(auto process, freehold::testing::Process::Start(options));
  ASSERT_OK_AND_ASSIGN(int code, process->Wait(absl::Seconds(10)));
  EXPECT_EQ(code, 2);
  EXPECT_THAT(process->ReadStderr(), HasSubstr("--reserve-bytes"));

  options.args = {"--data-dir", data_dir_,     "--coordinator-keys", dir_.File("missing.pub"),
                  "--listen",   "127.0.0.1:0", "--metrics-listen",   ""};
  ASSERT_OK_AND_ASSIGN(process, freehold::testing::Process::Start(options));
  ASSERT_OK_AND_ASSIGN(code, process->Wait(absl::Seconds(10)));
  EXPECT_EQ(code, 1);
  EXPECT_THAT(process->ReadStderr(), HasSubstr("missing.pub"));
}

TEST_F(StoragedProcessTest, PrintIdentityCreatesAndPrintsTheNodeIdentity) {
  const std::string dir = dir_.File("fresh-node");
  freehold::testing::ProcessOptions options;
  options.binary = freehold::testing::BinaryPath("freehold-storaged");
  options.args = {"--print-identity", "--data-dir", dir};
  options.stdout_path = dir_.File("identity.out");
  ASSERT_OK_AND_ASSIGN(auto process, freehold::testing::Process::Start(options));
  ASSERT_OK_AND_ASSIGN(int code, process->Wait(absl::Seconds(10)));
  ASSERT_EQ(code, 0) << process->ReadStderr();
  ASSERT_OK_AND_ASSIGN(NodeIdentity identity, LoadOrCreateNodeIdentity(dir));
  std::ifstream in(options.stdout_path);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), "node_id " + identity.node_id + "\npublic_key " +
                            FormatPublicKey(identity.key.Public()) + "\n");
  // The daemon started on that directory keeps the identity.
  DaemonOptions daemon_options;
  daemon_options.data_dir = dir;
  daemon_options.keys_file = keys_file_;
  ASSERT_OK_AND_ASSIGN(auto daemon, StoragedDaemon::Start(daemon_options));
  EXPECT_EQ(daemon->node_id(), identity.node_id);
}

TEST_F(StoragedProcessTest, CoordinatorOnlyCallsNeedTheCoordinatorCertificateWithTls) {
  if (!freehold::testing::TestPki::Available()) GTEST_SKIP() << "no openssl command";
  freehold::testing::TestPki pki;
  const TlsConfig node_tls = pki.Issue("node", kRoleStoraged, "n1");
  freehold::testing::ProcessOptions options;
  options.binary = freehold::testing::BinaryPath("freehold-storaged");
  options.args = {"--data-dir", data_dir_,          "--coordinator-keys", keys_file_,
                  "--listen",   "127.0.0.1:0",      "--metrics-listen",   "",
                  "--tls-cert", node_tls.cert_file, "--tls-key",          node_tls.key_file,
                  "--tls-ca",   node_tls.ca_file};
  ASSERT_OK_AND_ASSIGN(auto process, freehold::testing::Process::Start(options));
  ASSERT_OK_AND_ASSIGN(std::string ready,
                       process->WaitForStderrLine("READY grpc=", absl::Seconds(20)));
  std::string address = ready.substr(ready.find("grpc=") + 5);
  address = address.substr(0, address.find_first_of(" \n"));

  auto call = [&](const ClientTlsOptions& tls) -> absl::Status {
    absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = MakeChannel(address, tls);
    if (!channel.ok()) return channel.status();
    auto stub = v1::StorageNode::NewStub(*channel);
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    v1::NodeStatsResponse stats;
    absl::Status s = FromGrpcStatus(stub->NodeStats(&ctx, v1::NodeStatsRequest(), &stats));
    if (!s.ok()) return s;
    grpc::ClientContext list_ctx;
    list_ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    v1::ListShardsResponse list;
    return FromGrpcStatus(stub->ListShards(&list_ctx, v1::ListShardsRequest(), &list));
  };
  // The CLI (no certificate) and another node are refused; the coordinator is not.
  EXPECT_THAT(call(pki.TrustOnly()), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(call(pki.Issue("other", kRoleStoraged, "n2").Client()),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_OK(call(pki.Issue("coordinator", kRoleCoordinator, "c1").Client()));
  // Grant-based calls stay open to callers without a certificate: GetShard answers
  // about the grant, not the caller.
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = MakeChannel(address, pki.TrustOnly());
  ASSERT_OK(channel.status());
  auto stub = v1::StorageNode::NewStub(*channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  v1::GetShardRequest get;
  auto reader = stub->GetShard(&ctx, get);
  v1::GetShardResponse chunk;
  while (reader->Read(&chunk)) {
  }
  EXPECT_THAT(FromGrpcStatus(reader->Finish()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("grant")));
  EXPECT_OK(process->Stop(absl::Seconds(10)).status());
}

}  // namespace
}  // namespace freehold::storaged
