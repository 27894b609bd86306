#include "coordinator/core/durability_flags.h"

#include "common/config.h"

namespace freehold::coordinator {

void AddDurabilityFlags(CLI::App& app, DurabilitySettings* d) {
  AddFlag(app, "--audits", &d->audits, "audit shards on the daemons (--audits=false disables)");
  AddDurationFlag(app, "--audit-period", &d->audit.period,
                  "every shard copy is audited at least once per period (needs "
                  "--audits-per-second >= 2 * shard copies / period)");
  AddFlag(app, "--audits-per-second", &d->audit.max_per_second,
          "most audits per second in the whole cluster");
  AddFlag(app, "--audits-per-node-per-second", &d->audit.max_per_node_per_second,
          "most audits per second on one daemon");
  AddFlag(app, "--audit-challenges-per-read", &d->audit_challenges_per_read,
          "audit challenges computed each time the coordinator reads a whole shard");
  AddFlag(app, "--reputation-lambda", &d->reputation.lambda,
          "forgetting factor of the audit and online scores, in (0, 1)");
  AddFlag(app, "--reputation-weight", &d->reputation.weight, "weight of one audit result");
  AddFlag(app, "--reputation-threshold", &d->reputation.threshold,
          "reputation below which a node gets no new shards and is drained");
  AddDurationFlag(app, "--suspended-drain-after", &d->suspended_drain_after,
                  "a node suspended for low reputation is set DRAINING this long after");
  AddFlag(app, "--drains", &d->drains,
          "move the shards of DRAINING nodes away (--drains=false disables)");
  AddFlag(app, "--drain-parallelism", &d->drain_parallelism, "shards moved at once");
  AddByteRateFlag(app, "--move-bytes-per-second", &d->move_bytes_per_second,
                  "bandwidth of drains and rebalancing together (e.g. 64MiB)");
  AddFlag(app, "--direct-copy", &d->direct_copy,
          "drains and rebalancing copy a shard daemon to daemon (the target pulls it from "
          "the source with a signed GET grant); --direct-copy=false routes every byte through "
          "the coordinator");
  AddFlag(app, "--repair-parallelism", &d->repair_parallelism,
          "segments repaired at once (each reads its k shards in parallel)");
  AddByteRateFlag(app, "--repair-bytes-per-second", &d->repair_bytes_per_second,
                  "bandwidth of repair, bytes read plus written (e.g. 128MiB; 0 = unbounded)");
  AddFlag(app, "--rebalance", &d->rebalance,
          "move shards onto joining nodes (--rebalance=false disables)");
  AddFlag(app, "--rebalance-shards-per-tick", &d->rebalance_shards_per_tick,
          "most shards rebalanced per --loop-interval");
  AddFlag(app, "--rebalance-overfull-ratio", &d->rebalance_overfull_ratio,
          "a node holding more than this times its capacity share is overfull");
  AddFlag(app, "--respread", &d->respread,
          "move one of two shards that share a failure domain (degraded placement) to an "
          "unused domain once one is eligible (--respread=false disables)");
  AddFlag(app, "--respread-shards-per-tick", &d->respread_shards_per_tick,
          "most shards re-spread per --loop-interval");
  AddDurationFlag(app, "--inventory-check-interval", &d->inventory_check_interval,
                  "compare each node's reported shard inventory with the manifests this often "
                  "and mark shards it lost missing (0 disables)");
}

}  // namespace freehold::coordinator
