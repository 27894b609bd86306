#!/usr/bin/env bash
# Backing up and restoring the metadata as deploy/README.md documents it ("Backing up
# and restoring the metadata"), with deploy/ha/backup.sh and deploy/ha/restore.sh, on
# loopback:
#   1. a durable PostgreSQL with WAL archiving set as the README says (archive_mode,
#      archive_command `test ! -f ARCHIVE/%f && cp %p ARCHIVE/%f`, archive_timeout);
#      freehold-accounts on it (over mutual TLS); the CLI signs up user A;
#   2. a base backup (backup.sh: pg_basebackup -Ft -z -X stream -c fast);
#   3. after it the CLI signs up user B; the restore target is taken (the database's
#      clock); then user C signs up; the WAL is switched and archived; the server and
#      the service stop (the metadata is "lost");
#   4. restore.sh unpacks the backup into a fresh data directory and recovers to the
#      target from the archive;
#   5. the restored database has A (from the base backup) and B (replayed from the
#      archive), not C; freehold-accounts started on it answers: B logs in with the
#      CLI, C's handle is free again and signs up anew.
# Bounded: every wait has a deadline; the whole well under 60 s.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
BIN=${FREEHOLD_BIN:-$ROOT/build/bin}
PG_BIN=${FREEHOLD_PG_BIN:-/usr/lib/postgresql/15/bin}
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== [$(date -u +%T)] $*"; }
[[ -x "$PG_BIN/pg_basebackup" ]] || skip "PostgreSQL 15 is not installed ($PG_BIN)"
W=$(mktemp -d /tmp/freehold-backup-test.XXXXXX)
chmod 755 "$W"  # PostgreSQL runs as an unprivileged user when this runs as root
RUN=$W
PIDS=()
cleanup() {
  local rc=$?
  set +e
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  for d in "$W/pg" "$W/restored"; do
    [[ ! -f "$d/data/postmaster.pid" ]] || tests/support/pg_ctl.sh stop "$d" >/dev/null 2>&1
  done
  if [[ $rc -ne 0 ]]; then
    for f in "$W"/logs/*.log "$W"/pg/postgres.log "$W"/restored/data/restore.log; do
      [[ -s "$f" ]] && { echo "--- $f"; tail -15 "$f"; }
    done
  fi
  rm -rf "$W"
  exit "$rc"
}
trap cleanup EXIT
mkdir -p "$W/logs" "$W/pids" "$W/data" "$W/archive" "$W/backups"
PG_USER=$(id -un)
if [[ $(id -u) -eq 0 ]]; then
  PG_USER=nobody
  if id -u freehold-test >/dev/null 2>&1; then PG_USER=freehold-test; fi
  chown "$PG_USER:" "$W/archive"
fi

# A loopback port above the ephemeral range that nobody answers on.
free_port() {
  local p
  for _ in $(seq 1 50); do
    p=$((61000 + RANDOM % 4000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
  done
  fail "no free port"
}

# --- 1. PostgreSQL with WAL archiving as documented; accounts; user A --------------
step "PostgreSQL with WAL archiving (deploy/README.md's settings)"
export FREEHOLD_PG_DURABLE=1
URL=$(tests/support/pg_ctl.sh start "$W/pg")
PORT=${URL##*:}; PORT=${PORT%%/*}
psql_at() { "$PG_BIN/psql" "$1" -AtqX -v ON_ERROR_STOP=1 -c "$2"; }
for setting in "archive_mode = 'on'" "archive_timeout = 60" "wal_level = 'replica'" \
  "archive_command = 'test ! -f $W/archive/%f && cp %p $W/archive/%f'"; do
  psql_at "$URL" "ALTER SYSTEM SET $setting" >/dev/null
done
tests/support/pg_ctl.sh stop "$W/pg"
tests/support/pg_ctl.sh start "$W/pg" "$PORT" >/dev/null  # archive_mode needs a restart
[[ $(psql_at "$URL" "SHOW archive_mode") == on ]] || fail "archive_mode is not on"
psql_at "$URL" "CREATE DATABASE freehold" >/dev/null
DB="postgresql://postgres@127.0.0.1:$PORT/freehold"

# shellcheck source=deploy/local/lib.sh
source deploy/local/lib.sh
add_env() { :; }
tls_init
tls_leaf accounts accounts backup-test-accounts
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$W/pepper"
chmod 600 "$W/pepper"
"$BIN/freehold-accounts" --rotate-signing-keys-file "$W/signing-keys" 2>>"$W/logs/keys.log"
ACCOUNTS=127.0.0.1:$(free_port) METRICS=$(free_port)
start_accounts() {  # start_accounts DATABASE_URL
  mapfile -t T < <(tls_flags accounts)
  rm -f "$W/pids/accounts.pid"
  start_service accounts "$ACCOUNTS" "$BIN/freehold-accounts" --listen "$ACCOUNTS" \
    --metrics-listen "127.0.0.1:$METRICS" --database-url "$1" --data-dir "$W/data/accounts" \
    --signing-keys-file "$W/signing-keys" --pepper-file "$W/pepper" \
    --verification-keys-out "$W/data/accounts.pub" --allow-weak-kdf --kdf-default-ops 1 \
    --kdf-default-mem 8192 --registrations-per-address-per-hour 0 --log-level warn "${T[@]}" >/dev/null
  PIDS+=("$(cat "$W/pids/accounts.pid")")
}
stop_accounts() { kill "$(cat "$W/pids/accounts.pid")"; wait "$(cat "$W/pids/accounts.pid")" 2>/dev/null || true; }
export FREEHOLD_PASSWORD="backup restore $$" FREEHOLD_ALLOW_WEAK_KDF=1 FREEHOLD_ACCOUNTS_ADDR=$ACCOUNTS
cli() {  # cli USER ARGS...: the CLI with USER's own configuration directory
  local who=$1; shift
  FREEHOLD_CONFIG_DIR="$W/cli-$who" timeout 60 "$BIN/freehold" "$@"
}
start_accounts "$DB"
H="bk$$"
cli a signup --handle "${H}a" >/dev/null || fail "sign-up of ${H}a"
echo "   accounts up; ${H}a signed up"

# --- 2. a base backup ----------------------------------------------------------
step "base backup (deploy/ha/backup.sh)"
# The README's command runs as the replication user (Patroni's replicator); here the
# superuser, which may replicate too.
BACKUP=$(deploy/ha/backup.sh "host=127.0.0.1 port=$PORT user=postgres" "$W/backups")
echo "   $BACKUP: $(du -sh "$BACKUP" | cut -f1)"

# --- 3. commits after the backup, the target, commits after the target ------------
step "commits after the backup, around the restore target"
cli b signup --handle "${H}b" >/dev/null || fail "sign-up of ${H}b"
sleep 0.2
TARGET=$(psql_at "$DB" "SELECT clock_timestamp()")
sleep 1.2
cli c signup --handle "${H}c" >/dev/null || fail "sign-up of ${H}c"
[[ $(psql_at "$DB" "SELECT count(*) FROM accounts.accounts WHERE handle LIKE '$H%'") == 3 ]] ||
  fail "three accounts expected before the restore"
stop_accounts
# The segment holding C's commit is archived (a real loss forfeits at most the last
# archive_timeout); wait (bounded) for the archiver.
seg=$(psql_at "$URL" "SELECT pg_walfile_name(pg_switch_wal())")
for _ in $(seq 1 100); do [[ -f "$W/archive/$seg" ]] && break; sleep 0.1; done
[[ -f "$W/archive/$seg" ]] || fail "WAL segment $seg was not archived within 10 s"
tests/support/pg_ctl.sh stop "$W/pg"
echo "   ${H}b before the target ($TARGET), ${H}c after; archived up to $seg; the database stopped"

# --- 4. restore to the target into a fresh data directory --------------------------
step "point-in-time restore (deploy/ha/restore.sh)"
mkdir -p "$W/restored"
if [[ $(id -u) -eq 0 ]]; then chown "$PG_USER:" "$W/restored"; chmod 700 "$W/restored"; fi
t0=$SECONDS
FREEHOLD_PG_USER=$PG_USER deploy/ha/restore.sh "$BACKUP" "$W/archive" "$W/restored/data" "$TARGET" |
  sed 's/^/   /'
echo "   restored in $((SECONDS - t0)) s"
[[ ! -f "$W/restored/data/recovery.signal" ]] || fail "recovery.signal is still there"
! grep -q 'recovery_target' "$W/restored/data/postgresql.auto.conf" || fail "the recovery settings were left behind"
# A restore that cannot reach its target must fail, not promote short of it.
mkdir -p "$W/short"
if [[ $(id -u) -eq 0 ]]; then chown "$PG_USER:" "$W/short"; fi
if FREEHOLD_PG_USER=$PG_USER FREEHOLD_RESTORE_TIMEOUT=20 deploy/ha/restore.sh "$BACKUP" "$W/backups" \
    "$W/short/data" "$TARGET" >"$W/logs/short.log" 2>&1; then
  fail "a restore without the archived WAL reported success"
fi
grep -q "did not reach" "$W/logs/short.log" || { cat "$W/logs/short.log"; fail "the short restore failed for another reason"; }
echo "   without the archive, restore.sh refuses (recovery did not reach the target)"

# --- 5. what the restored database holds, and a service on it ----------------------
step "the restored database and a service on it"
RURL=$(tests/support/pg_ctl.sh start "$W/restored")
RPORT=${RURL##*:}; RPORT=${RPORT%%/*}
RDB="postgresql://postgres@127.0.0.1:$RPORT/freehold"
have=$(psql_at "$RDB" "SELECT string_agg(handle, ',' ORDER BY handle) FROM accounts.accounts WHERE handle LIKE '$H%'")
[[ $have == "${H}a,${H}b" ]] || fail "restored accounts: '$have', expected ${H}a (base backup) and ${H}b (WAL) without ${H}c"
[[ $(psql_at "$RDB" "SELECT pg_is_in_recovery()") == f ]] || fail "the restored database is still in recovery"
echo "   ${H}a and ${H}b are there, ${H}c is not"
start_accounts "$RDB"
cli b2 login --handle "${H}b" >/dev/null || fail "${H}b cannot log in on the restored database"
cli c2 signup --handle "${H}c" >/dev/null || fail "${H}c's handle is not free after the restore"
if cli a2 signup --handle "${H}a" >/dev/null 2>&1; then fail "${H}a's handle was free after the restore"; fi
echo "   freehold-accounts on the restored database: ${H}b logs in, ${H}c signs up again, ${H}a is taken"
echo "PASS"
