#include "tests/coordinator/coordinator_fixture.h"

#include <sodium.h>

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "coordinator/core/ids.h"
#include "coordinator/core/manifest_rules.h"
#include "tests/support/status_matchers.h"

namespace freehold::coordinator::testing {

void CoordinatorPgTest::SetUp() {
  PostgresTest::SetUp();
  if (HasFatalFailure()) return;
  config_.data_shards = 4;
  config_.parity_shards = 2;
  config_.failure_domain = "host";
  config_.segment_size_bytes = 64 << 10;
  config_.node_down_after = absl::Seconds(30);
  config_.upload_ttl = absl::Hours(1);
  config_.grant_ttl = absl::Minutes(15);
  // Deletes are final at once unless a test sets a window (trash_pg_test.cc).
  config_.trash_window = absl::ZeroDuration();
  pool_ = std::make_unique<PgPool>(CoordinatorPoolOptions(db_url(), 4));
  ASSERT_OK(MigrateCoordinatorSchema(*pool_));
  store_ = std::make_unique<PgMetadataStore>(*pool_);
  ASSERT_OK_AND_ASSIGN(coordinator_key_, GenerateSigningKey("coord-test"));
  Wire();
}

void CoordinatorPgTest::Wire() {
  ASSERT_OK(config_.Validate(false));
  monitor_.reset();
  catalog_.reset();
  writer_.reset();
  registry_.reset();
  grants_ = std::make_unique<GrantSigner>(coordinator_key_, codec_);
  if (metrics_ == nullptr) {
    metrics_ = std::make_unique<CoordinatorMetrics>(metrics_registry_, config_.data_shards,
                                                    config_.parity_shards);
  }
  placement_ = std::make_unique<PlacementSnapshots>(
      config_.Policy(), config_.node_down_after,
      NodeWeightRamp{config_.node_weight_ramp, config_.node_weight_floor});
  registry_ = std::make_unique<NodeRegistry>(*store_, clock_, config_, log_, &metrics_registry_);
  writer_ = std::make_unique<ObjectWriter>(*store_, clock_, config_, *placement_, *grants_,
                                           admission_, metrics_.get(), log_);
  catalog_ = std::make_unique<ObjectCatalog>(*store_, clock_, config_, *grants_, log_);
  monitor_ = std::make_unique<ClusterMonitor>(*store_, *registry_, config_, metrics_.get());
}

void CoordinatorPgTest::TearDown() {
  monitor_.reset();
  catalog_.reset();
  writer_.reset();
  registry_.reset();
  store_.reset();
  pool_.reset();
  PostgresTest::TearDown();
}

TestNode CoordinatorPgTest::MakeNode(const std::string& host, const std::string& zone,
                                     const std::string& region, bool approve) {
  TestNode node;
  node.id = NewUuid();
  node.key = *GenerateSigningKey(node.id);
  node.domain = FailureDomain{region, zone, host};
  node.address = absl::StrCat("127.0.0.1:", 20000 + nodes_.size());
  nodes_.push_back(node);
  if (approve) EXPECT_OK(Approve(node));
  return node;
}

absl::Status CoordinatorPgTest::Approve(const TestNode& node) {
  return registry_->Approve(node.id, PublicKeyOf(node));
}

std::string PublicKeyOf(const TestNode& node) {
  return std::string(reinterpret_cast<const char*>(node.key.public_key.data()), 32);
}

namespace {
std::string Sign(const SigningKey& key, const std::string& bytes) {
  std::string sig(crypto_sign_BYTES, '\0');
  crypto_sign_detached(reinterpret_cast<unsigned char*>(sig.data()), nullptr,
                       reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                       key.secret.data());
  return sig;
}
}  // namespace

absl::Status CoordinatorPgTest::Register(const TestNode& node, uint64_t capacity) {
  RegisterNodeInput in;
  in.node_id = node.id;
  in.address = node.address;
  in.domain = node.domain;
  in.capacity_bytes = capacity;
  in.public_key = PublicKeyOf(node);
  in.version = "test";
  in.signature.signed_bytes = "register:" + node.id;
  in.signature.signature = Sign(node.key, in.signature.signed_bytes);
  in.signature.signed_at_unix_seconds = absl::ToUnixSeconds(clock_.Now());
  return registry_->Register(in).status();
}

absl::StatusOr<NodeState> CoordinatorPgTest::Heartbeat(const TestNode& node, uint64_t used,
                                                       uint64_t free,
                                                       std::vector<std::string> corrupt) {
  HeartbeatInput in;
  in.node_id = node.id;
  in.used_bytes = used;
  in.free_bytes = free;
  in.shard_count = 0;
  in.corrupt_shard_keys = std::move(corrupt);
  in.signature.signed_bytes = "heartbeat:" + node.id;
  in.signature.signature = Sign(node.key, in.signature.signed_bytes);
  in.signature.signed_at_unix_seconds = absl::ToUnixSeconds(clock_.Now());
  return registry_->Heartbeat(in);
}

std::vector<TestNode> CoordinatorPgTest::AddNodes(int count) {
  std::vector<TestNode> out;
  for (int i = 0; i < count; ++i) {
    TestNode node = MakeNode(absl::StrCat("host-", nodes_.size()));
    EXPECT_OK(Register(node));
    out.push_back(node);
  }
  return out;
}

const TestNode& CoordinatorPgTest::NodeById(const std::string& id) const {
  for (const TestNode& n : nodes_) {
    if (n.id == id) return n;
  }
  ADD_FAILURE() << "unknown node " << id;
  return nodes_.front();
}

Caller CoordinatorPgTest::NewAccount() const {
  Caller c;
  c.account_id = NewUuid();
  c.scopes = {"storage"};
  return c;
}

int64_t CoordinatorPgTest::Count(const std::string& sql) const {
  pqxx::connection c(db_url());
  pqxx::nontransaction n(c);
  const pqxx::row r = n.exec1(sql);
  return r[0].is_null() ? 0 : r[0].as<int64_t>();
}

std::string CoordinatorPgTest::Receipt(const TestNode& node, const std::string& shard_key,
                                       uint64_t size, const std::string& sha256) const {
  coordinator::Receipt r;
  r.node_id = node.id;
  r.shard_key = shard_key;
  r.size_bytes = size;
  r.sha256 = sha256;
  r.stored_at = clock_.Now();
  return TokenSigner(node.key).Sign(ProtoClaimsCodec::EncodeReceipt(r), kReceiptContext);
}

std::vector<std::string> CoordinatorPgTest::ReceiptsFor(
    const SegmentTargets& targets, uint64_t shard_size,
    const std::vector<std::string>& hashes) const {
  std::vector<std::string> out;
  for (const ShardTarget& t : targets.shards) {
    out.push_back(Receipt(NodeById(t.node_id), t.shard_key, shard_size, hashes[t.index]));
  }
  return out;
}

std::vector<std::string> CoordinatorPgTest::Hashes(int count, char seed) const {
  std::vector<std::string> out;
  for (int i = 0; i < count; ++i) {
    std::string h(32, seed);
    h[0] = static_cast<char>(i);
    out.push_back(h);
  }
  return out;
}

absl::StatusOr<CoordinatorPgTest::Begun> CoordinatorPgTest::BeginFirstSegment(const Caller& owner,
                                                                              uint64_t size) {
  CreateObjectInput create{"meta", "age-header", size, ""};
  FH_ASSIGN_OR_RETURN(CreatedObject created, writer_->CreateObject(owner, create));
  Begun b;
  b.object_id = created.object_id;
  b.input.object_id = created.object_id;
  b.input.segment = 0;
  b.input.segment_size_bytes = SegmentPayloadSize(size, created.segment_size_bytes, 0);
  b.input.shard_size_bytes =
      (b.input.segment_size_bytes + created.data_shards - 1) / created.data_shards;
  b.input.shard_sha256 = Hashes(created.data_shards + created.parity_shards);
  FH_ASSIGN_OR_RETURN(b.targets, writer_->BeginSegment(owner, b.input));
  return b;
}

absl::StatusOr<std::string> CoordinatorPgTest::UploadObject(const Caller& owner, uint64_t size) {
  CreateObjectInput create{"meta", "age-header", size, ""};
  FH_ASSIGN_OR_RETURN(CreatedObject created, writer_->CreateObject(owner, create));
  const uint64_t count = SegmentCount(size, created.segment_size_bytes);
  for (uint64_t s = 0; s < count; ++s) {
    BeginSegmentInput in;
    in.object_id = created.object_id;
    in.segment = static_cast<int64_t>(s);
    in.segment_size_bytes = SegmentPayloadSize(size, created.segment_size_bytes, s);
    in.shard_size_bytes = (in.segment_size_bytes + created.data_shards - 1) / created.data_shards;
    in.shard_sha256 =
        Hashes(created.data_shards + created.parity_shards, static_cast<char>('a' + s % 20));
    FH_ASSIGN_OR_RETURN(SegmentTargets targets, writer_->BeginSegment(owner, in));
    CommitSegmentInput commit;
    commit.object_id = created.object_id;
    commit.segment = in.segment;
    commit.receipts = ReceiptsFor(targets, in.shard_size_bytes, in.shard_sha256);
    FH_RETURN_IF_ERROR(writer_->CommitSegment(owner, commit));
  }
  FH_RETURN_IF_ERROR(
      writer_->CommitObject(owner, created.object_id, static_cast<int64_t>(count)).status());
  return created.object_id;
}

}  // namespace freehold::coordinator::testing
