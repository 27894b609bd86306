#!/usr/bin/env bash
# One command, a running Freehold on loopback: installs what is missing, builds,
# starts a private PostgreSQL, accounts, donations, the coordinator, six storage
# daemons in three zones and (when installed) Prometheus, waits until every
# process is healthy, runs a demo, and prints how to use the CLI.
# Every gRPC service speaks mutual TLS with a private CA made in $RUN/tls by
# deploy/tls/pki.sh (kept across runs); .run/env exports FREEHOLD_CA_FILE.
# Safe to re-run: a running cluster is left running (processes that died are
# restarted) and the demo runs again. ./deploy/local/down.sh stops it.
#
# Environment: FREEHOLD_LOCAL_PORT_BASE (default 17000), FREEHOLD_LOCAL_RUN_DIR
# (default .run; a second cluster needs its own run dir and port base),
# FREEHOLD_SKIP_BUILD=1, FREEHOLD_SKIP_DEMO=1.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
# ccache hits across clones in other folders (CI clones afresh each run).
export CCACHE_BASEDIR="$ROOT" CCACHE_NOHASHDIR=true
RUN="${FREEHOLD_LOCAL_RUN_DIR:-$ROOT/.run}"
BIN="$ROOT/build/bin"
BASE=${FREEHOLD_LOCAL_PORT_BASE:-17000}
mkdir -p "$RUN/pids" "$RUN/logs" "$RUN/data"

if [[ "${FREEHOLD_SKIP_BUILD:-}" != 1 ]]; then
  ./deploy/install-deps.sh
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build build -j"$(nproc)"
fi

source "$ROOT/deploy/local/lib.sh"

# --- PostgreSQL -------------------------------------------------------------
PG_PORT=$((BASE + 432))
PG_URL=$(FREEHOLD_PG_DURABLE=1 tests/support/pg_ctl.sh start "$RUN/data/postgres" "$PG_PORT")
DB_URL="$PG_URL"
# Least-privilege roles (deploy/README.md "Database roles"): each service migrates as
# the owner (FREEHOLD_MIGRATE_DATABASE_URL) and serves as its login role freehold_<svc>.
"${FREEHOLD_PG_BIN:-/usr/lib/postgresql/15/bin}/psql" -qX -v ON_ERROR_STOP=1 "$PG_URL" <<'SQL'
DO $$ DECLARE s text; BEGIN FOREACH s IN ARRAY ARRAY['accounts', 'coordinator', 'donations'] LOOP
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'freehold_' || s || '_app') THEN
    EXECUTE format('CREATE ROLE %I NOLOGIN', 'freehold_' || s || '_app'); END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'freehold_' || s) THEN
    EXECUTE format('CREATE ROLE %I LOGIN IN ROLE %I', 'freehold_' || s, 'freehold_' || s || '_app'); END IF;
END LOOP; END $$;
SQL
export FREEHOLD_MIGRATE_DATABASE_URL="$PG_URL"
role_url() { echo "$PG_URL?user=freehold_$1"; }

# --- secrets generated once -------------------------------------------------
[[ -f "$RUN/data/pepper" ]] || { head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$RUN/data/pepper"; chmod 600 "$RUN/data/pepper"; }
[[ -f "$RUN/data/stripe-webhook-secret" ]] || { echo "whsec_$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')" > "$RUN/data/stripe-webhook-secret"; chmod 600 "$RUN/data/stripe-webhook-secret"; }
STRIPE_SECRET=$(tail -n 1 "$RUN/data/stripe-webhook-secret")  # the newest, during a roll
# No operators' secret: freehold-admin presents the operator certificate (tls_init
# below); operator accounts get roles (freehold-accounts --bootstrap-admin, README).
rm -f "$RUN/data/admin-token"  # the shared secret of earlier versions
unset FREEHOLD_ADMIN_TOKEN_FILE

ENV_LINES=("export PATH=\"$BIN:\$PATH\"")
add_env() { ENV_LINES+=("export $1=\"$2\""); }

# --- TLS: the private CA and one certificate per process ---------------------
tls_init
tls_leaf accounts accounts local-accounts
tls_leaf donations donations local-donations
tls_leaf coordinator coordinator local-coordinator
mapfile -t A_TLS < <(tls_flags accounts)
mapfile -t D_TLS < <(tls_flags donations)
mapfile -t C_TLS < <(tls_flags coordinator)

# --- accounts ---------------------------------------------------------------
A_GRPC=127.0.0.1:$((BASE + 101)); A_MET=127.0.0.1:$((BASE + 201))
# The token-signing key set, shared as replicas would share it (rotate with
# `freehold-accounts --rotate-signing-keys-file`; the service re-reads it).
[[ -f "$RUN/data/accounts-signing-keys" ]] || "$BIN/freehold-accounts" --rotate-signing-keys-file "$RUN/data/accounts-signing-keys" 2>>"$RUN/logs/accounts-keys.log"
start_service accounts "$A_GRPC" "$BIN/freehold-accounts" \
  --listen "$A_GRPC" --metrics-listen "$A_MET" --database-url "$(role_url accounts)" \
  --data-dir "$RUN/data/accounts" --signing-keys-file "$RUN/data/accounts-signing-keys" --pepper-file "$RUN/data/pepper" \
  --verification-keys-out "$RUN/data/accounts.pub" "${A_TLS[@]}"
add_env FREEHOLD_ACCOUNTS_ADDR "$A_GRPC"; add_env FREEHOLD_ACCOUNTS_HTTP ""; add_env FREEHOLD_ACCOUNTS_METRICS "$A_MET"

# --- donations --------------------------------------------------------------
D_GRPC=127.0.0.1:$((BASE + 102)); D_MET=127.0.0.1:$((BASE + 202)); D_HTTP=127.0.0.1:$((BASE + 302))
D_HTTPS=127.0.0.1:$((BASE + 312))
start_service donations "$D_GRPC" "$BIN/freehold-donations" \
  --listen "$D_GRPC" --metrics-listen "$D_MET" --http-listen "$D_HTTP" \
  --database-url "$(role_url donations)" --stripe-webhook-secrets-file "$RUN/data/stripe-webhook-secret" \
  --exchange-rates "$ROOT/deploy/local/exchange-rates.csv" --accounts-keys "$RUN/data/accounts.pub" \
  --coordinator "127.0.0.1:$((BASE + 103))" --accounts "$A_GRPC" \
  --monthly-cost-minor 5 "${D_TLS[@]}"  # fallback until the coordinator answers: 6 x 8 GiB raw at 1.00 EUR per TiB-month
# The webhook and the transparency page over HTTPS: hitch in front of civetweb.
tls_leaf donations-https donations local-donations-https
start_https_proxy donations-https "$D_HTTPS" "$D_HTTP" donations-https
add_env FREEHOLD_DONATIONS_ADDR "$D_GRPC"; add_env FREEHOLD_DONATIONS_HTTP "https://$D_HTTPS"; add_env FREEHOLD_DONATIONS_METRICS "$D_MET"
add_env FREEHOLD_STRIPE_WEBHOOK_SECRET "$STRIPE_SECRET"

# --- coordinator ------------------------------------------------------------
C_GRPC=127.0.0.1:$((BASE + 103)); C_MET=127.0.0.1:$((BASE + 203))
start_service coordinator "$C_GRPC" "$BIN/freehold-coordinator" \
  --listen "$C_GRPC" --metrics-listen "$C_MET" --database-url "$(role_url coordinator)" \
  --data-dir "$RUN/data/coordinator" --accounts-keys "$RUN/data/accounts.pub" \
  --accounts "$A_GRPC" --node-down-after 15s \
  --donations "$D_GRPC" --cost-model "$ROOT/deploy/local/cost_model.conf" \
  --funding-refresh 2s --donate-url "https://$D_HTTPS/" "${C_TLS[@]}"
add_env FREEHOLD_COORDINATOR_ADDR "$C_GRPC"; add_env FREEHOLD_COORDINATOR_HTTP ""; add_env FREEHOLD_COORDINATOR_METRICS "$C_MET"

# --- six storage daemons in three zones -------------------------------------
for i in 1 2 3 4 5 6; do
  S_GRPC=127.0.0.1:$((BASE + 110 + i)); S_MET=127.0.0.1:$((BASE + 210 + i))
  zone=zone-$(( (i + 1) / 2 ))
  # The node's identity (created in its data dir on first use): its certificate
  # names the node id, and it is approved before its first start, as an operator
  # would (the coordinator places only approved nodes).
  identity=$("$BIN/freehold-storaged" --print-identity --data-dir "$RUN/data/storaged-$i")
  node_id=$(awk '$1 == "node_id" {print $2}' <<<"$identity")
  node_key=$(awk '$1 == "public_key" {print $2}' <<<"$identity")
  tls_leaf "storaged-$i" storaged "$node_id"
  mapfile -t S_TLS < <(tls_flags "storaged-$i")
  "$BIN/freehold-admin" --coordinator "$C_GRPC" nodes approve "$node_id" --public-key "$node_key" >/dev/null
  start_service "storaged-$i" "$S_GRPC" "$BIN/freehold-storaged" \
    --listen "$S_GRPC" --metrics-listen "$S_MET" --data-dir "$RUN/data/storaged-$i" \
    --coordinator "$C_GRPC" --coordinator-keys "$RUN/data/coordinator/coordinator.pub" \
    --region local --zone "$zone" --host "host-$i" \
    --capacity-bytes $((8 * 1024 * 1024 * 1024)) --heartbeat-interval 2s "${S_TLS[@]}"
  add_env "FREEHOLD_STORAGED_${i}_ADDR" "$S_GRPC"; add_env "FREEHOLD_STORAGED_${i}_HTTP" ""; add_env "FREEHOLD_STORAGED_${i}_METRICS" "$S_MET"
done

# --- Prometheus (when installed) --------------------------------------------
if command -v prometheus >/dev/null 2>&1 && [[ -f monitoring/prometheus/prometheus.yml ]]; then
  start_prometheus "$((BASE + 90))"
  PROM_URL="http://127.0.0.1:$((BASE + 90))"
  add_env FREEHOLD_PROMETHEUS_HTTP "$PROM_URL"
fi

printf '%s\n' "${ENV_LINES[@]}" > "$RUN/env"
wait_cluster_ready

print_summary
if [[ "${FREEHOLD_SKIP_DEMO:-}" != 1 ]]; then
  "$ROOT/deploy/local/demo.sh"
fi
