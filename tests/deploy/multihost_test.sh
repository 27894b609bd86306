#!/usr/bin/env bash
# The fleet on several hosts made of network namespaces (deploy/multihost/fleet.sh):
# three storage hosts with two daemons each in three zones, a services host (two
# accounts, two coordinators, donations), a database host set (db1 and db2 each with a
# Patroni and its PostgreSQL member, an etcd member on each of db1..db3), every link
# mutual TLS with the hosts' addresses in the certificates: gRPC, the services' and the
# operator's PostgreSQL sessions, streaming replication (the replication user
# authenticated by its certificate), etcd's client and peer links, Patroni's REST API.
# The test proves it: the replication connection is TLS with a client certificate,
# plaintext and certificate-less clients are refused by PostgreSQL, etcd and Patroni.
# From the root namespace the CLI signs up, puts and gets files; then, each bounded in
# time:
#   1. one storage host's cable cut: every object still reads back, the coordinator marks
#      its two daemons down and repairs; cable back: they rejoin, nothing lost or doubled;
#   2. the leading coordinator killed: the other leads the background work within the
#      bound, puts continue (the CLI and the daemons reach it by name);
#   3. the PostgreSQL primary killed: Patroni promotes the standby, the services
#      reconnect without a restart (failed calls fail UNAVAILABLE), and every committed
#      object reads back byte-exactly;
#   4. the services host cut off from every database host: calls fail UNAVAILABLE; healed,
#      nothing half-committed remains and puts work again.
# Skips (exit 77) when namespaces cannot be made (not root, no ip) or Patroni/etcd are
# missing. Every namespace, veth, bridge and process is removed on exit (trap), also when
# the run overstays: a watchdog ends it after 270 s, before ctest's 300 s.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
skip() { echo "SKIP: $*"; exit 77; }
FAILED=""
fail() { FAILED="FAIL: $*"; echo "$FAILED" >&2; exit 1; }
step() { echo "== [$(date -u +%T)] $*"; }
for tool in patroni patronictl etcd etcdctl unshare curl; do
  command -v "$tool" >/dev/null || skip "$tool is not installed (deploy/install-deps.sh)"
done
W=$(mktemp -d /tmp/freehold-multihost.XXXXXX)
MH_TAG=t MH_NET=10.77.0
# shellcheck source=deploy/multihost/fleet.sh
source deploy/multihost/fleet.sh
if ! reason=$(fleet_can_run); then rm -rf "$W"; skip "$reason"; fi
# One run at a time per tag (the names are fixed); a previous run killed hard left
# nothing behind once fleet_down has run.
exec 9>"/run/lock/freehold-multihost-$MH_TAG.lock"
flock -w 200 9 || { rm -rf "$W"; fail "another multihost run holds /run/lock/freehold-multihost-$MH_TAG.lock"; }
fleet_down
cleanup() {
  local rc=$?
  set +e
  if [[ $rc -ne 0 ]]; then
    for f in "$W"/logs/*.log "$W"/pg/pg*/patroni.log; do
      [[ -s "$f" ]] && { echo "--- $f"; grep -v "no action" "$f" | tail -12; }
    done
  fi
  [[ -z "${WATCHDOG:-}" ]] || { pkill -P "$WATCHDOG" 2>/dev/null; kill "$WATCHDOG" 2>/dev/null; }
  local t=$SECONDS
  fleet_down
  echo "   fleet down in $((SECONDS - t)) s; $SECONDS s in all"
  rm -rf "$W"
  [[ -z "$FAILED" ]] || echo "$FAILED (logs above)" >&2
  exit "$rc"
}
trap cleanup EXIT
trap 'FAILED="${FAILED:-FAIL: interrupted or over the ${MH_WATCHDOG:-270} s watchdog}"; exit 1' INT TERM
(sleep "${MH_WATCHDOG:-270}" && kill -TERM $$) >/dev/null 2>&1 &
WATCHDOG=$!

# --- the CLI, from the root namespace ----------------------------------------------
export FREEHOLD_PASSWORD="multihost correct horse $$"
cli() { fleet_cli "$W/cli" "$@"; }
declare -A FILES  # name -> local file of every committed object
put_new() {  # put_new NAME BYTES: a random file, put; records it when the put succeeded
  head -c "$2" /dev/urandom >"$W/$1"
  local rc=0
  cli -q put "$W/$1" --name "$1" >"$W/put.out" 2>&1 || rc=$?
  [[ $rc -ne 0 ]] || FILES[$1]="$W/$1"
  return $rc
}
check_all() {  # every committed object reads back byte-exactly, and is listed once
  local n
  for n in "${!FILES[@]}"; do
    cli -q get "$n" -o "$W/got" >"$W/get.out" 2>&1 || { cat "$W/get.out"; fail "get $n ($1)"; }
    cmp -s "$W/got" "${FILES[$n]}" || fail "$n differs ($1)"
    rm -f "$W/got"
  done
  cli --json ls >"$W/ls.json" || fail "ls ($1)"
  for n in "${!FILES[@]}"; do
    [[ $(grep -c "\"name\": \"$n\"" "$W/ls.json") == 1 ]] || fail "$n is not listed exactly once ($1)"
  done
}
admin() { fleet_client "$BIN/freehold-admin" --coordinator coordinator.fleet:7103 "$@"; }
nodes_up() { admin nodes --json 2>/dev/null | grep -o '"state": *"[A-Z_]*"' | grep -c UP || true; }

step "building the hosts and starting the fleet"
start=$SECONDS
fleet_up
echo "   fleet up in $((SECONDS - start)) s (database: $DB_URL)"

step "basic: sign up, put and get over mutual TLS across hosts"
cli signup --handle "mh$$" >/dev/null || fail "signup"
put_new small.bin $((100 * 1024)) || { cat "$W/put.out"; fail "put small.bin"; }
put_new two-segments.bin $((3 * 512 * 1024 + 17)) || { cat "$W/put.out"; fail "put two-segments.bin"; }
check_all basic
echo "   ${#FILES[@]} objects read back byte-exactly"

step "the database host set: every link mutual TLS"
# Every database session over the network (services, replication, this test) is TLS
# with a client certificate.
read -r plain total < <(fleet_sql "SELECT count(*) FILTER (WHERE NOT s.ssl OR s.client_dn IS NULL), count(*)
  FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid)
  WHERE a.client_addr IS NOT NULL" | tr '|' ' ')
[[ $total -gt 0 && $plain == 0 ]] || fail "database sessions over the network: $plain of $total without mutual TLS"
echo "   $total database sessions over the network, all mutual TLS"
primary=$(fleet_pg_ha primary)
standby=db2; [[ $primary == pg1 ]] || standby=db1
repl=$(fleet_sql "SELECT r.usename, r.sync_state, s.version, s.client_dn FROM pg_stat_replication r
  JOIN pg_stat_ssl s USING (pid) WHERE s.ssl AND r.client_addr = '$(ip_of $standby)'")
[[ $repl == "replicator|sync|TLSv1.3|/O=freehold/CN=database:mh-$standby" ]] ||
  fail "the replication connection from $standby is not TLS with its certificate: '$repl'"
echo "   streaming replication $standby -> ${primary/pg/db}: $repl"
# The replication user is authenticated by its certificate only (from db3, a database
# host): without one (even over TLS), or in plaintext, PostgreSQL refuses it.
PSQL=${FREEHOLD_PG_BIN:-/usr/lib/postgresql/15/bin}/psql
repl_conn="host=$(ip_of "${primary/pg/db}") port=$((DB_BASE + 1 + ${primary#pg})) user=replicator"
repl_conn+=" dbname=postgres replication=true connect_timeout=5"
if in_host db3 "$PSQL" "$repl_conn sslmode=verify-full sslrootcert=$TLS/ca.crt" -c IDENTIFY_SYSTEM >/dev/null 2>&1 ||
   in_host db3 "$PSQL" "$repl_conn sslmode=disable" -c IDENTIFY_SYSTEM >/dev/null 2>&1; then
  fail "PostgreSQL accepted a replication connection without a client certificate"
fi
in_host db3 "$PSQL" "$repl_conn sslmode=verify-full sslrootcert=$TLS/ca.crt sslcert=$TLS/db3.crt sslkey=$TLS/db3.key" \
  -c IDENTIFY_SYSTEM >/dev/null || fail "a replication connection with a database host's certificate was refused"
if "$PSQL" "$(fleet_db_conn "${primary#pg}") sslmode=disable" -c 'SELECT 1' >/dev/null 2>&1; then
  fail "PostgreSQL accepted a plaintext session from another host"
fi
echo "   PostgreSQL refuses replication without a certificate and plaintext sessions"
# etcd: three members over https; a client without a certificate, or plaintext, refused.
etcd_tls=(--cacert "$TLS/ca.crt" --cert "$TLS/db-operator.crt" --key "$TLS/db-operator.key")
members=$(ETCDCTL_API=3 etcdctl --endpoints "https://$(ip_of db3):$DB_BASE" "${etcd_tls[@]}" \
  --command-timeout 5s member list | grep -c ", started, etcd[123], https://" || true)
[[ $members == 3 ]] || fail "etcd: $members started members with https peer URLs, not 3"
for d in db1 db2 db3; do
  curl -sf --max-time 5 "${etcd_tls[@]}" "https://$(ip_of $d):$DB_BASE/health" | grep -q '"health":"true"' ||
    fail "etcd on $d is not healthy over mutual TLS"
  if curl -s --max-time 5 --cacert "$TLS/ca.crt" "https://$(ip_of $d):$DB_BASE/health" >/dev/null ||
     curl -s --max-time 5 "http://$(ip_of $d):$DB_BASE/health" >/dev/null; then
    fail "etcd on $d answered a client without a certificate"
  fi
done
echo "   etcd: 3 members with https peer URLs; each refuses clients without a certificate"
# Patroni's REST API: https with client certificates only; patronictl uses it.
for k in 1 2; do
  api="$(ip_of "db$k"):$((DB_BASE + 3 + k))"
  curl -sf --max-time 5 -o /dev/null "${etcd_tls[@]}" "https://$api/patroni" ||
    fail "Patroni's REST API on db$k does not answer over mutual TLS"
  if curl -s --max-time 5 -o /dev/null --cacert "$TLS/ca.crt" "https://$api/patroni" ||
     curl -s --max-time 5 -o /dev/null "http://$api/patroni"; then
    fail "Patroni's REST API on db$k answered a client without a certificate"
  fi
done
fleet_pg_ha status >"$W/patronictl.out" 2>&1 || { cat "$W/patronictl.out"; fail "patronictl list"; }
[[ $(grep -cE "\| pg[12] +\| $MH_NET\.3[12]:" "$W/patronictl.out") == 2 ]] ||
  { cat "$W/patronictl.out"; fail "patronictl does not list both members on their hosts"; }
echo "   Patroni's REST API refuses plaintext and certificate-less clients; patronictl lists both members"

# cluster JSON (freehold-admin status --json) -> "UP_ON_HOST DOWN_ON_HOST DEGRADED SHARDS_ELSEWHERE"
cluster() {
  admin status --json 2>/dev/null | python3 -c '
import json, sys
host = sys.argv[1]
try:
    s = json.load(sys.stdin)
except Exception:
    print("-1 -1 -1 -1"); sys.exit(0)
nodes = s.get("nodes", [])
on = [n for n in nodes if n.get("domain", {}).get("host") == host]
up = sum(n.get("state") == "NODE_STATE_UP" for n in on)
down = sum(n.get("state") == "NODE_STATE_DOWN" for n in on)
elsewhere = sum(int(n.get("shardCount", 0)) for n in nodes if n.get("domain", {}).get("host") != host)
print(up, down, int(s.get("segmentsDegraded", 0)), elsewhere)' "$1"
}
# wait_for SECONDS DESCRIPTION COMMAND...: polls COMMAND every 0.5 s until it succeeds.
wait_for() {
  local bound=$1 what=$2 t0=$SECONDS; shift 2
  until "$@"; do
    ((SECONDS - t0 < bound)) || fail "$what: not within $bound s"
    sleep 0.5
  done
  echo "   $what after $((SECONDS - t0)) s"
}

step "1. storage host st3's cable cut"
read -r _ _ _ before < <(cluster st3)
fleet_link st3 down
CLI_TIMEOUT=90 check_all "st3 cut"
echo "   every object read back with st3 unreachable"
st3_down() { read -r up down _ _ < <(cluster st3); [[ $up == 0 && $down == 2 ]]; }
wait_for 30 "the coordinator marked st3's two daemons down" st3_down
repaired() { read -r _ _ degraded elsewhere < <(cluster st3); [[ $degraded == 0 && $elsewhere -gt $before ]]; }
wait_for 60 "repair rebuilt st3's shards on the other hosts (shards elsewhere: $before before)" repaired
fleet_link st3 up
st3_up() { read -r up _ _ _ < <(cluster st3); [[ $up == 2 ]]; }
wait_for 30 "st3's daemons rejoined" st3_up
put_new after-cut.bin $((700 * 1024)) || { cat "$W/put.out"; fail "put after the cut"; }
check_all "st3 back"
echo "   ${#FILES[@]} objects, each listed once and byte-exact"

step "2. the leading coordinator killed"
leader=$(fleet_leader)
[[ $leader == a || $leader == b ]] || fail "not exactly one coordinator leads: '$leader'"
other=b; [[ $leader == a ]] || other=a
fleet_kill "coordinator-$leader"
t0=$SECONDS
takes_over() { [[ $(fleet_metric "coordinator-$other" freehold_coordinator_leader) == 1 ]]; }
wait_for 10 "coordinator-$other leads (lease check every 500 ms)" takes_over
runs_repair() { grep -q '"leading background task".*"repair"' "$W/logs/coordinator-$other.log"; }
wait_for 10 "coordinator-$other runs the background work (repair)" runs_repair
put_new after-takeover.bin $((300 * 1024)) || { cat "$W/put.out"; fail "put after the takeover"; }
sleep 3  # the daemons heartbeat to the survivor: none is marked down
[[ $(nodes_up) == 6 ]] || fail "not every daemon is up after the takeover: $(nodes_up)"
check_all "after the takeover"
echo "   puts continue through coordinator.fleet; all 6 daemons up"

step "3. the PostgreSQL primary killed"
ledger_before=$(fleet_sql "SELECT count(*) FROM donations.ledger")
[[ $ledger_before -gt 0 ]] || fail "the funding donation is not in the ledger"
# An upload in flight when the primary dies: it completes or fails UNAVAILABLE.
head -c $((2 * 1024 * 1024 + 3)) /dev/urandom >"$W/in-flight.bin"
cli -q put "$W/in-flight.bin" --name in-flight.bin >"$W/in-flight.out" 2>&1 &
in_flight=$!
sleep 0.3
old=$(fleet_pg_ha kill-primary)
t0=$SECONDS
i=0
# Puts go on through the failover: each either completes (then it must read back) or
# fails UNAVAILABLE (CLI exit code 5), until one completes on the new primary.
while true; do
  i=$((i + 1))
  rc=0
  CLI_TIMEOUT=60 put_new "failover-$i.bin" $((64 * 1024 + i)) || rc=$?
  [[ $rc == 0 ]] && break
  [[ $rc == 5 ]] || { cat "$W/put.out"; fail "a put during the failover failed with exit $rc, not UNAVAILABLE (5)"; }
  ((SECONDS - t0 < 90)) || fail "no put completed within 90 s of killing $old"
  sleep 0.5
done
rc=0
wait "$in_flight" || rc=$?
case $rc in
  0) FILES[in-flight.bin]="$W/in-flight.bin"; echo "   the upload in flight completed" ;;
  5) echo "   the upload in flight failed UNAVAILABLE" ;;
  *) cat "$W/in-flight.out"; fail "the upload in flight ended with exit $rc, neither done nor UNAVAILABLE (5)" ;;
esac
new=$(fleet_pg_ha primary)
[[ -n $new && $new != "$old" ]] || fail "Patroni did not promote the standby (primary: '$new', killed $old)"
echo "   $old killed; $new promoted; a put committed after $((SECONDS - t0)) s ($((i - 1)) failed UNAVAILABLE)"
fleet_cli "$W/cli2" signup --handle "mh2$$" >/dev/null || fail "signup after the failover"
# The ledger keeps every entry, and a donation after the failover is recorded.
t1=$SECONDS
until fleet_donate 700 >"$W/donate.out" 2>&1; do
  ((SECONDS - t1 < 60)) || { cat "$W/donate.out"; fail "no donation recorded within 60 s of the failover"; }
  sleep 1
done
# The webhook answers once the payment is journaled; the ledger projection copies it
# asynchronously (and catches up after its own reconnection): wait for it, bounded.
t1=$SECONDS
until ledger_after=$(fleet_sql "SELECT count(*) FROM donations.ledger") &&
  [[ $ledger_after -gt $ledger_before ]]; do
  ((SECONDS - t1 < 30)) || fail "ledger: $ledger_after entries 30 s after the donation, $ledger_before before"
  sleep 0.5
done
echo "   ledger: $ledger_before entries before, $ledger_after after a donation on the new primary"
for p in accounts-a accounts-b donations "coordinator-$other"; do
  is_running "$p" || fail "$p is not running (it must reconnect, not restart)"
done
check_all "after the failover"
echo "   accounts and coordinators reconnected without a restart; ${#FILES[@]} objects byte-exact"

step "4. the services host cut off from the database hosts"
for d in "${DB_HOSTS[@]}"; do fleet_partition svc "$d" on; done
t0=$SECONDS
rc=0
CLI_TIMEOUT=120 put_new partitioned.bin $((128 * 1024)) || rc=$?
[[ $rc == 5 ]] || { cat "$W/put.out"; fail "a put during the partition: exit $rc, not UNAVAILABLE (5)"; }
echo "   a put failed UNAVAILABLE after $((SECONDS - t0)) s"
rc=0
CLI_TIMEOUT=120 fleet_cli "$W/cli3" signup --handle "mh3$$" >"$W/signup.out" 2>&1 || rc=$?
[[ $rc == 5 ]] || { cat "$W/signup.out"; fail "a signup during the partition: exit $rc, not UNAVAILABLE (5)"; }
echo "   a signup failed UNAVAILABLE"
for d in "${DB_HOSTS[@]}"; do fleet_partition svc "$d" off; done
t0=$SECONDS
i=0
until CLI_TIMEOUT=60 put_new "healed-$i.bin" $((96 * 1024)); do
  i=$((i + 1))
  ((SECONDS - t0 < 60)) || { cat "$W/put.out"; fail "no put completed within 60 s of healing"; }
  sleep 1
done
echo "   healed: a put committed after $((SECONDS - t0)) s"
check_all "after healing"
# Nothing half-committed: every listed object is one that committed, or a put that
# failed UNAVAILABLE after its commit (the answer lost), which then reads back whole.
mapfile -t extra < <(python3 - "$W/ls.json" "${!FILES[@]}" <<'PY'
import json, sys
listing = json.load(open(sys.argv[1]))
items = listing if isinstance(listing, list) else next(v for v in listing.values() if isinstance(v, list))
for name in sorted({o.get("name") for o in items} - set(sys.argv[2:])):
    print(name)
PY
)
for n in "${extra[@]}"; do
  [[ -f "$W/$n" ]] || fail "$n is listed but was never put"
  cli -q get "$n" -o "$W/got" >"$W/get.out" 2>&1 || { cat "$W/get.out"; fail "$n is listed but cannot be read"; }
  cmp -s "$W/got" "$W/$n" || fail "$n is listed but differs from what was put"
  rm -f "$W/got"
done
echo "   nothing half-committed (${#extra[@]} put(s) answered UNAVAILABLE yet committed, each whole)"
echo "PASS ($SECONDS s since the start)"
