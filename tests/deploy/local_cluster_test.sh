#!/usr/bin/env bash
# The README's main command as a test: ./deploy/local/up.sh (without its build
# step, which tests/run.sh has done) starts the whole local cluster in a private
# run directory and port range, runs its demo (sign up, put, get, compare,
# export, decrypt with the stock age tool, share, public link), then this test
# checks .run/env, that the cluster speaks TLS only (a plaintext health check
# fails, a TLS one with the CA passes), that re-running up.sh is safe, that Prometheus scrapes every
# process with the rules loaded and the funding metrics have values, that a test
# donation is recorded, and that down.sh stops everything. Bounded: every wait
# has a deadline; the whole test takes about a minute.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
RUN=$(mktemp -d /tmp/freehold-local-test.XXXXXX)
chmod 755 "$RUN"  # PostgreSQL runs as an unprivileged user when this runs as root
# A port range of its own (BASE+90 .. BASE+432), below the ephemeral range.
BASE=$((20000 + (RANDOM % 20) * 500))
export FREEHOLD_LOCAL_RUN_DIR="$RUN" FREEHOLD_LOCAL_PORT_BASE="$BASE" FREEHOLD_SKIP_BUILD=1
cleanup() {
  ./deploy/local/down.sh --purge >/dev/null 2>&1 || true
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; for f in "$RUN"/logs/*.log; do [[ -f "$f" ]] && { echo "--- $f" >&2; tail -15 "$f" >&2; }; done; exit 1; }

echo "== up.sh (port base $BASE, run dir $RUN)"
timeout 300 ./deploy/local/up.sh > "$RUN/up.out" 2>&1 || { cat "$RUN/up.out" >&2; fail "up.sh failed"; }
grep -q "Demo passed." "$RUN/up.out" || fail "the demo did not pass"

echo "== .run/env names every service"
for svc in ACCOUNTS DONATIONS COORDINATOR STORAGED_1 STORAGED_2 STORAGED_3 STORAGED_4 STORAGED_5 STORAGED_6; do
  for kind in ADDR HTTP METRICS; do
    grep -q "^export FREEHOLD_${svc}_${kind}=" "$RUN/env" || fail "FREEHOLD_${svc}_${kind} missing from env"
  done
done
grep -q '^export PATH=.*build/bin' "$RUN/env" || fail "PATH with build/bin missing from env"
grep -q '^export FREEHOLD_STRIPE_WEBHOOK_SECRET="whsec_' "$RUN/env" || fail "webhook secret missing"
for i in 1 2 3 4 5 6; do [[ -s "$RUN/pids/storaged-$i.pid" ]] || fail "pid file of storaged-$i missing"; done

echo "== re-running up.sh leaves the running cluster running (and keeps the CA)"
ca_before=$(openssl x509 -in "$RUN/tls/ca.crt" -noout -fingerprint)
before=$(cat "$RUN/pids/coordinator.pid")
FREEHOLD_SKIP_DEMO=1 timeout 120 ./deploy/local/up.sh > "$RUN/up2.out" 2>&1 || { cat "$RUN/up2.out" >&2; fail "second up.sh failed"; }
[[ "$(cat "$RUN/pids/coordinator.pid")" == "$before" ]] || fail "the coordinator was restarted"
grep -q "coordinator already running" "$RUN/up2.out" || fail "second run did not notice the running coordinator"
[[ "$(openssl x509 -in "$RUN/tls/ca.crt" -noout -fingerprint)" == "$ca_before" ]] || fail "the second run replaced the CA"

source "$RUN/env"
echo "== the cluster speaks TLS only, with the CA in .run/tls"
[[ "${FREEHOLD_CA_FILE:-}" == "$RUN/tls/ca.crt" && -s "$FREEHOLD_CA_FILE" ]] || fail "FREEHOLD_CA_FILE is not $RUN/tls/ca.crt"
for addr in "$FREEHOLD_ACCOUNTS_ADDR" "$FREEHOLD_DONATIONS_ADDR" "$FREEHOLD_COORDINATOR_ADDR" "$FREEHOLD_STORAGED_1_ADDR"; do
  freehold-admin health --address "$addr" >/dev/null || fail "TLS health check of $addr with the CA failed"
  ! env -u FREEHOLD_CA_FILE -u FREEHOLD_ADMIN_TLS_CERT -u FREEHOLD_ADMIN_TLS_KEY     freehold-admin --plaintext health --address "$addr" >/dev/null 2>&1 || fail "$addr answered a plaintext health check"
done
err=$(env -u FREEHOLD_CA_FILE -u FREEHOLD_ADMIN_TLS_CERT -u FREEHOLD_ADMIN_TLS_KEY   freehold-admin health --address "$FREEHOLD_COORDINATOR_ADDR" 2>&1) && fail "TLS without the CA succeeded"
grep -q -- "--ca-file" <<<"$err" || fail "a handshake failure does not say to check --ca-file: $err"
echo "== each storage daemon's certificate names its node id"
for i in 1 2 3 4 5 6; do
  id=$(cat "$RUN/data/storaged-$i/node_id")
  openssl x509 -in "$RUN/tls/storaged-$i.crt" -noout -ext subjectAltName |
    grep -q "URI:spiffe://freehold/role/storaged/$id" || fail "storaged-$i.crt does not name node $id"
done
openssl x509 -in "$RUN/tls/operator.crt" -noout -ext subjectAltName | grep -q "role/operator/" || fail "no operator certificate"
echo "== a signed test donation is recorded"
./deploy/local/donate.sh 2500 eur | grep -q '"result":"recorded"' || fail "donation not recorded"

echo "== the webhook secret and the accounts signing key rotate without a restart"
accounts_pid=$(cat "$RUN/pids/accounts.pid"); donations_pid=$(cat "$RUN/pids/donations.pid")
# Waits until $1's log says the re-read file was put in force $2 times.
reloaded() { for _ in $(seq 100); do (( $(grep -c "re-read file put in force" "$RUN/logs/$1.log") >= $2 )) && return 0; sleep 0.1; done; return 1; }
old_whsec=$FREEHOLD_STRIPE_WEBHOOK_SECRET
new_whsec="whsec_$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
printf '%s\n%s\n' "$old_whsec" "$new_whsec" > "$RUN/data/stripe-webhook-secret.next"
chmod 600 "$RUN/data/stripe-webhook-secret.next"; mv "$RUN/data/stripe-webhook-secret.next" "$RUN/data/stripe-webhook-secret"
kill -HUP "$donations_pid"; reloaded donations 1 || fail "donations did not re-read its webhook secrets"
./deploy/local/donate.sh 300 eur | grep -q '"result":"recorded"' || fail "a delivery signed with the old secret was refused during the roll"
sed -i "s/$old_whsec/$new_whsec/" "$RUN/env"
./deploy/local/donate.sh 400 eur | grep -q '"result":"recorded"' || fail "a delivery signed with the new secret was refused"
freehold-accounts --rotate-signing-keys-file "$RUN/data/accounts-signing-keys" 2>/dev/null || fail "rotating the accounts key set failed"
kill -HUP "$accounts_pid"; reloaded accounts 1 || fail "accounts did not re-read its key set"
(( $(grep -c '^ed25519 ' "$RUN/data/accounts.pub") == 2 )) || fail "accounts.pub does not list both signing keys"
[[ "$(cat "$RUN/pids/accounts.pid") $(cat "$RUN/pids/donations.pid")" == "$accounts_pid $donations_pid" ]] || fail "a service was restarted"
source "$RUN/env"

echo "== the donations HTTP endpoints are HTTPS (hitch in front), certificate rotation is picked up"
[[ "$FREEHOLD_DONATIONS_HTTP" == https://* ]] || fail "FREEHOLD_DONATIONS_HTTP is not https: $FREEHOLD_DONATIONS_HTTP"
curl -sf --cacert "$FREEHOLD_CA_FILE" -o /dev/null "$FREEHOLD_DONATIONS_HTTP/" || fail "GET / over https with the CA failed"
! curl -sf -o /dev/null "$FREEHOLD_DONATIONS_HTTP/" 2>/dev/null || fail "https verified without the private CA"
front=${FREEHOLD_DONATIONS_HTTP#https://}
served_san() { openssl s_client -connect "$front" -CAfile "$FREEHOLD_CA_FILE" </dev/null 2>/dev/null | openssl x509 -noout -ext subjectAltName 2>/dev/null; }
served_san | grep -q "role/donations/local-donations-https" || fail "the proxy does not serve its certificate"
./deploy/tls/pki.sh leaf "$RUN/tls" donations-https donations rotated-https DNS:localhost IP:127.0.0.1 IP:::1
./deploy/tls/pki.sh bundle "$RUN/tls" donations-https
kill -HUP "$(cat "$RUN/pids/donations-https.pid")"
rotated=""
for _ in $(seq 50); do served_san | grep -q "role/donations/rotated-https" && { rotated=1; break; }; sleep 0.2; done
[[ -n "$rotated" ]] || fail "the proxy still serves the old certificate after SIGHUP"
./deploy/local/donate.sh 700 eur | grep -q '"result":"recorded"' || fail "donation over the rotated certificate not recorded"
curl -sf --cacert "$FREEHOLD_CA_FILE" -o /dev/null "$FREEHOLD_DONATIONS_HTTP/" || fail "GET / after rotation failed"

if [[ -n "${FREEHOLD_PROMETHEUS_HTTP:-}" ]]; then
  echo "== Prometheus scrapes every process and the funding metrics have values"
  python3 - "$FREEHOLD_PROMETHEUS_HTTP" <<'PY' || fail "Prometheus check failed"
import json, sys, time, urllib.parse, urllib.request
base = sys.argv[1]
def get(path):
    with urllib.request.urlopen(base + path, timeout=5) as r:
        return json.load(r)["data"]
def query(expr):
    return get("/api/v1/query?query=" + urllib.parse.quote(expr))["result"]
expected_jobs = {"freehold-accounts": 1, "freehold-donations": 1, "freehold-coordinator": 1,
                 "freehold-storaged": 6, "prometheus": 1}
metrics = ['freehold_capacity_bytes{kind="raw",state="total"}', "freehold_funded_capacity_bytes",
           "freehold_funding_coverage_ratio", "freehold_funding_runway_seconds",
           "freehold_funding_monthly_income", "freehold_funding_monthly_cost",
           "freehold_admission_state", "freehold_rpc_total"]
deadline = time.time() + 90
problems = ["not checked yet"]
while time.time() < deadline:
    problems = []
    up = {}
    for t in get("/api/v1/targets")["activeTargets"]:
        if t["health"] == "up":
            up[t["labels"]["job"]] = up.get(t["labels"]["job"], 0) + 1
    for job, n in expected_jobs.items():
        if up.get(job, 0) != n:
            problems.append(f"job {job}: {up.get(job, 0)} of {n} targets up")
    for m in metrics:
        if not query(m):
            problems.append(f"no value for {m}")
    if not get("/api/v1/rules")["groups"]:
        problems.append("no rule groups loaded")
    if not problems:
        print("   every target up; funding metrics:",
              ", ".join(f"{m}={query(m)[0]['value'][1]}" for m in metrics[1:7]))
        sys.exit(0)
    time.sleep(1)
print("\n".join(problems), file=sys.stderr)
sys.exit(1)
PY
else
  echo "== Prometheus is not installed; its check is skipped"
fi

echo "== down.sh stops everything"
pids=$(cat "$RUN"/pids/*.pid)
./deploy/local/down.sh > /dev/null
for p in $pids; do ! kill -0 "$p" 2>/dev/null || fail "process $p still running after down.sh"; done
echo "PASS"
