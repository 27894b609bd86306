// Test fixture: the coordinator core wired over a real PostgreSQL database
// (fresh per test, tests/support harness) with an injected FakeClock. Storage
// nodes are registry entries whose keys the test holds, so it can sign node
// calls and receipts the way a daemon would.
#pragma once

#include <prometheus/registry.h>

#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/logging.h"
#include "common/pg.h"
#include "common/signed_token.h"
#include "coordinator/core/admission.h"
#include "coordinator/core/config.h"
#include "coordinator/core/grants.h"
#include "coordinator/core/maintenance.h"
#include "coordinator/core/metrics.h"
#include "coordinator/core/node_registry.h"
#include "coordinator/core/object_catalog.h"
#include "coordinator/core/object_writer.h"
#include "coordinator/core/placement_snapshots.h"
#include "coordinator/grpc/claims_codec.h"
#include "coordinator/pg/pg_store.h"
#include "tests/support/postgres_harness.h"

namespace freehold::coordinator::testing {

struct TestNode {
  std::string id;
  SigningKey key;
  FailureDomain domain;
  std::string address;
};

// The node's 32 raw public key bytes.
std::string PublicKeyOf(const TestNode& node);

class CoordinatorPgTest : public freehold::testing::PostgresTest {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Override before calling Wire() (SetUp wires with the defaults: 4+2, hosts,
  // 64 KiB segments, 30 s down-after, 1 h upload TTL, 15 min grants).
  void Wire();

  // A new node identity, approved (with its key) unless `approve` is false.
  TestNode MakeNode(const std::string& host, const std::string& zone = "z1",
                    const std::string& region = "r1", bool approve = true);
  // Operator approval of `node` with its key.
  absl::Status Approve(const TestNode& node);
  absl::Status Register(const TestNode& node, uint64_t capacity = uint64_t{1} << 40);
  absl::StatusOr<NodeState> Heartbeat(const TestNode& node, uint64_t used = 0,
                                      uint64_t free = uint64_t{1} << 39,
                                      std::vector<std::string> corrupt = {});
  // Registers `count` nodes on distinct hosts ("host-0", ...).
  std::vector<TestNode> AddNodes(int count);
  const TestNode& NodeById(const std::string& id) const;

  Caller NewAccount() const;

  // The single number `sql` answers, over a connection of its own (schema-qualify).
  int64_t Count(const std::string& sql) const;

  // A receipt token as node `node` would sign it.
  std::string Receipt(const TestNode& node, const std::string& shard_key, uint64_t size,
                      const std::string& sha256) const;
  // Receipts for every target of a begun segment, signed by the placed nodes.
  std::vector<std::string> ReceiptsFor(const SegmentTargets& targets, uint64_t shard_size,
                                       const std::vector<std::string>& hashes) const;

  // k+m distinct fake hashes.
  std::vector<std::string> Hashes(int count, char seed = 'a') const;

  // CreateObject + for every segment Begin/Commit + CommitObject.
  absl::StatusOr<std::string> UploadObject(const Caller& owner, uint64_t size);

  // Begin segment 0 of a fresh object of `size` bytes.
  struct Begun {
    std::string object_id;
    BeginSegmentInput input;
    SegmentTargets targets;
  };
  absl::StatusOr<Begun> BeginFirstSegment(const Caller& owner, uint64_t size);

  mutable FakeClock clock_;
  CoordinatorConfig config_;
  std::unique_ptr<PgPool> pool_;
  std::unique_ptr<PgMetadataStore> store_;
  ProtoClaimsCodec codec_;
  SigningKey coordinator_key_;
  std::unique_ptr<GrantSigner> grants_;
  AlwaysAdmit admission_;
  prometheus::Registry metrics_registry_;
  std::unique_ptr<CoordinatorMetrics> metrics_;
  std::unique_ptr<PlacementSnapshots> placement_;
  std::unique_ptr<NodeRegistry> registry_;
  std::unique_ptr<ObjectWriter> writer_;
  std::unique_ptr<ObjectCatalog> catalog_;
  std::unique_ptr<ClusterMonitor> monitor_;
  std::vector<TestNode> nodes_;
  Logger log_{"coordinator-test", LogLevel::kWarn};
};

}  // namespace freehold::coordinator::testing
