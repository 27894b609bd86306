# shellcheck shell=bash
# A Freehold fleet on several "hosts" made of Linux network namespaces (sourced by
# tests/deploy/multihost_test.sh and bench/e2e/multihost.sh). Needs root and iproute2.
#
# Layout (MH_NET defaults to 10.77.0; nothing else on the machine is touched):
#   bridge fhm<TAG>br   MH_NET.1/24 in the root namespace (the CLI's host)
#   fhm-<TAG>-st1..3    MH_NET.11..13  storage hosts, two daemons each (:7111, :7112),
#                                      zone-1..3
#   fhm-<TAG>-svc       MH_NET.20, .21 services host: accounts, coordinator (replica a
#                                      on .20, b on .21, same ports), donations (.20)
#   fhm-<TAG>-db1..3    MH_NET.31..33  the database host set (deploy/ha/pg-ha.sh with
#                                      FREEHOLD_HA_HOSTS): Patroni and PostgreSQL member
#                                      pg1 on db1, pg2 on db2, an etcd member on each of
#                                      the three; replication, etcd (clients and peers)
#                                      and Patroni's REST API between them mutual TLS
# Every host reaches the others through its veth and the bridge. Replicas are found by
# name, as behind DNS: each namespace's /etc/hosts (ip netns exec mounts
# /etc/netns/NS/hosts) maps accounts.fleet and coordinator.fleet to both replicas and
# callers set GRPC_DNS_RESOLVER=native, so a gRPC channel moves to the other replica
# when one dies. The CLI in the root namespace sees the same file through a private
# mount namespace (fleet_client). Every gRPC link, and every PostgreSQL session from
# another host, is mutual TLS (deploy/tls/pki.sh via deploy/local/lib.sh) with the
# host's addresses and names in the SANs; so is every link between the database hosts.
#
# MH_LOOPBACK=1 builds the same fleet with every address on the loopback device of one
# namespace (fhm-<TAG>-lo), the client included: the reference for benchmarks.
#
# Use: set W (a fresh work directory under /tmp), MH_TAG (1-3 characters), optionally
# MH_NET and MH_LOOPBACK; source this file; fleet_up; ...; fleet_down (idempotent,
# also after a partial fleet_up; put it in an EXIT trap). Two fleets in one shell
# (bench/e2e/multihost.sh): change W, RUN, TLS, MH_TAG, MH_NET, MH_LOOPBACK and the
# FREEHOLD_* exports of fleet_up between calls (processes are found by their pid files).

ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BIN=${FREEHOLD_BIN:-$ROOT/build/bin}
RUN=$W
MH_NET=${MH_NET:-10.77.0}
MH_TAG=${MH_TAG:-t}
MH_HOSTS=(st1 st2 st3 svc db1 db2 db3)
DB_HOSTS=(db1 db2 db3)
DB_BASE=7400
export GRPC_DNS_RESOLVER=native
# shellcheck source=deploy/local/lib.sh
source "$ROOT/deploy/local/lib.sh"
add_env() { :; }  # deploy/local/lib.sh's tls_init records env lines for up.sh only

ns_of() { if [[ "${MH_LOOPBACK:-}" == 1 ]]; then echo "fhm-$MH_TAG-lo"; else echo "fhm-$MH_TAG-$1"; fi; }
ip_of() {
  case $1 in
    st1) echo "$MH_NET.11" ;; st2) echo "$MH_NET.12" ;; st3) echo "$MH_NET.13" ;;
    svc | svc-a) echo "$MH_NET.20" ;; svc-b) echo "$MH_NET.21" ;;
    db1) echo "$MH_NET.31" ;; db2) echo "$MH_NET.32" ;; db3) echo "$MH_NET.33" ;;
  esac
}
in_host() { local ns; ns=$(ns_of "$1"); shift; ip netns exec "$ns" "$@"; }

# fleet_can_run: 0, or 1 with the reason on stdout.
fleet_can_run() {
  [[ $(id -u) -eq 0 ]] || { echo "network namespaces need root"; return 1; }
  command -v ip >/dev/null || { echo "iproute2 (ip) is not installed"; return 1; }
  local probe="fhm-$MH_TAG-probe$$"
  ip netns add "$probe" 2>/dev/null || { echo "cannot create a network namespace (ip netns add)"; return 1; }
  # ip netns exec remounts / as a slave: impossible where / is not a mount point (a chroot)
  if ! ip netns exec "$probe" true 2>/dev/null; then
    ip netns del "$probe"
    echo "cannot run a process in a network namespace (ip netns exec; / is not a mount point?)"
    return 1
  fi
  ip netns del "$probe"
  ip link add "fhm${MH_TAG}probe" type bridge 2>/dev/null || { echo "cannot create a bridge"; return 1; }
  ip link del "fhm${MH_TAG}probe"
}

fleet_hosts_file() {
  cat <<EOF
127.0.0.1 localhost
$(ip_of svc-a) accounts.fleet coordinator.fleet donations.fleet
$(ip_of svc-b) accounts.fleet coordinator.fleet
EOF
}

fleet_net_up() {
  fleet_hosts_file >"$W/hosts"
  if [[ "${MH_LOOPBACK:-}" == 1 ]]; then
    local ns
    ns=$(ns_of lo)
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    for h in st1 st2 st3 svc-a svc-b "${DB_HOSTS[@]}"; do ip -n "$ns" addr add "$(ip_of "$h")/32" dev lo; done
    mkdir -p "/etc/netns/$ns"; cp "$W/hosts" "/etc/netns/$ns/hosts"
    return 0
  fi
  ip link add "fhm${MH_TAG}br" type bridge
  ip addr add "$MH_NET.1/24" dev "fhm${MH_TAG}br"
  ip link set "fhm${MH_TAG}br" up
  local h ns
  for h in "${MH_HOSTS[@]}"; do
    ns=$(ns_of "$h")
    ip netns add "$ns"
    mkdir -p "/etc/netns/$ns"; cp "$W/hosts" "/etc/netns/$ns/hosts"
    ip link add "fhm$MH_TAG$h" type veth peer name eth0 netns "$ns"
    ip link set "fhm$MH_TAG$h" master "fhm${MH_TAG}br" up
    ip -n "$ns" link set lo up
    ip -n "$ns" addr add "$(ip_of "$h")/24" dev eth0
    ip -n "$ns" link set eth0 up
  done
  ip -n "$(ns_of svc)" addr add "$(ip_of svc-b)/24" dev eth0
}

# fleet_client CMD...: runs CMD where the CLI runs (the root namespace, with the
# fleet's /etc/hosts in a private mount namespace; the one namespace in loopback mode).
fleet_client() {
  if [[ "${MH_LOOPBACK:-}" == 1 ]]; then
    ip netns exec "$(ns_of lo)" "$@"
  else
    # shellcheck disable=SC2016 # expanded by that sh
    unshare --mount --propagation private -- sh -c 'mount --bind "$0" /etc/hosts && exec "$@"' "$W/hosts" "$@"
  fi
}

# fleet_cli CONFIG_DIR ARGS...: the freehold CLI from the client's host as the user whose
# configuration is CONFIG_DIR (FREEHOLD_PASSWORD from the environment), bounded by
# CLI_TIMEOUT seconds (default 60).
fleet_cli() {
  local config=$1; shift
  fleet_client env FREEHOLD_CONFIG_DIR="$config" FREEHOLD_ACCOUNTS_ADDR=accounts.fleet:7101 \
    FREEHOLD_COORDINATOR_ADDR=coordinator.fleet:7103 FREEHOLD_ALLOW_WEAK_KDF=1 \
    timeout "${CLI_TIMEOUT:-60}" "$BIN/freehold" "$@"
}

# fleet_link HOST up|down: the host's cable (its veth in the bridge).
fleet_link() { ip link set "fhm$MH_TAG$1" "$2"; }

# fleet_partition HOST1 HOST2 on|off: no route between the two hosts (both ways); the
# rest of the network is untouched.
fleet_partition() {
  local a=$1 b=$2 op=add
  [[ $3 == on ]] || op=del
  local ipa ipb
  for ipb in $(ip_of "$b") $([[ $b == svc ]] && ip_of svc-b); do
    ip -n "$(ns_of "$a")" route "$op" blackhole "$ipb/32"
  done
  for ipa in $(ip_of "$a") $([[ $a == svc ]] && ip_of svc-b); do
    ip -n "$(ns_of "$b")" route "$op" blackhole "$ipa/32"
  done
}

# The database host set: PostgreSQL serves mutual TLS to the other hosts (each member a
# certificate for its host's address; clients present their own and verify the
# server's, verify-full), and the members, etcd and Patroni speak mutual TLS among
# themselves (host-K: db K's certificate, client: this script's, for psql, curl and
# patronictl from the root namespace). pg-ha.sh runs where the CLI runs: it reaches
# every database host over the network only.
fleet_db_up() {
  mkdir -p "$W/pg" "$W/pg-tls"
  local k ns=() all=""
  # In loopback mode the three hosts share one loopback device, where a connection's
  # source address is its destination's: etcd, which checks that a peer's certificate
  # names the address it connects from, then needs every db address in each.
  [[ "${MH_LOOPBACK:-}" != 1 ]] || all="IP:$(ip_of db1) IP:$(ip_of db2) IP:$(ip_of db3)"
  for k in 1 2 3; do
    TLS_SANS="IP:$(ip_of "db$k") DNS:localhost IP:127.0.0.1${all:+ $all}" tls_leaf "db$k" database "mh-db$k"
    cp "$TLS/db$k.crt" "$W/pg-tls/host-$k.crt"
    cp "$TLS/db$k.key" "$W/pg-tls/host-$k.key"
    ns+=("$(ns_of "db$k")")
  done
  TLS_SANS="DNS:localhost" tls_leaf db-operator database mh-db-operator
  cp "$TLS/db-operator.crt" "$W/pg-tls/client.crt"
  cp "$TLS/db-operator.key" "$W/pg-tls/client.key"
  cp "$TLS/ca.crt" "$W/pg-tls/ca.crt"
  DB_URL="$(FREEHOLD_HA_HOSTS="$(ip_of db1) $(ip_of db2) $(ip_of db3)" FREEHOLD_HA_NETNS="${ns[*]}" \
    FREEHOLD_HA_CLIENTS="$MH_NET.0/24" FREEHOLD_HA_TLS_DIR="$W/pg-tls" fleet_pg_ha_cmd up "$W/pg" "$DB_BASE")"
  DB_URL+=" connect_timeout=5 keepalives=1 keepalives_idle=5 keepalives_interval=2"
  DB_URL+=" keepalives_count=3 tcp_user_timeout=10000"
  DB_URL+=" sslmode=verify-full sslrootcert=$TLS/ca.crt"
}
# db_url NAME: the database URL of the process whose certificate is NAME.
db_url() { echo "$DB_URL sslcert=$TLS/$1.crt sslkey=$TLS/$1.key"; }
# fleet_pg_ha_cmd ARGS...: deploy/ha/pg-ha.sh from the client's host (in loopback mode,
# its namespace).
fleet_pg_ha_cmd() {
  if [[ "${MH_LOOPBACK:-}" == 1 ]]; then
    ip netns exec "$(ns_of lo)" "$ROOT/deploy/ha/pg-ha.sh" "$@"
  else
    "$ROOT/deploy/ha/pg-ha.sh" "$@"
  fi
}
fleet_pg_ha() { fleet_pg_ha_cmd "$1" "$W/pg"; }
# fleet_db_conn K: a libpq connection string for PostgreSQL on dbK as postgres, over
# mutual TLS with the operator's database certificate.
fleet_db_conn() {
  echo "host=$(ip_of "db$1") port=$((DB_BASE + 1 + $1)) user=postgres dbname=postgres" \
    "connect_timeout=5 sslmode=verify-full sslrootcert=$TLS/ca.crt sslcert=$TLS/db-operator.crt" \
    "sslkey=$TLS/db-operator.key"
}
# fleet_sql SQL: runs SQL on the current primary (from the client's host), prints rows.
fleet_sql() {
  local p; p=$(fleet_pg_ha primary)
  [[ -n "$p" ]] || { echo "fleet: no primary" >&2; return 1; }
  fleet_client "${FREEHOLD_PG_BIN:-/usr/lib/postgresql/15/bin}/psql" "$(fleet_db_conn "${p#pg}")" \
    -AtqX -v ON_ERROR_STOP=1 -c "$1"
}

# The services host: accounts a/b, donations, coordinator a/b (a started first, so that
# it migrates the schemas alone).
fleet_services_up() {
  local K="$W/keys"
  "$ROOT/deploy/kubernetes/secrets.sh" keys "$K" >/dev/null
  head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$W/pepper"
  chmod 600 "$W/pepper"
  # No operator secret: freehold-admin presents the operator certificate (tls_init).
  FREEHOLD_STRIPE_WEBHOOK_SECRET="whsec_$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  export FREEHOLD_STRIPE_WEBHOOK_SECRET
  for r in a b; do
    local ip; ip=$(ip_of "svc-$r")
    TLS_SANS="DNS:accounts.fleet IP:$ip DNS:localhost IP:127.0.0.1" tls_leaf "accounts-$r" accounts "mh-accounts-$r"
    TLS_SANS="DNS:coordinator.fleet IP:$ip DNS:localhost IP:127.0.0.1" tls_leaf "coordinator-$r" coordinator "mh-coordinator-$r"
  done
  TLS_SANS="DNS:donations.fleet IP:$(ip_of svc-a) DNS:localhost IP:127.0.0.1" tls_leaf donations donations mh-donations
  local LAUNCH=(ip netns exec "$(ns_of svc)")
  for r in a b; do
    local ip; ip=$(ip_of "svc-$r")
    mapfile -t T < <(tls_flags "accounts-$r")
    start_service "accounts-$r" "$ip:7101" "$BIN/freehold-accounts" \
      --listen "$ip:7101" --metrics-listen "$ip:7201" --database-url "$(db_url "accounts-$r")" \
      --data-dir "$W/data/accounts-$r" --signing-keys-file "$K/accounts/signing-keys" \
      --pepper-file "$W/pepper" --verification-keys-out "$W/data/accounts-$r.pub" \
      --allow-weak-kdf --kdf-default-ops 1 --kdf-default-mem 8192 \
      --registrations-per-address-per-hour 0 --log-level warn "${T[@]}" >/dev/null
  done
  mapfile -t T < <(tls_flags donations)
  start_service donations "$(ip_of svc-a):7102" "$BIN/freehold-donations" \
    --listen "$(ip_of svc-a):7102" --metrics-listen "$(ip_of svc-a):7202" \
    --http-listen "$(ip_of svc-a):7302" --database-url "$(db_url donations)" --base-currency EUR \
    --receipt-key "$K/donations/receipt.key" --monthly-cost-minor 5 --log-level warn "${T[@]}" >/dev/null
  for r in a b; do
    local ip; ip=$(ip_of "svc-$r")
    mapfile -t T < <(tls_flags "coordinator-$r")
    start_service "coordinator-$r" "$ip:7103" "$BIN/freehold-coordinator" \
      --listen "$ip:7103" --metrics-listen "$ip:7203" --database-url "$(db_url "coordinator-$r")" \
      --data-dir "$W/data/coordinator-$r" --grant-key-file "$K/coordinator/grant.key" \
      --accounts-keys "$K/accounts/accounts.pub" --accounts accounts.fleet:7101 \
      --donations donations.fleet:7102 \
      --cost-model "$ROOT/deploy/local/cost_model.conf" --funding-refresh 2s \
      --data-shards 2 --parity-shards 2 --failure-domain node --max-shards-per-zone 2 \
      --segment-size 1MiB --heartbeat-interval 1s --node-down-after "${MH_NODE_DOWN_AFTER:-5s}" \
      --repair-after 2s --loop-interval 500ms --log-level info "${T[@]}" >/dev/null
  done
}

# Three storage hosts, two daemons each, approved by the operator before their start.
fleet_storage_up() {
  local h j
  for h in st1 st2 st3; do
    local ip; ip=$(ip_of "$h")
    local LAUNCH=(ip netns exec "$(ns_of "$h")")
    for j in 1 2; do
      local name="storaged-$h-$j" data="$W/data/storaged-$h-$j" identity node_id node_key
      identity=$("$BIN/freehold-storaged" --print-identity --data-dir "$data")
      node_id=$(awk '$1 == "node_id" {print $2}' <<<"$identity")
      node_key=$(awk '$1 == "public_key" {print $2}' <<<"$identity")
      TLS_SANS="IP:$ip DNS:localhost IP:127.0.0.1" tls_leaf "$name" storaged "$node_id"
      fleet_client "$BIN/freehold-admin" --coordinator coordinator.fleet:7103 \
        nodes approve "$node_id" --public-key "$node_key" >/dev/null
      mapfile -t T < <(tls_flags "$name")
      start_service "$name" "$ip:711$j" "$BIN/freehold-storaged" \
        --listen "$ip:711$j" --metrics-listen "" --data-dir "$data" \
        --coordinator coordinator.fleet:7103 --coordinator-keys "$W/keys/coordinator/coordinator.pub" \
        --region fleet --zone "zone-${h#st}" --host "$h" --capacity-bytes $((1 << 30)) \
        --reserve-bytes $((1 << 20)) --heartbeat-interval 1s --log-level warn "${T[@]}" >/dev/null
    done
  done
  fleet_client "$BIN/freehold-admin" --coordinator coordinator.fleet:7103 nodes --wait-up 6 --wait 60 >/dev/null
}

# fleet_donate AMOUNT_MINOR: a Stripe-signed donation to the donations webhook
# (deploy/local/donate.sh, from the client's host); prints the answer.
fleet_donate() {
  printf 'export %s="%s"\n' FREEHOLD_DONATIONS_HTTP "http://$(ip_of svc-a):7302" \
    FREEHOLD_STRIPE_WEBHOOK_SECRET "$FREEHOLD_STRIPE_WEBHOOK_SECRET" >"$W/env"
  fleet_client env FREEHOLD_LOCAL_RUN_DIR="$W" "$ROOT/deploy/local/donate.sh" "$1" eur
}

# fleet_funded: a donation covers the cost model (deploy/local/cost_model.conf; donations
# --monthly-cost-minor 5), so that admission is open (unfunded, writes are throttled);
# waits (bounded) until both coordinators say so.
fleet_funded() {
  fleet_donate 2500 >/dev/null
  local r
  for r in a b; do
    for _ in $(seq 100); do
      grep '"msg":"admission state"' "$W/logs/coordinator-$r.log" | tail -1 | grep -q '"state":"open"' && break
      sleep 0.2
    done
    grep '"msg":"admission state"' "$W/logs/coordinator-$r.log" | tail -1 | grep -q '"state":"open"' ||
      { echo "fleet: coordinator-$r's admission is not open after a donation" >&2; return 1; }
  done
}

fleet_up() {
  mkdir -p "$W/pids" "$W/logs" "$W/data"
  chmod 755 "$W"
  local t=$SECONDS
  fleet_net_up
  tls_init
  fleet_db_up
  echo "   database host up ($((SECONDS - t)) s)"
  fleet_services_up 2>>"$W/logs/keys.log"
  echo "   services host up ($((SECONDS - t)) s)"
  fleet_storage_up
  echo "   storage hosts up ($((SECONDS - t)) s)"
  fleet_funded
  echo "   funded by a donation, admission open ($((SECONDS - t)) s)"
  disown -a  # killing one later (fleet_kill) prints no notice
}

# fleet_kill NAME [SIGNAL]: signals the process started as NAME (default KILL).
fleet_kill() { kill "-${2:-KILL}" "$(cat "$W/pids/$1.pid")" 2>/dev/null || true; }

# fleet_metric NAME METRIC: the value of an unlabelled metric of a services-host
# process (coordinator-a/b: 7203, accounts-a/b: 7201), or -1.
fleet_metric() {
  local r=${1##*-} port=7203
  [[ $1 == accounts-* ]] && port=7201
  local v
  v=$(fleet_client curl -sf --max-time 3 "http://$(ip_of "svc-$r"):$port/metrics" 2>/dev/null |
    awk -v m="$2" '$1 == m {print $2}')
  echo "${v:--1}"
}

# fleet_leader: a or b, the coordinator replica that leads the background work (by its
# freehold_coordinator_leader gauge); empty if none.
fleet_leader() {
  local r
  for r in a b; do
    [[ $(fleet_metric "coordinator-$r" freehold_coordinator_leader) != 1 ]] || echo "$r"
  done
}

fleet_down() {
  local f h ns pids
  disown -a 2>/dev/null || true  # no "Killed" notices from the shell
  for f in "$W"/pids/*.pid; do
    [[ ! -f "$f" ]] || kill -KILL "$(cat "$f")" 2>/dev/null || true
  done
  if [[ -f "$W/pg/baseport" ]]; then "$ROOT/deploy/ha/pg-ha.sh" down "$W/pg" >/dev/null 2>&1 || true; fi
  for h in "${MH_HOSTS[@]}" lo; do
    ns="fhm-$MH_TAG-$h"
    if ip netns list | grep -qw "$ns"; then
      pids=$(ip netns pids "$ns" 2>/dev/null || true)
      # shellcheck disable=SC2086
      [[ -z "$pids" ]] || kill -KILL $pids 2>/dev/null || true
      ip netns del "$ns" || true
    fi
    rm -rf "/etc/netns/$ns"
    ip link del "fhm$MH_TAG$h" 2>/dev/null || true
  done
  ip link del "fhm${MH_TAG}br" 2>/dev/null || true
  rmdir /etc/netns 2>/dev/null || true  # only if no other namespace has files there
}
