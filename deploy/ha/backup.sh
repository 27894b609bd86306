#!/usr/bin/env bash
# A base backup of the metadata store (deploy/README.md, "Backing up and restoring the
# metadata"): one physical copy of the whole cluster (schemas accounts, donations,
# coordinator), which with the archived WAL restores to any later moment
# (deploy/ha/restore.sh).
#
#   deploy/ha/backup.sh CONNINFO DEST
#
# CONNINFO: a libpq connection string or URL to the primary or a standby, as a user with
# the REPLICATION attribute (Patroni's `replicator`), e.g.
#   'host=db1 port=5432 user=replicator sslmode=verify-full sslrootcert=ca.crt
#    sslcert=backup.crt sslkey=backup.key'
# Runs pg_basebackup -Ft -z -X stream -c fast into DEST/base-<UTC time>/ (base.tar.gz,
# pg_wal.tar.gz: the WAL the copy needs to be consistent, streamed while it runs, and
# backup_manifest; pg_verifybackup of PostgreSQL 15 cannot read tar backups, so only
# their presence is checked), and prints that directory. The WAL after the backup comes
# from archive_command (the README's settings); deploy/ha/restore.sh restores both.
set -euo pipefail
PG_BIN=${FREEHOLD_PG_BIN:-/usr/lib/postgresql/15/bin}
[[ $# -eq 2 ]] || { echo "usage: $0 CONNINFO DEST" >&2; exit 2; }
conninfo=$1 dest=$2
mkdir -p "$dest"
out="$dest/base-$(date -u +%Y%m%dT%H%M%SZ)"
[[ ! -e "$out" ]] || out="$out-$$"
umask 077
"$PG_BIN/pg_basebackup" -d "$conninfo" -D "$out" -Ft -z -X stream -c fast --label freehold-backup \
  --no-password >"$out.log" 2>&1 || { cat "$out.log" >&2; rm -rf "$out"; exit 1; }
rm -f "$out.log"
[[ -s "$out/base.tar.gz" && -s "$out/pg_wal.tar.gz" && -s "$out/backup_manifest" ]] ||
  { echo "backup.sh: $out is incomplete" >&2; exit 1; }
echo "$out"
