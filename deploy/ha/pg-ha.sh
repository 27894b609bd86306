#!/usr/bin/env bash
# A highly available PostgreSQL 15: two members managed by Patroni with synchronous
# replication over etcd. On loopback (one etcd) for tests, benchmarks and trying
# failover on one machine, or on a host set (one member per host, three etcd members,
# every link mutual TLS: FREEHOLD_HA_HOSTS below), the production layout that
# deploy/README.md ("Highly available metadata") describes.
#
#   deploy/ha/pg-ha.sh up DIR BASEPORT     # start (or reuse) the cluster, wait for a
#                                          # primary and a synchronous standby, print
#                                          # the libpq multi-host URL on stdout. Again
#                                          # later (BASEPORT may then be left out), it
#                                          # restarts the members that are not running
#   deploy/ha/pg-ha.sh down DIR            # stop Patroni (which stops PostgreSQL), etcd
#   deploy/ha/pg-ha.sh status DIR          # patronictl list
#   deploy/ha/pg-ha.sh switchover DIR      # planned switchover to the standby; waits
#                                          # until the new primary accepts writes
#   deploy/ha/pg-ha.sh kill-primary DIR    # SIGKILL the primary's Patroni and postmaster
#                                          # (a host that died); Patroni promotes the
#                                          # synchronous standby once the leader key
#                                          # expires (ttl)
#   deploy/ha/pg-ha.sh url DIR             # print the multi-host URL again
#   deploy/ha/pg-ha.sh primary DIR         # print the current primary's member name
#
# Ports: BASEPORT etcd clients, +1 etcd peers, +2 and +3 PostgreSQL (members pg1, pg2),
# +4 and +5 their Patroni REST APIs. Everything listens on 127.0.0.1 only, or on the
# address FREEHOLD_HA_HOST given to `up` (remembered in DIR/host), its clients in
# FREEHOLD_HA_CLIENTS (a CIDR, default the host's own /32).
#
# A host set (FREEHOLD_HA_HOSTS="ADDR1 ADDR2 ADDR3", given to `up`, remembered in
# DIR/hosts): member pg1 with its Patroni on ADDR1, pg2 on ADDR2, and a three-member etcd
# on ADDR1..ADDR3, as in production (one PostgreSQL per host, three etcd members).
# FREEHOLD_HA_NETNS="NS1 NS2 NS3" (optional, root) starts each host's processes in that
# network namespace (ip netns exec), so that the hosts are separate machines on a
# network (deploy/multihost/fleet.sh); this script itself then runs where it can reach
# every ADDR (the commands below talk to the hosts over the network only).
#
# FREEHOLD_HA_TLS_DIR (given to `up`): a directory with ca.crt and each host's
# certificate and key, host-K.crt/host-K.key for the K-th address (a single host may
# name them server.crt/server.key), plus optionally client.crt/client.key (this
# script's own identity; default host-1's). Every link is then mutual TLS, each side
# presenting a certificate signed by ca.crt and checking the other's (its address in
# the SANs):
#   - clients in FREEHOLD_HA_CLIENTS -> PostgreSQL: `hostssl ... clientcert=verify-ca`,
#     plaintext refused (clients use sslmode=verify-full sslrootcert=ca.crt sslcert=...
#     sslkey=...);
#   - streaming replication and pg_rewind between the members: `hostssl replication
#     replicator ADDR/32 cert` and `hostssl all rewind ADDR/32 cert` (the users are
#     authenticated by their certificates: pg_ident maps the CN "database:..." to
#     replicator and rewind, a role Patroni creates for pg_rewind; no superuser login
#     from another host), sslmode=verify-full;
#   - etcd clients (Patroni, patronictl) and etcd peers: https with
#     --client-cert-auth / --peer-client-cert-auth;
#   - Patroni's REST API (members, patronictl, this script): https with
#     verify_client: required.
# Without it, authentication is `trust` (loopback tests); production uses certificates
# as above, or scram-sha-256 over TLS (deploy/README.md). The URL's user is "postgres".
#
# Replication: synchronous_mode: true, so a commit returns only once the standby has it,
# and Patroni never promotes a member that is not the recorded synchronous standby: no
# committed transaction is lost in a failover. synchronous_mode_strict is false by
# default: with two members, strict mode would stop every write whenever the one standby
# is down; non-strict lets the primary continue alone (and then refuses automatic
# failover until the standby is back in sync). FREEHOLD_HA_STRICT=1 turns strict on.
#
# Timings (loopback, tests): ttl 10 s, loop_wait 1 s, retry_timeout 4 s, so an automatic
# failover after a dead primary takes about ttl; a switchover a few seconds.
#
# As root, etcd, Patroni and PostgreSQL run as user "freehold-test" if it exists, else
# "nobody" (PostgreSQL refuses to run as root); DIR must be reachable by that user
# (a directory under /tmp or /var/tmp is). Logs: DIR/etcd.log, DIR/pg1/patroni.log, ...
set -euo pipefail

PG_BIN=${FREEHOLD_PG_BIN:-/usr/lib/postgresql/15/bin}
TTL=${FREEHOLD_HA_TTL:-10}

usage() {
  echo "usage: $0 up DIR [BASEPORT] | down DIR | status DIR | switchover DIR |" \
    "kill-primary DIR | url DIR | primary DIR" >&2
  exit 2
}

missing_tools() {
  local m=()
  command -v patroni >/dev/null 2>&1 || m+=(patroni)
  command -v patronictl >/dev/null 2>&1 || m+=(patronictl)
  command -v etcd >/dev/null 2>&1 || m+=(etcd-server)
  [[ -x "$PG_BIN/postgres" ]] || m+=(postgresql-15)
  echo "${m[*]}"
}

run_user() {
  if id -u freehold-test >/dev/null 2>&1; then echo freehold-test; else echo nobody; fi
}

as_user() {
  if [[ $(id -u) -eq 0 ]]; then
    local user
    user=$(run_user)
    setpriv --reuid="$(id -u "$user")" --regid="$(id -g "$user")" --clear-groups -- "$@"
  else
    "$@"
  fi
}

# Replaces the current (sub)shell with "$@" run as that user, so that $! of
# `(exec_as_user ...) &` is the program's own pid.
exec_as_user() {
  if [[ $(id -u) -eq 0 ]]; then
    local user
    user=$(run_user)
    # The unprivileged user may not enter the caller's directory (a root-only home, as
    # on a fresh machine): Patroni's worker processes chdir back to it and die.
    cd "$dir"
    exec setpriv --reuid="$(id -u "$user")" --regid="$(id -g "$user")" --clear-groups -- "$@"
  else
    exec "$@"
  fi
}

[[ $# -ge 2 ]] || usage
cmd=$1
dir=$(realpath -m -- "$2")  # absolute: processes started as another user cd into it

base_of() { cat "$dir/baseport"; }
HOST=127.0.0.1
[[ ! -f "$dir/host" ]] || HOST=$(cat "$dir/host")
# HOSTS[K] (K from 1): the addresses; member pg1 on HOSTS[1], pg2 on HOSTS[2] (both on
# HOST without a host set); an etcd member on each address. NETNS[K]: its namespace.
HOSTS=() NETNS=()
load_hosts() {
  local h=() n=()
  if [[ -s "$dir/hosts" ]]; then read -r -a h <"$dir/hosts"; else h=("$HOST"); fi
  [[ ! -s "$dir/netns" ]] || read -r -a n <"$dir/netns"
  HOSTS=("" "${h[@]}") NETNS=("" "${n[@]}")
}
load_hosts
host_count() { echo $((${#HOSTS[@]} - 1)); }
member_host() { if (($(host_count) > 1)); then echo "$1"; else echo 1; fi; }  # host index of pgN
member_addr() { echo "${HOSTS[$(member_host "$1")]}"; }

tls_on() { [[ -f "$dir/tls/ca.crt" ]]; }
client_cert() { if [[ -f "$dir/tls/client.crt" ]]; then echo "$dir/tls/client"; else echo "$dir/tls/host-1"; fi; }
# curl_api K PATH: GET on member pgK's REST API (https with this script's certificate
# when TLS is on); fails unless 2xx.
curl_api() {
  local b; b=$(base_of)
  if tls_on; then
    local c; c=$(client_cert)
    curl -sf -o /dev/null --max-time 2 --cacert "$dir/tls/ca.crt" --cert "$c.crt" --key "$c.key" \
      "https://$(member_addr "$1"):$((b + 3 + $1))$2"
  else
    curl -sf -o /dev/null --max-time 2 "http://$(member_addr "$1"):$((b + 3 + $1))$2"
  fi
}
# psql_member K SQL: runs SQL on member pgK as postgres (over mutual TLS when on).
psql_member() {
  local b conn; b=$(base_of)
  conn="host=$(member_addr "$1") port=$((b + 1 + $1)) user=postgres dbname=postgres connect_timeout=3"
  if tls_on; then
    local c; c=$(client_cert)
    conn+=" sslmode=verify-full sslrootcert=$dir/tls/ca.crt sslcert=$c.crt sslkey=$c.key"
  fi
  "$PG_BIN/psql" "$conn" -AtqX -c "$2"
}

url_of() {
  local b
  b=$(base_of)
  echo "host=$(member_addr 1),$(member_addr 2) port=$((b + 2)),$((b + 3)) user=postgres" \
    "dbname=postgres target_session_attrs=read-write"
}
ctl() { as_user env HOME="$dir" patronictl -c "$dir/pg1/patroni.yml" "$@"; }

# The name of the member whose REST API answers 200 on /primary ("" if none).
primary_member() {
  for i in 1 2; do
    if curl_api "$i" /primary; then
      echo "pg$i"
      return
    fi
  done
  echo ""
}

# Waits (bounded) until there is a primary accepting writes and a synchronous standby
# streaming from it.
wait_healthy() {
  local deadline=$((SECONDS + ${1:-90}))
  while ((SECONDS < deadline)); do
    local p
    p=$(primary_member)
    if [[ -n "$p" ]]; then
      local sync
      sync=$(psql_member "${p#pg}" "SELECT count(*) FROM pg_stat_replication
        WHERE sync_state = 'sync' AND state = 'streaming'" 2>/dev/null || true)
      local other=$((3 - ${p#pg}))
      # ... and Patroni has recorded the standby as synchronous (a switchover needs it).
      if [[ "$sync" == 1 ]] && curl_api "$other" /sync; then
        return 0
      fi
    fi
    sleep 0.5
  done
  echo "pg-ha: no primary with a synchronous standby within ${1:-90} s; see $dir/*/patroni.log" >&2
  ctl list >&2 || true
  return 1
}

# The pg_hba lines: with TLS, certificates between the members (replication, rewind)
# and mutual TLS for the clients (FREEHOLD_HA_CLIENTS), plaintext refused; else trust.
hba_lines() {
  local clients=${FREEHOLD_HA_CLIENTS:-$HOST/32} k
  echo "    - local all all trust"
  if tls_on; then
    for ((k = 1; k <= $(host_count); k++)); do
      echo "    - hostssl replication replicator ${HOSTS[$k]}/32 cert map=members"
      echo "    - hostssl all rewind ${HOSTS[$k]}/32 cert map=members"
    done
    echo "    - hostssl all all $clients trust clientcert=verify-ca"
    echo "    - hostnossl all all 0.0.0.0/0 reject"
  else
    echo "    - host replication replicator $HOST/32 trust"
    echo "    - host all all $HOST/32 trust"
    echo "    - host all all $clients trust"
  fi
}
# The replication and rewind users' TLS parameters (a member's own certificate).
member_ssl() {
  tls_on || return 0
  printf "      %s\n" "sslmode: verify-full" "sslrootcert: $dir/tls/ca.crt" \
    "sslcert: $dir/tls/host-$1.crt" "sslkey: $dir/tls/host-$1.key"
}

write_member_config() {
  local i=$1 b=$2
  local name="pg$i" pgport=$((b + 1 + i)) apiport=$((b + 3 + i))
  local k addr etcd_hosts="" strict=false
  k=$(member_host "$i")
  addr=${HOSTS[$k]}
  for ((j = 1; j <= $(host_count); j++)); do etcd_hosts+="${etcd_hosts:+,}${HOSTS[$j]}:$b"; done
  [[ "${FREEHOLD_HA_STRICT:-0}" == 1 ]] && strict=true
  local cert="$dir/tls/host-$k" ca="$dir/tls/ca.crt" c
  c=$(client_cert)
  mkdir -p "$dir/$name"
  {
    cat <<EOF
scope: freehold
name: $name
log:
  level: INFO
restapi:
  listen: $addr:$apiport
  connect_address: $addr:$apiport
EOF
    if tls_on; then
      printf '  %s\n' "certfile: $cert.crt" "keyfile: $cert.key" "cafile: $ca" "verify_client: required"
      printf '%s\n' "ctl:" "  certfile: $c.crt" "  keyfile: $c.key" "  cacert: $ca"
    fi
    printf '%s\n' "etcd3:" "  hosts: $etcd_hosts"
    if tls_on; then
      printf '  %s\n' "protocol: https" "cacert: $ca" "cert: $cert.crt" "key: $cert.key"
    fi
    cat <<EOF
bootstrap:
  dcs:
    ttl: $TTL
    loop_wait: 1
    retry_timeout: 4
    maximum_lag_on_failover: 1048576
    synchronous_mode: true
    synchronous_mode_strict: $strict
    postgresql:
      use_pg_rewind: true
      use_slots: true
      parameters:
        wal_level: replica
        hot_standby: "on"
        max_wal_senders: 10
        max_replication_slots: 10
        wal_log_hints: "on"
        max_connections: 300
        shared_buffers: 64MB
  initdb:
    - encoding: UTF8
    - locale: C
    - auth: trust
postgresql:
  listen: $addr:$pgport
  connect_address: $addr:$pgport
  data_dir: $dir/$name/data
  bin_dir: $PG_BIN
  pgpass: $dir/$name/pgpass
  use_unix_socket: true
  pg_hba:
$(hba_lines)
  pg_ident:
    - "members /^database:.*$ replicator"
    - "members /^database:.*$ rewind"
  authentication:
    superuser:
      username: postgres
    replication:
      username: replicator
$(member_ssl "$k")
    rewind:
      username: $(if tls_on; then echo rewind; else echo postgres; fi)
$(member_ssl "$k")
  parameters:
    unix_socket_directories: $dir/$name
EOF
    if tls_on; then
      printf '    %s\n' "ssl: 'on'" "ssl_cert_file: $cert.crt" "ssl_key_file: $cert.key" "ssl_ca_file: $ca"
    fi
  } >"$dir/$name/patroni.yml"
}

# on_host K CMD...: replaces the current (sub)shell with CMD run as the run user in
# host K's namespace (if any), so that $! of `(on_host K ...) &` is the program's pid
# (ip netns exec and setpriv exec it).
on_host() {
  local k=$1; shift
  if [[ -n "${NETNS[$k]:-}" ]]; then
    local user
    user=$(run_user)
    exec ip netns exec "${NETNS[$k]}" setpriv --reuid="$(id -u "$user")" \
      --regid="$(id -g "$user")" --clear-groups -- "$@"
  fi
  exec_as_user "$@"
}

start_etcd() {
  local b=$1 n k scheme=http cluster="" tls=()
  n=$(host_count)
  if tls_on; then
    scheme=https
    local ca="$dir/tls/ca.crt"
  fi
  for ((k = 1; k <= n; k++)); do cluster+="${cluster:+,}etcd$k=$scheme://${HOSTS[$k]}:$((b + 1))"; done
  for ((k = 1; k <= n; k++)); do
    alive "$dir/etcd$k.pid" && continue
    local addr=${HOSTS[$k]}
    if tls_on; then
      local cert="$dir/tls/host-$k"
      tls=(--cert-file "$cert.crt" --key-file "$cert.key" --trusted-ca-file "$ca" --client-cert-auth
        --peer-cert-file "$cert.crt" --peer-key-file "$cert.key" --peer-trusted-ca-file "$ca"
        --peer-client-cert-auth)
    fi
    (on_host "$k" etcd --name "etcd$k" --data-dir "$dir/etcd$k/data" \
      --listen-client-urls "$scheme://$addr:$b" --advertise-client-urls "$scheme://$addr:$b" \
      --listen-peer-urls "$scheme://$addr:$((b + 1))" \
      --initial-advertise-peer-urls "$scheme://$addr:$((b + 1))" \
      --initial-cluster "$cluster" --initial-cluster-token freehold-ha \
      --listen-metrics-urls "" "${tls[@]}") >"$dir/etcd$k.log" 2>&1 &
    echo $! >"$dir/etcd$k.pid"
  done
  # Healthy once a quorum has elected a leader (each member answers for the cluster).
  local curl_tls=()
  if tls_on; then
    local c; c=$(client_cert)
    curl_tls=(--cacert "$dir/tls/ca.crt" --cert "$c.crt" --key "$c.key")
  fi
  local deadline=$((SECONDS + 60))
  while ((SECONDS < deadline)); do
    if curl -sf --max-time 1 "${curl_tls[@]}" "$scheme://${HOSTS[1]}:$b/health" | grep -q true; then
      return 0
    fi
    sleep 0.1
  done
  echo "pg-ha: etcd did not start; see $dir/etcd*.log" >&2
  return 1
}

start_member() {
  local i=$1
  (on_host "$(member_host "$i")" env HOME="$dir" patroni "$dir/pg$i/patroni.yml") \
    >"$dir/pg$i/patroni.log" 2>&1 &
  echo $! >"$dir/pg$i/patroni.pid"
}

alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

stop_pidfile() {
  local f=$1
  alive "$f" || return 0
  local pid
  pid=$(cat "$f")
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 150); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
}

case "$cmd" in
  up)
    [[ $# -eq 3 || ( $# -eq 2 && -f "$dir/baseport" ) ]] || usage
    if [[ -n "$(missing_tools)" ]]; then
      echo "pg-ha: missing $(missing_tools) (deploy/install-deps.sh --ha installs them)" >&2
      exit 3
    fi
    base=${3:-$(cat "$dir/baseport")}
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd -P)
    echo "$base" >"$dir/baseport"
    HOST=${FREEHOLD_HA_HOST:-$HOST}
    echo "$HOST" >"$dir/host"
    if [[ -n "${FREEHOLD_HA_HOSTS:-}" ]]; then
      read -r -a set <<<"$FREEHOLD_HA_HOSTS"
      [[ ${#set[@]} -eq 3 ]] || { echo "pg-ha: FREEHOLD_HA_HOSTS needs three addresses" >&2; exit 2; }
      echo "$FREEHOLD_HA_HOSTS" >"$dir/hosts"
      echo "${FREEHOLD_HA_NETNS:-}" >"$dir/netns"
    fi
    load_hosts
    if [[ -n "${FREEHOLD_HA_TLS_DIR:-}" ]]; then
      mkdir -p "$dir/tls"
      t=$FREEHOLD_HA_TLS_DIR
      install -m 0600 "$t/ca.crt" "$dir/tls/ca.crt"  # all chowned below
      if [[ -f "$t/server.crt" ]]; then
        install -m 0600 "$t/server.crt" "$dir/tls/host-1.crt"
        install -m 0600 "$t/server.key" "$dir/tls/host-1.key"
      fi
      for f in "$t"/host-*.crt "$t"/host-*.key "$t"/client.crt "$t"/client.key; do
        [[ ! -f "$f" ]] || install -m 0600 "$f" "$dir/tls/${f##*/}"
      done
      for ((k = 1; k <= $(host_count); k++)); do
        [[ -f "$dir/tls/host-$k.crt" && -f "$dir/tls/host-$k.key" ]] ||
          { echo "pg-ha: $t has no host-$k.crt/.key for ${HOSTS[$k]}" >&2; exit 2; }
      done
    fi
    for i in 1 2; do write_member_config "$i" "$base"; done
    for ((k = 1; k <= $(host_count); k++)); do mkdir -p "$dir/etcd$k"; done
    if [[ $(id -u) -eq 0 ]]; then chown -R "$(run_user):" "$dir"; fi
    chmod 700 "$dir"
    start_etcd "$base"
    alive "$dir/pg1/patroni.pid" || start_member 1
    # The second member joins once the first has bootstrapped (it copies it).
    for _ in $(seq 1 600); do
      [[ -n "$(primary_member)" ]] && break
      sleep 0.1
    done
    alive "$dir/pg2/patroni.pid" || start_member 2
    wait_healthy 120
    url_of
    ;;
  down)
    [[ -f "$dir/baseport" ]] || exit 0
    for i in 1 2; do stop_pidfile "$dir/pg$i/patroni.pid"; done
    # Patroni stops PostgreSQL on exit; a postmaster left by a SIGKILLed Patroni is
    # stopped here.
    for i in 1 2; do
      if [[ -f "$dir/pg$i/data/postmaster.pid" ]]; then
        as_user "$PG_BIN/pg_ctl" -D "$dir/pg$i/data" -m immediate -w -t 30 stop \
          >/dev/null 2>&1 || true
      fi
    done
    for ((k = 1; k <= $(host_count); k++)); do stop_pidfile "$dir/etcd$k.pid"; done
    ;;
  status)
    ctl list
    ;;
  url)
    url_of
    ;;
  primary)
    primary_member
    ;;
  switchover)
    old=$(primary_member)
    [[ -n "$old" ]] || { echo "pg-ha: no primary" >&2; exit 1; }
    if [[ "$old" == pg1 ]]; then new=pg2; else new=pg1; fi
    ctl switchover --leader "$old" --candidate "$new" --force >"$dir/switchover.log" 2>&1 ||
      { cat "$dir/switchover.log" >&2; exit 1; }
    for _ in $(seq 1 600); do
      [[ "$(primary_member)" == "$new" ]] && break
      sleep 0.1
    done
    [[ "$(primary_member)" == "$new" ]] || { echo "pg-ha: $new did not become primary" >&2; exit 1; }
    wait_healthy 60  # the old primary follows as the synchronous standby again
    echo "$new"
    ;;
  kill-primary)
    old=$(primary_member)
    [[ -n "$old" ]] || { echo "pg-ha: no primary" >&2; exit 1; }
    kill -KILL "$(cat "$dir/$old/patroni.pid")" 2>/dev/null || true
    if [[ -f "$dir/$old/data/postmaster.pid" ]]; then
      kill -KILL "$(head -1 "$dir/$old/data/postmaster.pid")" 2>/dev/null || true
    fi
    echo "$old"
    ;;
  *)
    usage
    ;;
esac
