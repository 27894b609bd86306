// Prometheus metrics of the storage daemon (RPC metrics come from common's
// interceptor). Built once in main.cc on the exposer's registry and passed by
// pointer to the parts that update them (nullptr = no metrics, for tests).
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace freehold::storaged {

struct StoragedMetrics {
  explicit StoragedMetrics(prometheus::Registry& registry);

  prometheus::Counter& bytes_in;         // freehold_storaged_bytes_in_total (shard bytes received)
  prometheus::Counter& bytes_out;        // freehold_storaged_bytes_out_total (shard bytes sent)
  prometheus::Gauge& shards;             // freehold_storaged_shards
  prometheus::Gauge& capacity_total;     // freehold_storaged_capacity_bytes{state="total"}
  prometheus::Gauge& capacity_used;      // {state="used"}
  prometheus::Gauge& capacity_free;      // {state="free"} (after the reserve)
  prometheus::Histogram& fsync_seconds;  // freehold_storaged_fsync_seconds (file + directory)
  prometheus::Gauge& corrupt_shards;     // freehold_storaged_corrupt_shards
  prometheus::Counter& scrubbed_bytes;   // freehold_storaged_scrubbed_bytes_total
  // freehold_storaged_unreadable_shards_total: shards the scrubber could not open or
  // read (counted in corrupt_shards too, and reported like a hash mismatch).
  prometheus::Counter& unreadable_shards;
  prometheus::Counter& orphans_deleted;       // freehold_storaged_orphans_deleted_total
  prometheus::Counter& orphan_bytes_deleted;  // freehold_storaged_orphan_bytes_deleted_total
};

}  // namespace freehold::storaged
