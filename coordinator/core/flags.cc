#include "coordinator/core/flags.h"

#include <CLI/CLI.hpp>

#include "common/config.h"
#include "common/removed_flag.h"
#include "coordinator/core/durability_flags.h"

namespace freehold::coordinator {

void AddCoordinatorFlags(CLI::App& app, CoordinatorConfig* c) {
  AddFlag(app, "--listen", &c->listen, "gRPC listen address host:port (port 0 picks one)");
  AddFlag(app, "--metrics-listen", &c->metrics_listen,
          "Prometheus /metrics address host:port; empty disables");
  AddSecretFlag(app, "--database-url", &c->database_url,
                "PostgreSQL URL (schema \"coordinator\"); with a password only via "
                "FREEHOLD_DATABASE_URL or file:/path",
                SecretKind::kUrlPassword);
  AddFlag(app, "--database-pool-size", &c->database_pool_size, "PostgreSQL connections");
  AddFlag(app, "--data-dir", &c->data_dir,
          "directory for the grant-signing key (coordinator.key) and coordinator.pub");
  AddFlag(app, "--grant-key-file", &c->grant_key_file,
          "grant-signing key shared by every replica (fh-ed25519-secret line, mode 0600), "
          "re-read every --loop-interval: replacing it rotates the key without restart "
          "(publish the new public key to the daemons' --coordinator-keys first); empty = "
          "<data-dir>/coordinator.key");
  AddFlag(app, "--public-keys-out", &c->public_keys_out,
          "also write the grant-verification public keys to this file");
  AddFlag(app, "--log-level", &c->log_level, "debug | info | warn | error");
  AddFlag(app, "--accounts-keys", &c->accounts_keys,
          "access-token verification keys file written by freehold-accounts");
  AddFlag(app, "--accounts", &c->accounts,
          "freehold-accounts gRPC address for the account-deletion outbox; empty disables");
  AddDurationFlag(app, "--revocation-poll-interval", &c->revocation_poll_interval,
                  "how often ended sessions are read from --accounts: their access tokens "
                  "are refused (UNAUTHENTICATED \"session ended\") within about this long "
                  "(100ms..1m)");
  // Issue 22: the shared operator secret is gone; operators are accounts with a role.
  AddRemovedFlag(app, "--admin-token-file",
                 "there is no shared operator secret any more; operator calls take an "
                 "operator certificate (deploy/tls/pki.sh) or an access token with the role "
                 "coordinator:operator (freehold-accounts --bootstrap-admin HANDLE, then "
                 "freehold-admin login / roles grant HANDLE coordinator:operator)");
  AddFlag(app, "--failure-domain", &c->failure_domain,
          "level whose members must be distinct in a segment: node | host | zone | region");
  AddFlag(app, "--data-shards", &c->data_shards, "k: data shards per segment");
  AddFlag(app, "--parity-shards", &c->parity_shards, "m: parity shards per segment");
  AddFlag(app, "--degraded-min-nodes", &c->degraded_min_nodes,
          "with fewer eligible failure domains than k+m, still place a segment (two shards "
          "in one domain) on at least this many distinct nodes; 0 = k+1");
  AddFlag(app, "--commit-min-shards", &c->commit_min_shards,
          "a segment may be committed with receipts for this many of its k+m shards; the "
          "others are recorded missing and repaired at once; 0 = k+1");
  AddByteSizeFlag(app, "--segment-size", &c->segment_size_bytes, "payload bytes per segment");
  AddFlag(app, "--max-shards-per-zone", &c->max_shards_per_zone,
          "most shards of one segment in one zone (0 = no cap)");
  AddFlag(app, "--nearly-full-ratio", &c->nearly_full_ratio,
          "nodes at or above this used/capacity get no new shards");
  AddByteSizeFlag(app, "--max-object-size", &c->max_object_bytes, "largest object payload");
  AddByteSizeFlag(app, "--max-metadata-size", &c->max_metadata_bytes,
                  "largest encrypted metadata blob");
  AddByteSizeFlag(app, "--max-header-size", &c->max_header_bytes, "largest age header");
  AddFlag(app, "--max-share-accounts", &c->max_share_accounts,
          "most accounts one object may be shared with");
  AddByteSizeFlag(app, "--inline-max-size", &c->inline_max_bytes,
                  "objects whose encrypted payload is at most this size may be stored inline in "
                  "PostgreSQL instead of as shards (0 = never; at most 64KiB)");
  AddFlag(app, "--manifest-page-segments", &c->manifest_page_segments,
          "most segments one GetObject answer carries (the client pages the rest)");
  AddFlag(app, "--max-segments-per-batch", &c->max_segments_per_batch,
          "most segments per BeginSegments / CommitSegments call (one transaction each)");
  AddFlag(app, "--inline-batch-max-objects", &c->inline_batch_max_objects,
          "most objects per PutInlineObjects");
  AddByteSizeFlag(app, "--inline-batch-max-size", &c->inline_batch_max_bytes,
                  "most bytes (payload, metadata, header) per PutInlineObjects");
  AddDurationFlag(app, "--node-weight-ramp", &c->node_weight_ramp,
                  "placement weight of a newly approved node grows linearly to its capacity "
                  "over this time (0 = full weight at once)");
  AddFlag(app, "--node-weight-floor", &c->node_weight_floor,
          "smallest fraction of its capacity a ramping node is weighted with, in (0, 1]");
  AddFlag(app, "--max-pending-registrations", &c->max_pending_registrations,
          "refused registration attempts kept for review (nodes pending)");
  AddDurationFlag(app, "--heartbeat-interval", &c->heartbeat_interval,
                  "heartbeat period told to storage daemons");
  AddDurationFlag(app, "--node-down-after", &c->node_down_after,
                  "a node without heartbeats for this long is down");
  AddDurationFlag(app, "--upload-ttl", &c->upload_ttl,
                  "uploads not committed within this time are abandoned and collected");
  AddDurationFlag(app, "--grant-ttl", &c->grant_ttl, "lifetime of PUT/GET/DELETE grants");
  AddDurationFlag(app, "--signed-request-skew", &c->signed_request_skew,
                  "accepted clock difference of signed node requests");
  AddDurationFlag(app, "--loop-interval", &c->loop_interval,
                  "period of the background loops (liveness, GC, outbox, stats)");
  AddDurationFlag(app, "--repair-after", &c->repair_after,
                  "rebuild the shards of a node that has been down this long");
  AddFlag(app, "--repair", &c->repair, "run the repair loop (--repair=false disables it)");
  AddDurationFlag(app, "--max-delete-backoff", &c->max_delete_backoff,
                  "longest wait between retries of a failed shard deletion");
  AddDurationFlag(app, "--trash-window", &c->trash_window,
                  "a deleted object stays in its owner's trash (restorable, counted as used) "
                  "this long before its shards are deleted; 0 = deletes are final at once");
  AddDurabilityFlags(app, &c->durability);
  AddDurationFlag(app, "--orphan-sweep-interval", &c->orphan_sweep.interval,
                  "period of the orphan sweep (Bloom filter of each node's shard keys sent to "
                  "the node, which deletes unreferenced shards older than its --orphan-grace); "
                  "0 disables it");
  AddFlag(app, "--orphan-sweep-page-keys", &c->orphan_sweep.page_keys,
          "shard keys per orphan-sweep filter (larger nodes get several, by key range)");

  // Funding and admission (docs/ARCHITECTURE.md#12-funding-and-admission).
  FundingSettings& f = c->funding;
  AddFlag(app, "--donations", &f.donations,
          "freehold-donations gRPC address (GetFundingSummary); empty = no donation intake "
          "configured: income counts as 0 and only physical capacity throttles writes");
  AddFlag(app, "--cost-model", &f.cost_model_file,
          "cost model file (see billing-free/cost_model.example.conf); empty = EUR, 12.00 per "
          "TiB-month of raw disk, 1500.00 fixed per month");
  AddDurationFlag(app, "--funding-refresh", &f.refresh,
                  "how often usage, donations, the funding model and admission are recomputed");
  AddDurationFlag(app, "--donations-timeout", &f.donations_timeout,
                  "deadline of one GetFundingSummary call");
  AddDurationFlag(app, "--recent-writes-window", &f.recent_window,
                  "window of per-account recent writes; the heaviest writers in it are slowed "
                  "first");
  AddDurationFlag(app, "--growth-window", &f.growth_window,
                  "window of the logical growth rate used for projected fill dates");
  AddFlag(app, "--inkind-min-audits", &f.inkind_min_audits,
          "audits a donated node must have passed before its capacity counts as an in-kind "
          "donation (>= 0)");
  AddFlag(app, "--throttle-at", &f.admission.throttle_at,
          "fraction of the funded or physical limit (the smaller) at which new writes start "
          "being throttled, in (0, 1]");
  AddFlag(app, "--physical-reserve-fraction", &f.admission.physical_reserve_fraction,
          "fraction of raw capacity kept free for repair; past the rest new writes are refused");
  AddByteSizeFlag(app, "--physical-reserve-bytes", &f.admission.physical_reserve_bytes,
                  "raw bytes kept free for repair (the larger of this and the fraction applies)");
  AddDurationFlag(app, "--throttle-horizon", &f.admission.throttle_horizon,
                  "while throttled, the headroom left should last this long at the allowed "
                  "aggregate write rate");
  AddByteRateFlag(
      app, "--min-account-rate", &f.admission.min_account_rate_bytes_per_second,
      "bytes per second every account may always write, even when throttled (e.g. 64KiB)");
  AddDurationFlag(app, "--throttle-burst", &f.admission.burst,
                  "a throttled account may burst this many seconds of its rate");
  AddFlag(app, "--donate-url", &f.admission.donate_url,
          "where throttle and refusal messages tell users they can help");
}

}  // namespace freehold::coordinator
