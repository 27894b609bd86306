#!/usr/bin/env bash
# The fleet on several hosts (a benchmark, not a test): the multi-host test's topology
# (deploy/multihost/fleet.sh: three storage hosts, a services host with two accounts and
# two coordinators, a database host set: Patroni and PostgreSQL on db1 and db2, etcd on
# db1..db3, every link mutual TLS over veths and a bridge) and,
# as the reference in the same run, the same fleet with every address on one
# namespace's loopback device. Needs root and iproute2, Patroni and etcd.
#
#   sudo ./bench/e2e/multihost.sh     # FREEHOLD_BENCH_MIB (default 16), FREEHOLD_BENCH_RUNS (5)
#
# Figures (`figure: NAME VALUE`):
#   multihost_put_MBps / loopback_put_MBps / multihost_put_ratio (target >= 0.8), and the
#     same for get: one file put and got by the CLI from the client's host, best of the
#     runs, the two fleets alternating (and taking turns to go first) so that both see
#     the same background load;
#   coordinator_takeover_seconds: the leading coordinator SIGKILLed -> the first
#     leader-only background step on the other (its "leading background task" log line),
#     and _lease_intervals, the same over the lease check interval (--loop-interval,
#     0.5 s; target < 2);
#   pg_failover_seconds: the PostgreSQL primary's Patroni and postmaster SIGKILLed -> the
#     first put committed through the coordinator (puts retried every 0.2 s), and
#     _ttl_ratio, over Patroni's leader ttl (10 s; target: failover under 30 s);
#     pg_failover_lost_commits: objects committed before or during the failover that do
#     not read back byte-exactly afterwards (target 0).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
MIB=${FREEHOLD_BENCH_MIB:-16}
RUNS=${FREEHOLD_BENCH_RUNS:-5}
[[ $(id -u) -eq 0 ]] || { echo "multihost.sh: network namespaces need root" >&2; exit 2; }
for tool in patroni etcd ip unshare; do
  command -v "$tool" >/dev/null || { echo "multihost.sh: $tool is missing (deploy/install-deps.sh)" >&2; exit 2; }
done
WORK=$(mktemp -d /tmp/freehold-bench-multihost.XXXXXX)
chmod 755 "$WORK"
W="$WORK/multi"
# shellcheck source=deploy/multihost/fleet.sh
source deploy/multihost/fleet.sh

# fleet_env multi|lo: selects one of the two fleets for the fleet_* functions.
fleet_env() {
  W="$WORK/$1" RUN="$WORK/$1" TLS="$WORK/$1/tls"
  # Both in 10.77.0.0/24 (the multi-host test's subnet, hence its lock below): the
  # loopback fleet's addresses exist only inside its own namespace.
  if [[ $1 == lo ]]; then MH_TAG=l MH_NET=10.77.0 MH_LOOPBACK=1; else MH_TAG=b MH_NET=10.77.0 MH_LOOPBACK=; fi
  export FREEHOLD_CA_FILE="$TLS/ca.crt" FREEHOLD_ADMIN_TLS_CERT="$TLS/operator.crt"
  export FREEHOLD_ADMIN_TLS_KEY="$TLS/operator.key"
}
# The bridge's subnet is the multi-host test's: one of them at a time.
exec 9>/run/lock/freehold-multihost-t.lock
flock -w 600 9 || { echo "multihost.sh: another run (or the multihost test) holds the lock" >&2; exit 1; }
cleanup() {
  set +e
  (fleet_env multi; fleet_down)
  (fleet_env lo; fleet_down)
  [[ "${FREEHOLD_BENCH_KEEP:-}" == 1 ]] || rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
for side in multi lo; do
  (fleet_env "$side"; fleet_down; mkdir -p "$W"; echo "== $side fleet"; fleet_up) ||
    { echo "multihost.sh: the $side fleet did not start; logs in $WORK/$side/logs" >&2; FREEHOLD_BENCH_KEEP=1; exit 1; }
done

export FREEHOLD_PASSWORD="bench multihost $$"
fh() {  # fh SIDE ARGS...: the CLI against one fleet, from its client host
  local side=$1; shift
  (fleet_env "$side"; CLI_TIMEOUT=300 fleet_cli "$WORK/config-$side" -q "$@")
}
for side in multi lo; do fh "$side" signup --handle "bench$side$$" --remember >/dev/null; done
head -c $((MIB * 1024 * 1024)) /dev/urandom >"$WORK/input.bin"
BYTES=$(stat -c %s "$WORK/input.bin")
# shellcheck source=bench/e2e/lib.sh
source bench/e2e/lib.sh
declare -A best=()
for ((r = 0; r < RUNS; r++)); do
  order="multi lo"; ((r % 2 == 0)) || order="lo multi"  # neither always goes first
  for side in $order; do
    best[put-$side]=$(min "${best[put-$side]:-}" "$(timed "$side" put "$WORK/input.bin" --name "bench-$r.bin")")
  done
  for side in $order; do
    rm -f "$WORK/out.bin"
    best[get-$side]=$(min "${best[get-$side]:-}" "$(timed "$side" get "bench-$r.bin" -o "$WORK/out.bin")")
    cmp "$WORK/input.bin" "$WORK/out.bin"
  done
done

# --- the leading coordinator killed (multi-host fleet) -----------------------------
fleet_env multi
leader=$(fleet_leader)
[[ $leader == a || $leader == b ]] || { echo "multihost.sh: not exactly one coordinator leads: '$leader'" >&2; exit 1; }
other=b; [[ $leader == a ]] || other=a
lines=$(wc -l <"$W/logs/coordinator-$other.log")
t_kill=$(now)
fleet_kill "coordinator-$leader"
takeover=""
for _ in $(seq 200); do
  ts=$(tail -n +"$((lines + 1))" "$W/logs/coordinator-$other.log" |
    grep -m1 '"msg":"leading background task"' | sed -n 's/.*"ts":"\([^"]*\)".*/\1/p' || true)
  if [[ -n $ts ]]; then
    takeover=$(awk -v a="$t_kill" -v b="$(date -d "$ts" +%s.%N)" 'BEGIN { printf "%.3f", b - a }')
    break
  fi
  sleep 0.1
done
[[ -n $takeover ]] || { echo "multihost.sh: coordinator-$other did not take over within 20 s" >&2; exit 1; }

# --- the PostgreSQL primary killed (multi-host fleet) ------------------------------
head -c 65536 /dev/urandom >"$WORK/small.bin"
committed=()
for i in 1 2 3; do fh multi put "$WORK/small.bin" --name "before-$i.bin" >/dev/null; committed+=("before-$i.bin"); done
t_kill=$(now)
old=$(fleet_pg_ha kill-primary)
failover="" i=0
while [[ -z $failover ]]; do
  i=$((i + 1))
  if fh multi put "$WORK/small.bin" --name "during-$i.bin" >/dev/null 2>&1; then
    failover=$(since "$t_kill")
    committed+=("during-$i.bin")
  fi
  awk -v a="$t_kill" -v b="$(now)" 'BEGIN { exit !(b - a > 120) }' &&
    { echo "multihost.sh: no commit within 120 s of killing $old" >&2; exit 1; }
  sleep 0.2
done
lost=0
for n in "${committed[@]}"; do
  rm -f "$WORK/out.bin"
  if ! fh multi get "$n" -o "$WORK/out.bin" >/dev/null 2>&1 || ! cmp -s "$WORK/out.bin" "$WORK/small.bin"; then
    lost=$((lost + 1))
  fi
done
for r in $(seq 0 $((RUNS - 1))); do
  rm -f "$WORK/out.bin"
  fh multi get "bench-$r.bin" -o "$WORK/out.bin" >/dev/null 2>&1 && cmp -s "$WORK/out.bin" "$WORK/input.bin" || lost=$((lost + 1))
done

echo "file: $MIB MiB of random data, best of $RUNS alternating runs per fleet; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "figure: multihost_put_MBps $(mbps "${best[put-multi]}")"
echo "figure: loopback_put_MBps $(mbps "${best[put-lo]}")"
echo "figure: multihost_put_ratio $(ratio "${best[put-lo]}" "${best[put-multi]}")"
echo "figure: multihost_get_MBps $(mbps "${best[get-multi]}")"
echo "figure: loopback_get_MBps $(mbps "${best[get-lo]}")"
echo "figure: multihost_get_ratio $(ratio "${best[get-lo]}" "${best[get-multi]}")"
echo "figure: coordinator_takeover_seconds $takeover"
echo "figure: coordinator_takeover_lease_intervals $(ratio "$takeover" 0.5)"
echo "figure: pg_failover_seconds $failover"
echo "figure: pg_failover_ttl_ratio $(ratio "$failover" "${FREEHOLD_HA_TTL:-10}")"
echo "figure: pg_failover_lost_commits $lost"
echo "targets: multihost_*_ratio >= 0.8; coordinator_takeover_lease_intervals < 2; pg_failover_seconds < 30; lost 0"
