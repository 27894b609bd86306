#!/usr/bin/env bash
# The fleet on several hosts made of network namespaces (deploy/multihost/fleet.sh):
# three storage hosts with two daemons each in three zones, a services host (two
# accounts, two coordinators, donations), a database host (Patroni with two PostgreSQL
# members and etcd), every gRPC link mutual TLS. From the root namespace the CLI signs
# up, puts and gets files; then, each bounded in time:
#   1. one storage host's cable cut: every object still reads back, the coordinator marks
#      its two daemons down and repairs; cable back: they rejoin, nothing lost or doubled;
#   2. the leading coordinator killed: the other leads the background work within the
#      bound, puts continue (the CLI and the daemons reach it by name);
#   3. the PostgreSQL primary killed: Patroni promotes the standby, the services
#      reconnect without a restart (failed calls fail UNAVAILABLE), and every committed
#      object reads back byte-exactly;
#   4. the services host cut off from the database: calls fail UNAVAILABLE; healed,
#      nothing half-committed remains and puts work again.
# Skips (exit 77) when namespaces cannot be made (not root, no ip) or Patroni/etcd are
# missing. Every namespace, veth, bridge and process is removed on exit (trap).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== [$(date -u +%T)] $*"; }
for tool in patroni patronictl etcd unshare curl; do
  command -v "$tool" >/dev/null || skip "$tool is not installed (deploy/install-deps.sh --ha)"
done
W=$(mktemp -d /tmp/freehold-multihost.XXXXXX)
MH_TAG=t MH_NET=10.77.0
# shellcheck source=deploy/multihost/fleet.sh
source deploy/multihost/fleet.sh
if ! reason=$(fleet_can_run); then rm -rf "$W"; skip "$reason"; fi
# One run at a time per tag (the names are fixed); a previous run killed hard left
# nothing behind once fleet_down has run.
exec 9>"/run/lock/freehold-multihost-$MH_TAG.lock"
flock -w 300 9 || fail "another multihost run holds /run/lock/freehold-multihost-$MH_TAG.lock"
fleet_down
cleanup() {
  local rc=$?
  set +e
  if [[ $rc -ne 0 ]]; then
    for f in "$W"/logs/*.log "$W"/pg/pg*/patroni.log; do
      [[ -s "$f" ]] && { echo "--- $f"; tail -15 "$f"; }
    done
  fi
  fleet_down
  rm -rf "$W"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# --- the CLI, from the root namespace ----------------------------------------------
export FREEHOLD_PASSWORD="multihost correct horse $$"
cli() {
  fleet_client env FREEHOLD_CONFIG_DIR="$W/cli" FREEHOLD_ACCOUNTS_ADDR=accounts.fleet:7101 \
    FREEHOLD_COORDINATOR_ADDR=coordinator.fleet:7103 FREEHOLD_ALLOW_WEAK_KDF=1 \
    timeout "${CLI_TIMEOUT:-60}" "$BIN/freehold" "$@"
}
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
