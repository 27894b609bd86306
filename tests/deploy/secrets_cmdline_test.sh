#!/usr/bin/env bash
# No secret on a command line (any local user can read /proc/PID/cmdline).
#  1. The local cluster as the README starts it (deploy/local/up.sh without build
#     and demo, in a private run directory and port range): the command line of
#     every Freehold process holds neither the accounts pepper, the Stripe webhook
#     secret nor a URL with a password; and there is no shared operator secret
#     (up.sh makes none; operators use the operator certificate or a role).
#  2. freehold-accounts, freehold-donations and freehold-coordinator started the
#     same way against a database URL that carries a password, given as
#     FREEHOLD_DATABASE_URL (as the systemd units and Kubernetes manifests do): they
#     serve, and the password is not on their command lines.
#  3. The same URL, or the webhook secret, given on the command line is refused
#     (exit 2) with a message that names the flag and not the secret; the removed
#     operator-secret flags (coordinator --admin-token-file, freehold-admin
#     --token-file) are refused (exit 2) naming what replaced them.
# Bounded: every wait has a deadline.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
BIN="$ROOT/build/bin"
RUN=$(mktemp -d /tmp/freehold-secrets-test.XXXXXX)
chmod 755 "$RUN"  # PostgreSQL runs as an unprivileged user when this runs as root
BASE=$((9000 + (RANDOM % 6) * 500))  # apart from local_cluster (20000+) and interop (12000+)
export FREEHOLD_LOCAL_RUN_DIR="$RUN" FREEHOLD_LOCAL_PORT_BASE="$BASE" FREEHOLD_SKIP_BUILD=1 FREEHOLD_SKIP_DEMO=1
EXTRA_PIDS=()
cleanup() {
  for pid in "${EXTRA_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  ./deploy/local/down.sh --purge >/dev/null 2>&1 || true
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# Fails if /proc/PID/cmdline of `pid` contains any of the given secrets.
check_cmdline() {
  local name=$1 pid=$2; shift 2
  [[ -r /proc/$pid/cmdline ]] || fail "$name (pid $pid) is not running"
  local cmdline
  cmdline=$(tr '\0' ' ' < "/proc/$pid/cmdline")
  for secret in "$@"; do
    [[ -n "$secret" ]] || continue
    [[ "$cmdline" != *"$secret"* ]] || fail "$name (pid $pid) has a secret on its command line"
  done
  if grep -Eq '://[^/@ ]*:[^/@ ]*@' <<<"$cmdline"; then fail "$name (pid $pid) has a URL with a password on its command line"; fi
  echo "   $name: no secret on the command line"
}

echo "== up.sh (port base $BASE, run dir $RUN)"
timeout 300 ./deploy/local/up.sh > "$RUN/up.out" 2>&1 || { cat "$RUN/up.out" >&2; fail "up.sh failed"; }
PEPPER=$(cat "$RUN/data/pepper")
WHSEC=$(cat "$RUN/data/stripe-webhook-secret")
[[ -n "$PEPPER" && -n "$WHSEC" ]] || fail "up.sh made no secrets"
[[ ! -e "$RUN/data/admin-token" ]] || fail "up.sh made a shared operator secret"
grep -q ADMIN_TOKEN "$RUN/env" && fail ".run/env still names an operator secret"
n=0
for pidfile in "$RUN"/pids/*.pid; do
  name=$(basename "$pidfile" .pid)
  check_cmdline "$name" "$(cat "$pidfile")" "$PEPPER" "$WHSEC"
  n=$((n + 1))
done
[[ $n -ge 9 ]] || fail "only $n processes checked"

echo "== a database URL with a password, from the environment"
PG_PORT=$((BASE + 432))
DB_PASSWORD="db-pw-$RANDOM$RANDOM$RANDOM"
psql -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 \
  -c "CREATE ROLE freehold_secret_test LOGIN SUPERUSER PASSWORD '$DB_PASSWORD'" >/dev/null \
  || fail "cannot create the test role"
DB_URL="postgresql://freehold_secret_test:$DB_PASSWORD@127.0.0.1:$PG_PORT/postgres"

start_with_env_url() {
  local name=$1 addr=$2; shift 2
  FREEHOLD_DATABASE_URL="$DB_URL" nohup "$BIN/$name" "$@" >"$RUN/logs/$name-envurl.log" 2>&1 </dev/null &
  local pid=$!
  EXTRA_PIDS+=("$pid")
  "$BIN/freehold-admin" --plaintext health --address "$addr" --wait 30 >/dev/null \
    || { tail -20 "$RUN/logs/$name-envurl.log" >&2; fail "$name with FREEHOLD_DATABASE_URL did not become healthy"; }
  check_cmdline "$name (FREEHOLD_DATABASE_URL)" "$pid" "$DB_PASSWORD" "$PEPPER" "$WHSEC"
}
A2=127.0.0.1:$((BASE + 141)); D2=127.0.0.1:$((BASE + 142)); C2=127.0.0.1:$((BASE + 143))  # unused by up.sh
start_with_env_url freehold-accounts "$A2" --listen "$A2" --metrics-listen 127.0.0.1:0 \
  --data-dir "$RUN/data/accounts-envurl" --pepper-file "$RUN/data/pepper"
start_with_env_url freehold-donations "$D2" --listen "$D2" --metrics-listen 127.0.0.1:0 \
  --http-listen 127.0.0.1:0 --stripe-webhook-secret "file:$RUN/data/stripe-webhook-secret"
start_with_env_url freehold-coordinator "$C2" --listen "$C2" --metrics-listen 127.0.0.1:0 \
  --data-dir "$RUN/data/coordinator-envurl" --accounts-keys "$RUN/data/accounts.pub" \
  --cost-model "$ROOT/deploy/local/cost_model.conf" \
  --donations "$D2"

echo "== secrets given on the command line are refused"
refused() {
  local what=$1 secret=$2; shift 2
  set +e
  timeout 20 "$@" >"$RUN/refused.out" 2>&1 </dev/null
  local rc=$?
  set -e
  [[ $rc == 2 ]] || { cat "$RUN/refused.out" >&2; fail "$what: exit $rc, expected 2"; }
  grep -q -- "must not be given on the command line" "$RUN/refused.out" || { cat "$RUN/refused.out" >&2; fail "$what: no explanation"; }
  if grep -qF -- "$secret" "$RUN/refused.out"; then fail "$what: the secret was echoed"; fi
  echo "   $what: refused"
}
for bin in freehold-accounts freehold-donations freehold-coordinator; do
  refused "$bin --database-url URL-with-password" "$DB_PASSWORD" \
    "$BIN/$bin" --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0 --database-url "$DB_URL"
done
refused "freehold-donations --stripe-webhook-secret SECRET" "$WHSEC" \
  "$BIN/freehold-donations" --listen 127.0.0.1:0 --stripe-webhook-secret "$WHSEC"

echo "== the shared operator secret is gone: its flags are refused, naming the replacement"
removed() {
  local what=$1; shift
  set +e
  timeout 20 "$@" >"$RUN/removed.out" 2>&1 </dev/null
  local rc=$?
  set -e
  [[ $rc == 2 ]] || { cat "$RUN/removed.out" >&2; fail "$what: exit $rc, expected 2"; }
  grep -q -- "was removed" "$RUN/removed.out" && grep -q -- "coordinator:operator" "$RUN/removed.out" \
    || { cat "$RUN/removed.out" >&2; fail "$what: does not name the replacement"; }
  echo "   $what: refused"
}
removed "freehold-coordinator --admin-token-file" "$BIN/freehold-coordinator" --listen 127.0.0.1:0 \
  --metrics-listen 127.0.0.1:0 --admin-token-file "$RUN/data/pepper"
removed "freehold-admin --token-file" "$BIN/freehold-admin" --token-file "$RUN/data/pepper" nodes
removed "freehold status --admin-token-file" "$BIN/freehold" status --admin-token-file "$RUN/data/pepper"
echo "PASS"
