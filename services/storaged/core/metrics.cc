#include "services/storaged/core/metrics.h"

namespace freehold::storaged {
namespace {

prometheus::Family<prometheus::Gauge>& CapacityFamily(prometheus::Registry& registry) {
  return prometheus::BuildGauge()
      .Name("freehold_storaged_capacity_bytes")
      .Help("Configured capacity of this storage node by state (free is after the reserve)")
      .Register(registry);
}

}  // namespace

StoragedMetrics::StoragedMetrics(prometheus::Registry& registry)
    : bytes_in(prometheus::BuildCounter()
                   .Name("freehold_storaged_bytes_in_total")
                   .Help("Shard bytes received by PutShard")
                   .Register(registry)
                   .Add({})),
      bytes_out(prometheus::BuildCounter()
                    .Name("freehold_storaged_bytes_out_total")
                    .Help("Shard bytes sent by GetShard")
                    .Register(registry)
                    .Add({})),
      shards(prometheus::BuildGauge()
                 .Name("freehold_storaged_shards")
                 .Help("Shards stored on this node")
                 .Register(registry)
                 .Add({})),
      capacity_total(CapacityFamily(registry).Add({{"state", "total"}})),
      capacity_used(CapacityFamily(registry).Add({{"state", "used"}})),
      capacity_free(CapacityFamily(registry).Add({{"state", "free"}})),
      fsync_seconds(
          prometheus::BuildHistogram()
              .Name("freehold_storaged_fsync_seconds")
              .Help("Time to make a stored shard durable (file and directory fsync)")
              .Register(registry)
              .Add({}, prometheus::Histogram::BucketBoundaries{0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                               0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
                                                               5, 10})),
      corrupt_shards(prometheus::BuildGauge()
                         .Name("freehold_storaged_corrupt_shards")
                         .Help("Shards whose bytes no longer match their SHA-256 (scrubber)")
                         .Register(registry)
                         .Add({})),
      scrubbed_bytes(prometheus::BuildCounter()
                         .Name("freehold_storaged_scrubbed_bytes_total")
                         .Help("Bytes re-hashed by the scrubber")
                         .Register(registry)
                         .Add({})),
      unreadable_shards(prometheus::BuildCounter()
                            .Name("freehold_storaged_unreadable_shards_total")
                            .Help("Stored shards the scrubber could not open or read (marked "
                                  "corrupt and reported to the coordinator)")
                            .Register(registry)
                            .Add({})),
      orphans_deleted(prometheus::BuildCounter()
                          .Name("freehold_storaged_orphans_deleted_total")
                          .Help("Shards deleted by the orphan sweep (no manifest references "
                                "them and they are older than the grace period)")
                          .Register(registry)
                          .Add({})),
      orphan_bytes_deleted(prometheus::BuildCounter()
                               .Name("freehold_storaged_orphan_bytes_deleted_total")
                               .Help("Bytes of the shards deleted by the orphan sweep")
                               .Register(registry)
                               .Add({})) {}

}  // namespace freehold::storaged
