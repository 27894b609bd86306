#!/usr/bin/env bash
# Runs one private PostgreSQL 15 for tests or a local cluster.
#
#   tests/support/pg_ctl.sh start DIR [PORT] # initdb DIR/data if needed, start, wait,
#                                            # print the admin URL on stdout. Without
#                                            # PORT a free loopback port is chosen.
#   tests/support/pg_ctl.sh stop DIR         # fast shutdown (PORT may be given; ignored)
#   tests/support/pg_ctl.sh status DIR
#
# Listens on 127.0.0.1:PORT and a unix socket in DIR. Trust authentication, user
# "postgres". As root, runs as user "freehold-test" if it exists, else "nobody" (DIR is
# chowned to that user). By default durability is traded for speed (fsync, full page
# writes and synchronous commit off); set FREEHOLD_PG_DURABLE=1 to keep them on.
# Server log: DIR/postgres.log.
set -euo pipefail

PG_BIN=${FREEHOLD_PG_BIN:-/usr/lib/postgresql/15/bin}

usage() {
  echo "usage: $0 start DIR [PORT] | stop DIR | status DIR" >&2
  exit 2
}

[[ $# -ge 2 ]] || usage
cmd=$1
dir=$2

as_user() {
  if [[ $(id -u) -eq 0 ]]; then
    local user=nobody
    if id -u freehold-test >/dev/null 2>&1; then user=freehold-test; fi
    setpriv --reuid="$(id -u "$user")" --regid="$(id -g "$user")" --clear-groups -- "$@"
  else
    "$@"
  fi
}

mkdir -p "$dir"
# As root, PostgreSQL runs as an unprivileged user, who must be able to reach DIR.
# When DIR lies below a directory that user cannot enter (a clone in /root, say),
# the files live in /var/tmp/freehold-pg/<hash of DIR> and DIR becomes a symlink
# to them (only while DIR is still empty; DIR's owner removes both).
if [[ $(id -u) -eq 0 && ! -L "$dir" ]] && ! as_user test -x "$(dirname "$(cd "$dir" && pwd -P)")"; then
  if [[ -n "$(ls -A "$dir")" ]]; then
    echo "$0: $dir is not reachable by the unprivileged PostgreSQL user and not empty" >&2
    exit 1
  fi
  logical=$(cd "$dir" && pwd)
  real="/var/tmp/freehold-pg/$(printf '%s' "$logical" | sha256sum | cut -c1-16)"
  mkdir -p "$real"
  chmod 755 /var/tmp/freehold-pg
  rmdir "$dir"
  ln -s "$real" "$logical"
fi
dir=$(cd "$dir" && pwd -P)

case "$cmd" in
  start)
    [[ $# -le 3 ]] || usage
    fixed_port=${3:-}
    if [[ $(id -u) -eq 0 ]]; then
      user=nobody
      if id -u freehold-test >/dev/null 2>&1; then user=freehold-test; fi
      chown "$user:" "$dir"
      chmod 700 "$dir"
    fi
    if [[ ! -f "$dir/data/PG_VERSION" ]]; then
      nosync=--no-sync
      [[ "${FREEHOLD_PG_DURABLE:-0}" == 1 ]] && nosync=
      as_user "$PG_BIN/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C \
        --no-instructions $nosync >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    fi
    # Already running (e.g. a previous run was killed)? Reuse it.
    if [[ -f "$dir/port" ]] && as_user "$PG_BIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
      echo "postgresql://postgres@127.0.0.1:$(cat "$dir/port")/postgres"
      exit 0
    fi
    for attempt in $(seq 1 10); do
      if [[ -n "$fixed_port" ]]; then
        port=$fixed_port
      else
        # A random port nobody answers on (bounded number of tries).
        for _ in $(seq 1 50); do
          port=$((20000 + RANDOM % 40000))
          if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
        done
      fi
      opts="-p $port -k $dir -h 127.0.0.1 -c max_connections=300 -c shared_buffers=64MB"
      if [[ "${FREEHOLD_PG_DURABLE:-0}" != 1 ]]; then
        opts="$opts -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
      fi
      if as_user "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -o "$opts" -w -t 60 \
          start >"$dir/pg_ctl.log" 2>&1; then
        echo "$port" >"$dir/port"
        # Wait (bounded) until connections are accepted.
        for _ in $(seq 1 300); do
          if "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres; then
            echo "postgresql://postgres@127.0.0.1:$port/postgres"
            exit 0
          fi
          sleep 0.1
        done
        echo "postgres did not become ready on port $port; see $dir/postgres.log" >&2
        exit 1
      fi
      # Retry on another port only if this one was taken.
      if [[ -n "$fixed_port" ]] || ! grep -q "already in use" "$dir/postgres.log" 2>/dev/null; then
        break
      fi
    done
    cat "$dir/pg_ctl.log" "$dir/postgres.log" >&2 || true
    exit 1
    ;;
  stop)
    if [[ -f "$dir/data/postmaster.pid" ]]; then
      as_user "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null
    fi
    ;;
  status)
    as_user "$PG_BIN/pg_ctl" -D "$dir/data" status
    ;;
  *)
    usage
    ;;
esac
