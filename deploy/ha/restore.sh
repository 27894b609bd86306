#!/usr/bin/env bash
# Point-in-time restore of the metadata store from a base backup (deploy/ha/backup.sh)
# and the WAL archive (deploy/README.md, "Backing up and restoring the metadata",
# step 2): the whole cluster as it was at TARGET.
#
#   deploy/ha/restore.sh BACKUP WAL_ARCHIVE DATA_DIR TARGET
#
# BACKUP: a directory made by backup.sh (base.tar.gz, pg_wal.tar.gz). WAL_ARCHIVE: where
# archive_command copied the WAL (read by restore_command = 'cp WAL_ARCHIVE/%f %p').
# DATA_DIR: must not exist or be empty (the member's data directory, emptied by the
# operator, or a fresh one). TARGET: a timestamp with time zone ('2026-12-07
# 16:20:00.5+00': every transaction committed up to it is kept, none after), or
# "latest" (replay every archived WAL segment).
#
# Unpacks the backup, writes the recovery settings to postgresql.auto.conf and
# recovery.signal, starts PostgreSQL alone (with max_connections and the other settings
# recovery requires at least as high as the backed-up server's, from pg_controldata) (no TCP listener: a unix socket in DATA_DIR
# only, so no client can connect meanwhile), waits (bounded by
# FREEHOLD_RESTORE_TIMEOUT, 300 s) until recovery has reached TARGET and promoted, stops
# it and removes the recovery settings. The data directory is then an ordinary primary:
# start it (Patroni: remove the cluster from etcd and start Patroni on this member first,
# README step 3). Fails, with the server's log, if TARGET is not reached (e.g. WAL
# missing from the archive): PostgreSQL refuses to promote short of the target.
#
# As root, PostgreSQL runs as FREEHOLD_PG_USER (default postgres), who owns DATA_DIR
# and must be able to read WAL_ARCHIVE (and write it, if the restored settings archive).
set -euo pipefail
PG_BIN=${FREEHOLD_PG_BIN:-/usr/lib/postgresql/15/bin}
TIMEOUT=${FREEHOLD_RESTORE_TIMEOUT:-300}
[[ $# -eq 4 ]] || { echo "usage: $0 BACKUP WAL_ARCHIVE DATA_DIR TARGET" >&2; exit 2; }
backup=$1 wal=$2 data=$3 target=$4
die() { echo "restore.sh: $*" >&2; exit 1; }
[[ -s "$backup/base.tar.gz" && -s "$backup/pg_wal.tar.gz" ]] || die "$backup has no base.tar.gz and pg_wal.tar.gz"
[[ -d "$wal" ]] || die "no WAL archive at $wal"
[[ ! -e "$data" || -z "$(ls -A "$data")" ]] || die "$data is not empty"
[[ "$target" == latest || "$target" != *"'"* ]] || die "TARGET must not contain quotes"
wal=$(cd "$wal" && pwd -P)

as_pg() {
  if [[ $(id -u) -eq 0 ]]; then
    local user=${FREEHOLD_PG_USER:-postgres}
    setpriv --reuid="$(id -u "$user")" --regid="$(id -g "$user")" --clear-groups -- "$@"
  else
    "$@"
  fi
}

mkdir -p "$data"
data=$(cd "$data" && pwd -P)
chmod 700 "$data"
tar -xzf "$backup/base.tar.gz" -C "$data"
mkdir -p "$data/pg_wal"
tar -xzf "$backup/pg_wal.tar.gz" -C "$data/pg_wal"
[[ $(id -u) -ne 0 ]] || chown -R "${FREEHOLD_PG_USER:-postgres}:" "$data"

# The recovery settings, between markers so that they can be removed afterwards.
{
  echo "# freehold restore.sh: begin"
  echo "restore_command = 'cp $wal/%f %p'"
  if [[ "$target" != latest ]]; then
    echo "recovery_target_time = '$target'"
    echo "recovery_target_inclusive = on"
    echo "recovery_target_action = 'promote'"
  fi
  echo "# freehold restore.sh: end"
} >>"$data/postgresql.auto.conf"
as_pg touch "$data/recovery.signal"

# A standby or recovering server must allow at least as much as the server that wrote
# the WAL (else: "recovery aborted because of insufficient parameter settings"). Patroni
# and the test clusters set these on the command line, so the restored postgresql.conf
# may not hold them: take them from the backup's control file.
control=$("$PG_BIN/pg_controldata" "$data")
setting() { awk -F': *' -v k="$1 setting" '$1 == k {print $2}' <<<"$control"; }
opts="-c listen_addresses='' -k $data -p 5432"
for pair in max_connections:max_connections max_worker_processes:max_worker_processes \
  max_wal_senders:max_wal_senders max_prepared_xacts:max_prepared_transactions \
  max_locks_per_xact:max_locks_per_transaction; do
  v=$(setting "${pair%%:*}")
  [[ -z "$v" ]] || opts+=" -c ${pair#*:}=$v"
done
# (A target the WAL cannot reach may end the server before pg_ctl sees it start.)
if ! as_pg "$PG_BIN/pg_ctl" -D "$data" -l "$data/restore.log" -o "$opts" -w -t 60 start >/dev/null; then
  tail -20 "$data/restore.log" >&2
  if grep -q "recovery ended before configured recovery target was reached" "$data/restore.log"; then
    die "recovery did not reach $target (WAL missing from $wal?)"
  fi
  die "PostgreSQL did not start on the restored data"
fi
promoted=""
for _ in $(seq 1 $((TIMEOUT * 5))); do
  if [[ $(as_pg "$PG_BIN/psql" -h "$data" -p 5432 -U "${FREEHOLD_PG_SUPERUSER:-postgres}" -d postgres -AtqX \
      -c "SELECT pg_is_in_recovery()" 2>/dev/null) == f ]]; then
    promoted=1
    break
  fi
  # Recovery that cannot reach the target ends the server (FATAL).
  as_pg "$PG_BIN/pg_ctl" -D "$data" status >/dev/null 2>&1 || break
  sleep 0.2
done
as_pg "$PG_BIN/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null 2>&1 || true
[[ -n "$promoted" ]] || { tail -20 "$data/restore.log" >&2; die "recovery did not reach $target and promote (WAL missing from $wal?)"; }
sed -i '/^# freehold restore.sh: begin$/,/^# freehold restore.sh: end$/d' "$data/postgresql.auto.conf"
grep -E 'recovery stopping|last completed transaction|selected new timeline' "$data/restore.log" || true
