#!/usr/bin/env bash
# A highly available PostgreSQL 15 on loopback: one etcd and two members managed by
# Patroni with synchronous replication. For tests, benchmarks and trying failover on one
# machine; deploy/README.md ("Highly available metadata") describes the production
# layout it models.
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
# address FREEHOLD_HA_HOST given to `up` (remembered in DIR/host): the multi-host test
# runs the cluster in a network namespace of its own (tests/deploy/multihost_test.sh),
# its clients in FREEHOLD_HA_CLIENTS (a CIDR, default the host's own /32).
# FREEHOLD_HA_TLS_DIR (given to `up`): a directory with server.crt, server.key and ca.crt;
# PostgreSQL then serves TLS and the clients in FREEHOLD_HA_CLIENTS must connect over TLS
# with a client certificate signed by ca.crt (pg_hba `hostssl ... clientcert=verify-ca`;
# they use sslmode=verify-full sslrootcert=ca.crt sslcert=... sslkey=...).
# Authentication is `trust` on loopback (this is a single-machine cluster); production
# uses scram-sha-256 over TLS (deploy/README.md). The URL's user is "postgres".
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
    exec setpriv --reuid="$(id -u "$user")" --regid="$(id -g "$user")" --clear-groups -- "$@"
  else
    exec "$@"
  fi
}

[[ $# -ge 2 ]] || usage
cmd=$1
dir=$2

base_of() { cat "$dir/baseport"; }
HOST=127.0.0.1
[[ ! -f "$dir/host" ]] || HOST=$(cat "$dir/host")
url_of() {
  local b
  b=$(base_of)
  echo "host=$HOST,$HOST port=$((b + 2)),$((b + 3)) user=postgres dbname=postgres" \
    "target_session_attrs=read-write"
}
ctl() { as_user env HOME="$dir" patronictl -c "$dir/pg1/patroni.yml" "$@"; }

# The name of the member whose REST API answers 200 on /primary ("" if none).
primary_member() {
  local b
  b=$(base_of)
  for i in 1 2; do
    if curl -sf -o /dev/null --max-time 2 "http://$HOST:$((b + 3 + i))/primary"; then
      echo "pg$i"
      return
    fi
  done
  echo ""
}

# Waits (bounded) until there is a primary accepting writes and a synchronous standby
# streaming from it.
wait_healthy() {
  local deadline=$((SECONDS + ${1:-90})) b
  b=$(base_of)
  while ((SECONDS < deadline)); do
    local p
    p=$(primary_member)
    if [[ -n "$p" ]]; then
      local port=$((b + 1 + ${p#pg}))
      local sync
      sync=$("$PG_BIN/psql" -h "$HOST" -p "$port" -U postgres -d postgres -Atqc \
        "SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'
                                                    AND state = 'streaming'" 2>/dev/null || true)
      local other=$((3 - ${p#pg}))
      # ... and Patroni has recorded the standby as synchronous (a switchover needs it).
      if [[ "$sync" == 1 ]] &&
        curl -sf -o /dev/null --max-time 2 "http://$HOST:$((b + 3 + other))/sync"; then
        return 0
      fi
    fi
    sleep 0.5
  done
  echo "pg-ha: no primary with a synchronous standby within ${1:-90} s; see $dir/*/patroni.log" >&2
  ctl list >&2 || true
  return 1
}

# The pg_hba lines for the clients (FREEHOLD_HA_CLIENTS): mutual TLS when the cluster
# has TLS material in $dir/tls, else trust.
client_hba() {
  local clients=${FREEHOLD_HA_CLIENTS:-$HOST/32}
  if [[ -f "$dir/tls/server.crt" ]]; then
    echo "    - hostssl all all $clients trust clientcert=verify-ca"
    echo "    - hostnossl all all $clients reject"
  else
    echo "    - host all all $clients trust"
  fi
}
ssl_parameters() {
  [[ -f "$dir/tls/server.crt" ]] || return 0
  printf '    %s\n' "ssl: 'on'" "ssl_cert_file: $dir/tls/server.crt" \
    "ssl_key_file: $dir/tls/server.key" "ssl_ca_file: $dir/tls/ca.crt"
}

write_member_config() {
  local i=$1 b=$2
  local name="pg$i" pgport=$((b + 1 + i)) apiport=$((b + 3 + i))
  local strict=false
  [[ "${FREEHOLD_HA_STRICT:-0}" == 1 ]] && strict=true
  mkdir -p "$dir/$name"
  cat >"$dir/$name/patroni.yml" <<EOF
scope: freehold
name: $name
log:
  level: INFO
restapi:
  listen: $HOST:$apiport
  connect_address: $HOST:$apiport
etcd3:
  hosts: $HOST:$b
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
  pg_hba:
    - local all all trust
    - host replication replicator $HOST/32 trust
    - host all all $HOST/32 trust
    - host all all ${FREEHOLD_HA_CLIENTS:-$HOST/32} trust
postgresql:
  listen: $HOST:$pgport
  connect_address: $HOST:$pgport
  data_dir: $dir/$name/data
  bin_dir: $PG_BIN
  pgpass: $dir/$name/pgpass
  authentication:
    superuser:
      username: postgres
    replication:
      username: replicator
    rewind:
      username: postgres
  parameters:
    unix_socket_directories: $dir/$name
$(ssl_parameters)
EOF
}

start_etcd() {
  local b=$1
  (exec_as_user etcd --name freehold-ha --data-dir "$dir/etcd/data" \
    --listen-client-urls "http://$HOST:$b" --advertise-client-urls "http://$HOST:$b" \
    --listen-peer-urls "http://$HOST:$((b + 1))" \
    --initial-advertise-peer-urls "http://$HOST:$((b + 1))" \
    --initial-cluster "freehold-ha=http://$HOST:$((b + 1))" \
    --listen-metrics-urls "") >"$dir/etcd.log" 2>&1 &
  echo $! >"$dir/etcd.pid"
  for _ in $(seq 1 100); do
    if curl -sf --max-time 1 "http://$HOST:$b/health" | grep -q true; then return 0; fi
    sleep 0.1
  done
  echo "pg-ha: etcd did not start; see $dir/etcd.log" >&2
  return 1
}

start_member() {
  local i=$1
  (exec_as_user env HOME="$dir" patroni "$dir/pg$i/patroni.yml") >"$dir/pg$i/patroni.log" 2>&1 &
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
    if [[ -n "${FREEHOLD_HA_TLS_DIR:-}" ]]; then
      mkdir -p "$dir/tls"
      for f in server.crt server.key ca.crt; do
        install -m 0600 "$FREEHOLD_HA_TLS_DIR/$f" "$dir/tls/$f"  # chowned below
      done
    fi
    for i in 1 2; do write_member_config "$i" "$base"; done
    mkdir -p "$dir/etcd"
    if [[ $(id -u) -eq 0 ]]; then chown -R "$(run_user):" "$dir"; fi
    chmod 700 "$dir"
    alive "$dir/etcd.pid" || start_etcd "$base"
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
    stop_pidfile "$dir/etcd.pid"
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
