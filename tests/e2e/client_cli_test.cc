// In-process tests of the CLI's libraries: the upload engine's admission
// handling and the download engine's shard verification against fake
// coordinator / storage gRPC servers, plus session files, links, sizes and
// exit codes.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <map>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "client/cli/config_dir.h"
#include "client/cli/downloader.h"
#include "client/cli/exit_codes.h"
#include "client/cli/file_io.h"
#include "client/cli/format.h"
#include "client/cli/object_ops.h"
#include "client/cli/rpc.h"
#include "client/cli/session.h"
#include "client/cli/uploader.h"
#include "client/core/age_file.h"
#include "common/erasure/erasure.h"
#include "common/grpc_server.h"
#include "freehold/v1/coordinator.grpc.pb.h"
#include "freehold/v1/storage.grpc.pb.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace freehold::cli {
namespace {

using ::testing::HasSubstr;

constexpr char kObjectId[] = "0123456789abcdef0123456789abcdef";

// Stores shards by key (the grant token is the key); can corrupt one.
class FakeStorage final : public v1::StorageNode::Service {
 public:
  // The first `transient_failures` PutShard calls fail UNAVAILABLE as a connect
  // failure does (the daemon is live; the next try reaches it).
  std::atomic<int> transient_failures{0};
  std::atomic<int> puts{0};
  grpc::Status PutShard(grpc::ServerContext*, grpc::ServerReader<v1::PutShardRequest>* reader,
                        v1::PutShardResponse* resp) override {
    ++puts;
    if (transient_failures.fetch_sub(1) > 0) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                          "failed to connect to all addresses; last error: UNKNOWN: "
                          "No such file or directory");
    }
    v1::PutShardRequest msg;
    std::string key, data;
    while (reader->Read(&msg)) {
      if (msg.has_grant()) key = msg.grant().token();
      data += msg.data();
    }
    std::lock_guard<std::mutex> lock(mu_);
    shards_[key] = data;
    resp->mutable_receipt()->set_token("receipt-" + key);
    return grpc::Status::OK;
  }
  grpc::Status GetShard(grpc::ServerContext*, const v1::GetShardRequest* req,
                        grpc::ServerWriter<v1::GetShardResponse>* writer) override {
    std::string data;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = shards_.find(req->grant().token());
      if (it == shards_.end()) return grpc::Status(grpc::StatusCode::NOT_FOUND, "no shard");
      data = it->second;
      ++reads_[req->grant().token()];
    }
    v1::GetShardResponse out;
    out.set_data(data);
    writer->Write(out);
    return grpc::Status::OK;
  }
  void Set(const std::string& key, std::string data) {
    std::lock_guard<std::mutex> lock(mu_);
    shards_[key] = std::move(data);
  }
  int Reads(const std::string& key) {
    std::lock_guard<std::mutex> lock(mu_);
    return reads_[key];
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::string> shards_;
  std::map<std::string, int> reads_;
};

// Admission scripted: the first `throttled` BeginSegment calls answer
// RESOURCE_EXHAUSTED with `message` (and retry-after-ms if set).
class FakeCoordinator final : public v1::Coordinator::Service {
 public:
  std::string storage_address;
  int throttled = 0;
  std::string message = "writes are throttled";
  std::string retry_after_ms;
  int begins = 0, deletes = 0, commits = 0, replacements = 0;

  grpc::Status CreateObject(grpc::ServerContext*, const v1::CreateObjectRequest*,
                            v1::CreateObjectResponse* resp) override {
    resp->set_object_id(kObjectId);
    resp->set_data_shards(2);
    resp->set_parity_shards(1);
    resp->set_segment_size_bytes(1 << 16);
    return grpc::Status::OK;
  }
  grpc::Status BeginSegment(grpc::ServerContext* ctx, const v1::BeginSegmentRequest* req,
                            v1::BeginSegmentResponse* resp) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (begins++ < throttled) {
      if (!retry_after_ms.empty()) ctx->AddTrailingMetadata("retry-after-ms", retry_after_ms);
      return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, message);
    }
    for (uint32_t i = 0; i < 3; ++i) {
      v1::ShardPlan* p = resp->add_shards();
      p->set_index(i);
      p->set_node_id(absl::StrCat("node-", i));
      p->set_node_address(storage_address);
      const std::string key = absl::StrCat(kObjectId, "-", req->segment(), "-", i);
      p->mutable_grant()->set_token(key);
      p->set_shard_key(key);
    }
    return grpc::Status::OK;
  }
  grpc::Status ReplaceShardTarget(grpc::ServerContext*, const v1::ReplaceShardTargetRequest*,
                                  v1::ReplaceShardTargetResponse*) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++replacements;
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "no other eligible storage node");
  }
  grpc::Status CommitSegment(grpc::ServerContext*, const v1::CommitSegmentRequest* req,
                             v1::CommitSegmentResponse*) override {
    return req->receipts_size() == 3 ? grpc::Status::OK
                                     : grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "n");
  }
  grpc::Status CommitObject(grpc::ServerContext*, const v1::CommitObjectRequest*,
                            v1::CommitObjectResponse*) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++commits;
    return grpc::Status::OK;
  }
  grpc::Status DeleteObject(grpc::ServerContext*, const v1::DeleteObjectRequest*,
                            v1::DeleteObjectResponse*) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++deletes;
    return grpc::Status::OK;
  }

 private:
  std::mutex mu_;
};

class RecordingObserver final : public TransferObserver {
 public:
  void Started(uint64_t, uint64_t) override {}
  void Moved(int64_t) override {}
  void Notice(absl::string_view m) override {
    std::lock_guard<std::mutex> lock(mu_);
    notices.emplace_back(m);
  }
  void Finished(bool) override {}
  std::vector<std::string> notices;

 private:
  std::mutex mu_;
};

class TransferTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = GrpcServer::Start({}, {&storage_});
    ASSERT_TRUE(s.ok()) << s.status();
    storage_server_ = *std::move(s);
    coordinator_.storage_address = storage_server_->address();
    auto c = GrpcServer::Start({}, {&coordinator_});
    ASSERT_TRUE(c.ok()) << c.status();
    coordinator_server_ = *std::move(c);
    auto svc = ConnectService("coordinator", coordinator_server_->address(), "--coordinator",
                              ClientTransport{.plaintext = true});
    ASSERT_TRUE(svc.ok());
    api_ = std::make_unique<CoordinatorApi>(*svc, nullptr);
  }

  absl::StatusOr<UploadResult> Upload(const std::string& data) {
    UploadConfig config;
    config.admission_retries = 3;
    config.sleep = [this](absl::Duration d) {
      std::lock_guard<std::mutex> lock(sleeps_mu_);  // shards are stored in parallel
      sleeps_.push_back(d);
    };
    Uploader uploader(*api_, nodes_, config, &observer_);
    client::SecretBytes key = client::SecretBytes::Random(16);
    client::SpanSource source(data);
    UploadInput in;
    in.plaintext = &source;
    in.plaintext_size = data.size();
    in.age_header = "header";
    in.file_key = &key;
    return uploader.Upload(in);
  }

  FakeStorage storage_;
  FakeCoordinator coordinator_;
  std::unique_ptr<GrpcServer> storage_server_, coordinator_server_;
  std::unique_ptr<CoordinatorApi> api_;
  StorageNodes nodes_{StorageNodesOptions{.transport = ClientTransport{.plaintext = true}}};
  RecordingObserver observer_;
  std::mutex sleeps_mu_;
  std::vector<absl::Duration> sleeps_;
};

TEST_F(TransferTest, ThrottledUploadWaitsAsToldAndShowsTheServersMessage) {
  coordinator_.throttled = 2;
  coordinator_.message = "new writes are slowed down: donations cover 80% of costs";
  coordinator_.retry_after_ms = "1500";
  absl::StatusOr<UploadResult> r = Upload(std::string(200000, 'x'));
  ASSERT_OK(r.status());
  EXPECT_EQ(sleeps_,
            std::vector<absl::Duration>({absl::Milliseconds(1500), absl::Milliseconds(1500)}));
  ASSERT_EQ(observer_.notices.size(), 2u);
  EXPECT_THAT(observer_.notices[0], HasSubstr("donations cover 80% of costs"));
  EXPECT_EQ(coordinator_.commits, 1);
}

TEST_F(TransferTest, ThrottlingThatNeverEndsGivesUpAfterBoundedRetries) {
  coordinator_.throttled = 1000;
  coordinator_.message = "throttled: please retry later";
  absl::StatusOr<UploadResult> r = Upload("hello");
  EXPECT_THAT(
      r, testing::StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("please retry later")));
  EXPECT_EQ(sleeps_.size(), 3u);
  EXPECT_EQ(coordinator_.begins, 4);
  EXPECT_EQ(coordinator_.deletes, 1);  // the unfinished object is cleaned up
}

TEST_F(TransferTest, AskedToWaitLongerThanTheLimitFailsAtOnceWithTheServersMessage) {
  coordinator_.throttled = 1000;
  coordinator_.message = "new uploads are being slowed down; donate at https://example.org";
  coordinator_.retry_after_ms = "600000";  // 10 min, above the 2 min default limit
  absl::StatusOr<UploadResult> r = Upload("hello");
  EXPECT_THAT(r, testing::StatusIs(absl::StatusCode::kResourceExhausted,
                                   ::testing::AllOf(HasSubstr("donate at https://example.org"),
                                                    HasSubstr("asks to wait 600 s"))));
  EXPECT_TRUE(sleeps_.empty());
  EXPECT_EQ(coordinator_.begins, 1);
  EXPECT_EQ(ExitCodeFor(r.status()), ExitCode::kRefused);
}

TEST_F(TransferTest, ClosedAdmissionFailsAtOnceWithTheServersMessage) {
  coordinator_.throttled = 1000;
  coordinator_.message = "storage is full; donate at https://example.org to add disks";
  absl::StatusOr<UploadResult> r = Upload("hello");
  EXPECT_THAT(r, testing::StatusIs(absl::StatusCode::kResourceExhausted,
                                   HasSubstr("donate at https://example.org")));
  EXPECT_TRUE(sleeps_.empty());
  EXPECT_EQ(ExitCodeFor(r.status()), ExitCode::kRefused);
}

// Adds a segment of `len` bytes whose shard 0 is corrupted on the node.
std::string AddSegment(v1::GetObjectResponse* m, FakeStorage& storage, const std::string& address,
                       int index, size_t len) {
  absl::StatusOr<erasure::ReedSolomon> rs = erasure::ReedSolomon::Create(2, 1);
  std::string segment(len, '\0');
  for (size_t i = 0; i < len; ++i) segment[i] = static_cast<char>(i * 7 + index);
  absl::StatusOr<erasure::EncodedSegment> enc =
      erasure::EncodeSegment(*rs, client::AsBytes(segment));
  v1::SegmentManifest* s = m->add_segments();
  s->set_segment(index);
  s->set_segment_size_bytes(len);
  s->set_shard_size_bytes(enc->shard_size);
  for (int i = 0; i < 3; ++i) {
    const std::string key = absl::StrCat("s", index, "k", i);
    std::string bytes(client::AsText(enc->shard(i)));
    if (i == 0) bytes[10] ^= 1;  // bit rot on the node
    storage.Set(key, bytes);
    v1::ShardLocation* l = s->add_shards();
    l->set_index(i);
    l->set_node_address(address);
    l->set_sha256(std::string(reinterpret_cast<const char*>(enc->hashes[i].data()), 32));
    l->set_state(v1::SHARD_STATE_HEALTHY);
    l->mutable_grant()->set_token(key);
  }
  m->mutable_object()->set_size_bytes(m->object().size_bytes() + len);
  return segment;
}

TEST_F(TransferTest, ShardWithWrongHashCountsAsMissingAndParityIsUsed) {
  v1::GetObjectResponse m;
  m.mutable_object()->set_object_id(kObjectId);
  m.set_data_shards(2);
  m.set_parity_shards(1);
  // A long segment then a short one: buffers recycled from the first must
  // not change the sizes expected for the second.
  std::string expected = AddSegment(&m, storage_, storage_server_->address(), 0, 100001);
  expected += AddSegment(&m, storage_, storage_server_->address(), 1, 1001);
  DownloadConfig config;
  config.segments_ahead = 1;
  Downloader d(nodes_, config, &observer_);
  std::string out;
  client::StringSink sink(&out);
  ASSERT_OK(d.Fetch(m, nullptr, sink));
  EXPECT_TRUE(out == expected);
  EXPECT_EQ(storage_.Reads("s0k2"), 1);  // parity fetched because shard 0 was bad
  EXPECT_EQ(storage_.Reads("s1k2"), 1);
  ASSERT_FALSE(observer_.notices.empty());
  EXPECT_THAT(observer_.notices[0], HasSubstr("does not match its hash"));

  storage_.Set("s0k2", "garbage");  // now two bad shards: fewer than k remain
  out.clear();
  EXPECT_THAT(d.Fetch(m, nullptr, sink),
              testing::StatusIs(absl::StatusCode::kDataLoss, HasSubstr("only 1 of the 2")));
}

TEST(InputFileTest, PositionalReadsAndTheUnchangedCheckSeeAFileThatShrankOrGrew) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/in.bin";
  const std::string content = "0123456789abcdef";
  { std::ofstream(path, std::ios::binary) << content; }
  absl::StatusOr<std::unique_ptr<InputFile>> in = InputFile::Open(path);
  ASSERT_OK(in.status());
  client::PositionalSource& src = **in;
  EXPECT_EQ(src.size(), content.size());
  std::string got(6, '\0');
  const std::span<uint8_t> span(reinterpret_cast<uint8_t*>(got.data()), got.size());
  ASSERT_OK(src.ReadAtOffset(10, span));
  EXPECT_EQ(got, "abcdef");
  EXPECT_OK(src.CheckUnchanged());
  EXPECT_THAT(src.ReadAtOffset(12, span), testing::StatusIs(absl::StatusCode::kOutOfRange));
  { std::ofstream(path, std::ios::binary | std::ios::app) << "x"; }
  EXPECT_THAT(src.CheckUnchanged(),
              testing::StatusIs(absl::StatusCode::kFailedPrecondition,
                                HasSubstr("grew while it was being uploaded")));
  ASSERT_EQ(::truncate(path.c_str(), 8), 0);
  EXPECT_THAT(src.ReadAtOffset(4, span),
              testing::StatusIs(absl::StatusCode::kFailedPrecondition,
                                HasSubstr("shrank while it was being uploaded")));
  EXPECT_THAT(src.CheckUnchanged(),
              testing::StatusIs(absl::StatusCode::kFailedPrecondition,
                                HasSubstr("shrank while it was being uploaded")));
}

TEST(InputFileTest, TheUnchangedCheckSeesAFileRewrittenInPlaceAtTheSameSize) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/in.bin";
  { std::ofstream(path, std::ios::binary) << "0123456789abcdef"; }
  absl::StatusOr<std::unique_ptr<InputFile>> in = InputFile::Open(path);
  ASSERT_OK(in.status());
  client::PositionalSource& src = **in;
  EXPECT_OK(src.CheckUnchanged());
  // Same size, other bytes, a later modification time.
  const struct timespec later[2] = {{0, UTIME_OMIT},
                                    {(*in)->info().modified_unix_nanos / 1000000000 + 5, 0}};
  { std::ofstream(path, std::ios::binary | std::ios::in) << "XXXX"; }
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), later, 0), 0);
  EXPECT_THAT(src.CheckUnchanged(),
              testing::StatusIs(absl::StatusCode::kFailedPrecondition,
                                HasSubstr("was modified while it was being uploaded")));
}

TEST(SessionFileTest, RoundTripsAndRejectsDamage) {
  Session s;
  s.accounts_address = "127.0.0.1:1";
  s.coordinator_address = "127.0.0.1:2";
  s.account_id = "a";
  s.handle = "alice";
  s.public_key = "age1xyz";
  s.session_id = "sess";
  s.access_token = "at";
  s.access_expires_at = absl::FromUnixSeconds(1700000000);
  s.refresh_token = "rt";
  s.refresh_expires_at = absl::FromUnixSeconds(1800000000);
  s.password_salt = std::vector<uint8_t>(16, 7);
  s.kdf = {2, 64 << 20};
  s.wrapped_identity = std::vector<uint8_t>(72, 9);
  absl::StatusOr<Session> back = SessionFromJson(SessionToJson(s));
  ASSERT_OK(back.status());
  EXPECT_EQ(back->refresh_token, "rt");
  EXPECT_EQ(back->access_expires_at, s.access_expires_at);
  EXPECT_EQ(back->wrapped_identity, s.wrapped_identity);
  EXPECT_EQ(back->kdf.memlimit, 64u << 20);
  EXPECT_FALSE(SessionFromJson("{\"version\":1}").ok());
  EXPECT_FALSE(SessionFromJson("not json").ok());
}

TEST(SessionFileTest, FilesAreWrittenOwnerOnly) {
  testing::TempDir dir;
  SessionStore store(ConfigDir(dir.File("cfg")));
  ASSERT_OK(store.Save(Session()));
  struct stat st;
  ASSERT_EQ(::stat(dir.File("cfg/session.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(dir.File("cfg").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_OK(store.RecordShares("o1", {"a", "b"}));
  absl::StatusOr<std::vector<std::string>> shares = store.SharesOf("o1");
  ASSERT_OK(shares.status());
  EXPECT_EQ(*shares, std::vector<std::string>({"a", "b"}));
  ASSERT_OK(store.Clear());
  absl::StatusOr<std::optional<Session>> gone = store.Load();
  ASSERT_OK(gone.status());
  EXPECT_FALSE(gone->has_value());
}

TEST(LinkTest, FormatsAndParsesPublicLinks) {
  client::X25519Identity id = client::GenerateIdentity();
  const std::string link = FormatLink(kObjectId, id);
  absl::StatusOr<ParsedLink> parsed = ParseLink(link);
  ASSERT_OK(parsed.status());
  EXPECT_EQ(parsed->object_id, kObjectId);
  EXPECT_EQ(parsed->identity.Recipient(), id.Recipient());
  EXPECT_TRUE(IsUsageError(ParseLink("https://x/y").status()));
  EXPECT_TRUE(IsUsageError(ParseLink("freehold://nope#AGE-SECRET-KEY-1").status()));
  EXPECT_TRUE(IsUsageError(ParseLink(link.substr(0, link.size() - 3)).status()));
  EXPECT_TRUE(LooksLikeObjectId("01234567-89ab-cdef-0123-456789abcdef"));
  EXPECT_FALSE(LooksLikeObjectId("report.pdf"));
}

TEST(FormatTest, SizesRatesAndDurationsAreHumanReadable) {
  EXPECT_EQ(HumanBytes(0), "0 B");
  EXPECT_EQ(HumanBytes(1023), "1023 B");
  EXPECT_EQ(HumanBytes(1536), "1.5 KiB");
  EXPECT_EQ(HumanBytes(1ull << 30), "1.0 GiB");
  EXPECT_EQ(HumanRate(2.5 * 1024 * 1024), "2.5 MiB/s");
  EXPECT_EQ(HumanDuration(absl::Seconds(7)), "0:07");
  EXPECT_EQ(HumanDuration(absl::Seconds(3723)), "1:02:03");
  EXPECT_EQ(HumanDuration(absl::InfiniteDuration()), "--:--");
}

TEST_F(TransferTest, TransientFailureToReachALiveDaemonIsRetriedOnTheSameNode) {
  storage_.transient_failures = 2;  // two of the first shard puts fail once each
  absl::StatusOr<UploadResult> r = Upload("hello, transient world");
  ASSERT_OK(r.status());
  EXPECT_EQ(coordinator_.replacements, 0);  // not moved to another node
  EXPECT_EQ(coordinator_.commits, 1);
  EXPECT_EQ(storage_.puts.load(), 3 + 2);
  // Bounded back-off before each retry (50 ms first).
  ASSERT_GE(sleeps_.size(), 2u);
  EXPECT_EQ(sleeps_[0], absl::Milliseconds(50));
}

TEST_F(TransferTest, ADaemonThatStaysUnreachableIsReplacedAfterBoundedRetries) {
  storage_.transient_failures = 1000;
  absl::StatusOr<UploadResult> r = Upload("hello");
  EXPECT_THAT(r, testing::StatusIs(absl::StatusCode::kUnavailable,
                                   HasSubstr("no other eligible storage node")));
  EXPECT_GE(coordinator_.replacements, 1);
  // Per shard: 3 tries on the node (waits 50 ms and 200 ms), then replacement.
  EXPECT_LE(storage_.puts.load(), 3 * 3);
  for (absl::Duration d : sleeps_) EXPECT_LE(d, absl::Milliseconds(800));
}

// One segment of 2+1 whose shards are all intact on the node; `states` per index.
v1::GetObjectResponse OneSegment(FakeStorage& storage, const std::string& address,
                                 const std::vector<v1::ShardState>& states) {
  v1::GetObjectResponse m;
  m.mutable_object()->set_object_id(kObjectId);
  m.set_data_shards(2);
  m.set_parity_shards(1);
  AddSegment(&m, storage, address, 0, 5000);
  for (int i = 0; i < 3; ++i) {
    v1::ShardLocation* l = m.mutable_segments(0)->mutable_shards(i);
    l->set_state(states[i]);
    if (states[i] != v1::SHARD_STATE_HEALTHY) l->clear_grant();
  }
  return m;
}

TEST_F(TransferTest, DownIsNotLostUnavailableShardsGiveExit5MissingOnesExit7) {
  // Shard 0 is corrupt on the node (AddSegment), shard 1 healthy, shard 2 on a down node:
  // only 1 of 2 readable but 2 exist -> unavailable (retry later), exit 5.
  v1::GetObjectResponse m =
      OneSegment(storage_, storage_server_->address(),
                 {v1::SHARD_STATE_HEALTHY, v1::SHARD_STATE_HEALTHY, v1::SHARD_STATE_UNAVAILABLE});
  DownloadConfig config;
  Downloader d(nodes_, config, &observer_);
  std::string out;
  client::StringSink sink(&out);
  absl::Status s = d.Fetch(m, nullptr, sink);
  EXPECT_THAT(s, testing::StatusIs(absl::StatusCode::kUnavailable, HasSubstr("not lost")));
  EXPECT_EQ(ExitCodeFor(s), ExitCode::kUnavailable);
  // The same with shard 2 missing (gone): fewer than k exist -> lost, exit 7.
  m = OneSegment(storage_, storage_server_->address(),
                 {v1::SHARD_STATE_HEALTHY, v1::SHARD_STATE_HEALTHY, v1::SHARD_STATE_MISSING});
  out.clear();
  s = d.Fetch(m, nullptr, sink);
  EXPECT_THAT(s, testing::StatusIs(absl::StatusCode::kDataLoss, HasSubstr("is lost")));
  EXPECT_EQ(ExitCodeFor(s), ExitCode::kDataLost);
}

TEST(ExitCodeTest, StatusCodesMapToDocumentedExitCodes) {
  EXPECT_EQ(ExitCodeFor(absl::OkStatus()), ExitCode::kOk);
  EXPECT_EQ(ExitCodeFor(UsageError("x")), ExitCode::kUsage);
  EXPECT_EQ(ExitCodeFor(absl::InvalidArgumentError("x")), ExitCode::kFailure);
  EXPECT_EQ(ExitCodeFor(absl::UnauthenticatedError("x")), ExitCode::kAuth);
  EXPECT_EQ(ExitCodeFor(absl::PermissionDeniedError("x")), ExitCode::kAuth);
  EXPECT_EQ(ExitCodeFor(absl::NotFoundError("x")), ExitCode::kNotFound);
  EXPECT_EQ(ExitCodeFor(absl::UnavailableError("x")), ExitCode::kUnavailable);
  EXPECT_EQ(ExitCodeFor(absl::ResourceExhaustedError("x")), ExitCode::kRefused);
  EXPECT_EQ(ExitCodeFor(absl::DataLossError("x")), ExitCode::kFailure);
  EXPECT_EQ(ExitCodeFor(DataLostError("x")), ExitCode::kDataLost);
  EXPECT_EQ(static_cast<int>(ExitCode::kDataLost), 7);
  EXPECT_TRUE(SuggestsRetry("Throttled: try again in a minute"));
  EXPECT_FALSE(SuggestsRetry("past physical capacity"));
}

}  // namespace
}  // namespace freehold::cli
