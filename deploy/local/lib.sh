# Helpers for up.sh/down.sh (sourced). Expects ROOT, RUN, BIN.

# is_running NAME: the process recorded in .run/pids/NAME.pid is alive.
is_running() {
  local pidfile="$RUN/pids/$1.pid"
  [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

# start_service NAME GRPC_ADDR BINARY ARGS...: starts it unless already running,
# then waits (bounded) until its gRPC health check answers SERVING. When the array
# LAUNCH is set (e.g. LAUNCH=(ip netns exec NS), deploy/multihost/fleet.sh), the
# binary and the health check are started through it; it must exec the binary so that
# the pid is its own.
start_service() {
  local name=$1 addr=$2 bin=$3; shift 3
  if is_running "$name"; then
    echo "  $name already running (pid $(cat "$RUN/pids/$name.pid"))"
  else
    if [[ ! -x "$bin" ]]; then echo "up.sh: $bin is missing; build failed?" >&2; exit 1; fi
    nohup ${LAUNCH[@]+"${LAUNCH[@]}"} "$bin" "$@" >>"$RUN/logs/$name.log" 2>&1 </dev/null &
    echo $! > "$RUN/pids/$name.pid"
    echo "  $name started (pid $!), log $RUN/logs/$name.log"
  fi
  if ! ${LAUNCH[@]+"${LAUNCH[@]}"} "$BIN/freehold-admin" health --address "$addr" --wait 30 >/dev/null; then
    echo "up.sh: $name did not become healthy on $addr; last log lines:" >&2
    tail -20 "$RUN/logs/$name.log" >&2
    exit 1
  fi
}

start_prometheus() {
  local port=$1 dir="$RUN/prometheus"
  mkdir -p "$dir/targets" "$dir/data"
  # The shipped configuration and rules; a shorter scrape interval locally so
  # a fresh cluster shows data within seconds.
  cp -r "$ROOT"/monitoring/prometheus/rules "$dir/"
  sed -e 's/^  scrape_interval: .*/  scrape_interval: 5s/' -e 's/^  evaluation_interval: .*/  evaluation_interval: 5s/' -e 's/^  scrape_timeout: .*/  scrape_timeout: 4s/' \
    "$ROOT/monitoring/prometheus/prometheus.yml" > "$dir/prometheus.yml"
  # Target files are replaced atomically: Prometheus watches them and must
  # never read one half written.
  write_target() {
    printf '[{"targets":["%s"],"labels":{"instance":"%s"}}]\n' "$2" "$3" > "$dir/targets/.$1.json.tmp"
    mv "$dir/targets/.$1.json.tmp" "$dir/targets/$1.json"
  }
  write_target freehold-accounts "$A_MET" accounts
  write_target freehold-donations "$D_MET" donations
  write_target freehold-coordinator "$C_MET" coordinator
  local list="" i
  for i in 1 2 3 4 5 6; do list+="\"127.0.0.1:$((BASE + 210 + i))\","; done
  printf '[{"targets":[%s]}]\n' "${list%,}" > "$dir/targets/.freehold-storaged.json.tmp"
  mv "$dir/targets/.freehold-storaged.json.tmp" "$dir/targets/freehold-storaged.json"
  write_target prometheus "127.0.0.1:$port" prometheus
  if ! is_running prometheus; then
    nohup prometheus --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/data" \
      --web.listen-address="127.0.0.1:$port" >>"$RUN/logs/prometheus.log" 2>&1 </dev/null &
    echo $! > "$RUN/pids/prometheus.pid"
    echo "  prometheus started (pid $!), http://127.0.0.1:$port"
  else
    kill -HUP "$(cat "$RUN/pids/prometheus.pid")"  # re-read configuration and rules
    echo "  prometheus already running (pid $(cat "$RUN/pids/prometheus.pid")), reloaded"
  fi
  # Bounded wait until its HTTP API answers.
  local _
  for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$port/-/ready" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "up.sh: prometheus did not become ready on 127.0.0.1:$port; see $RUN/logs/prometheus.log" >&2
  exit 1
}

wait_cluster_ready() {
  "$BIN/freehold-admin" --coordinator "$C_GRPC" nodes --wait-up 6 --wait 60 >/dev/null || {
    echo "up.sh: the six storage daemons did not all register with the coordinator" >&2; exit 1; }
}

print_summary() {
  cat <<SUMMARY

Freehold is running on loopback.
  PostgreSQL     $DB_URL
  accounts       grpc $A_GRPC   metrics http://$A_MET/metrics
  donations      grpc $D_GRPC   webhooks https://$D_HTTPS/webhooks/stripe   page https://$D_HTTPS/
                 (hitch terminates TLS in front of http://$D_HTTP)
  TLS            CA $TLS/ca.crt (FREEHOLD_CA_FILE), certificates in $TLS/
  coordinator    grpc $C_GRPC   metrics http://$C_MET/metrics
  storaged 1..6  grpc 127.0.0.1:$((BASE + 111))..$((BASE + 116))
  logs           $RUN/logs/    pids $RUN/pids/
${PROM_URL:+  prometheus     $PROM_URL   (alerts: $PROM_URL/alerts)
}  donate (test)  post a Stripe-signed event to the webhook with \$FREEHOLD_STRIPE_WEBHOOK_SECRET
                 (services/donations/README.md shows how)

Use it:
  source $RUN/env
  freehold signup --handle bob   # then: freehold put FILE, freehold ls, freehold get NAME
  freehold status
Stop it: ./deploy/local/down.sh
SUMMARY
}

# --- TLS (every gRPC service speaks mutual TLS with a private CA) ------------
# The CA and the certificates live in $TLS ($RUN/tls): ca.crt/ca.key made once by
# deploy/tls/pki.sh and kept across runs; NAME.crt/NAME.key per process with its
# role in the SAN URI spiffe://freehold/role/ROLE/ID and the loopback SANs.

# tls_init: the CA (kept if present) and the operator's certificate for
# freehold-admin; exports FREEHOLD_CA_FILE and FREEHOLD_ADMIN_TLS_CERT/KEY for the
# rest of up.sh (its health checks) and adds them to .run/env.
#
# FREEHOLD_LOCAL_PLAINTEXT=1 (for benchmarks that price TLS against the same
# build, bench/e2e/tls_price.sh) runs every gRPC link in plaintext instead: the
# servers then accept loopback peers only, and .run/env sets FREEHOLD_PLAINTEXT=1.
tls_init() {
  TLS="$RUN/tls"
  "$ROOT/deploy/tls/pki.sh" ca "$TLS"
  if [[ "${FREEHOLD_LOCAL_PLAINTEXT:-}" == 1 ]]; then
    # The CA still signs the HTTPS proxy's certificate (donate.sh, the page).
    export FREEHOLD_PLAINTEXT=1 FREEHOLD_HTTPS_CA_FILE="$TLS/ca.crt"
    unset FREEHOLD_CA_FILE FREEHOLD_ADMIN_TLS_CERT FREEHOLD_ADMIN_TLS_KEY
    add_env FREEHOLD_PLAINTEXT 1
    add_env FREEHOLD_HTTPS_CA_FILE "$FREEHOLD_HTTPS_CA_FILE"
    return 0
  fi
  tls_leaf operator operator local-operator
  export FREEHOLD_CA_FILE="$TLS/ca.crt"
  export FREEHOLD_ADMIN_TLS_CERT="$TLS/operator.crt" FREEHOLD_ADMIN_TLS_KEY="$TLS/operator.key"
  unset FREEHOLD_PLAINTEXT
  add_env FREEHOLD_CA_FILE "$FREEHOLD_CA_FILE"
  add_env FREEHOLD_ADMIN_TLS_CERT "$FREEHOLD_ADMIN_TLS_CERT"
  add_env FREEHOLD_ADMIN_TLS_KEY "$FREEHOLD_ADMIN_TLS_KEY"
}

# tls_leaf NAME ROLE ID: $TLS/NAME.{crt,key} for ROLE/ID, issued unless a
# certificate for the same role and id signed by the current CA is there. Its other
# SANs are $TLS_SANS (default: the loopback names; deploy/multihost/fleet.sh gives
# each host's addresses).
tls_leaf() {
  local name=$1 role=$2 id=$3
  if [[ -s "$TLS/$name.crt" && -s "$TLS/$name.key" ]] &&
     openssl verify -CAfile "$TLS/ca.crt" "$TLS/$name.crt" >/dev/null 2>&1 &&
     openssl x509 -in "$TLS/$name.crt" -noout -ext subjectAltName 2>/dev/null |
       grep -q "URI:spiffe://freehold/role/$role/$id\(,\|$\)"; then
    return 0
  fi
  # shellcheck disable=SC2086 # TLS_SANS is a list of words
  "$ROOT/deploy/tls/pki.sh" leaf "$TLS" "$name" "$role" "$id" ${TLS_SANS:-DNS:localhost IP:127.0.0.1 IP:::1}
}

# tls_flags NAME: the --tls-* flags of the process whose certificate is NAME.
tls_flags() {
  [[ "${FREEHOLD_PLAINTEXT:-}" == 1 ]] && return 0
  printf '%s\n' --tls-cert "$TLS/$1.crt" --tls-key "$TLS/$1.key" --tls-ca "$TLS/ca.crt"
}

# start_https_proxy NAME FRONTEND BACKEND CERT: hitch terminates TLS on FRONTEND
# (host:port) with $TLS/CERT.{crt,key} (bundled into CERT.pem) and forwards the
# bytes to the plain HTTP server on BACKEND (loopback). A running proxy is told
# to reload (SIGHUP: hitch re-reads the certificate, rotation without a restart).
# Waits (bounded) until https://FRONTEND/ answers with the CA.
start_https_proxy() {
  local name=$1 front=$2 back=$3 cert=$4
  command -v hitch >/dev/null || { echo "up.sh: hitch is missing (deploy/install-deps.sh installs it)" >&2; exit 1; }
  "$ROOT/deploy/tls/pki.sh" bundle "$TLS" "$cert"
  if is_running "$name"; then
    kill -HUP "$(cat "$RUN/pids/$name.pid")"
    echo "  $name already running (pid $(cat "$RUN/pids/$name.pid")), certificate reloaded"
  else
    local user=()
    # hitch refuses to run its workers as root; the key is read before they start.
    [[ $(id -u) -ne 0 ]] || user=(--user=nobody --group=nogroup)
    mkdir -p "$RUN/hitch"
    hitch --frontend="[${front%:*}]:${front##*:}" --backend="[${back%:*}]:${back##*:}" \
      --workers=1 --daemon=off --ocsp-dir="$RUN/hitch" --tls-protos="TLSv1.2 TLSv1.3" \
      "${user[@]}" "$TLS/$cert.pem" >>"$RUN/logs/$name.log" 2>&1 </dev/null &
    echo $! > "$RUN/pids/$name.pid"
    echo "  $name started (pid $!), https://$front -> http://$back, log $RUN/logs/$name.log"
  fi
  local _
  for _ in $(seq 100); do
    curl -sf --cacert "$TLS/ca.crt" -o /dev/null "https://$front/" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "up.sh: $name does not answer on https://$front; see $RUN/logs/$name.log" >&2
  exit 1
}
