# Helpers for up.sh/down.sh (sourced). Expects ROOT, RUN, BIN.

# is_running NAME: the process recorded in .run/pids/NAME.pid is alive.
is_running() {
  local pidfile="$RUN/pids/$1.pid"
  [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

# start_service NAME GRPC_ADDR BINARY ARGS...: starts it unless already running,
# then waits (bounded) until its gRPC health check answers SERVING.
start_service() {
  local name=$1 addr=$2 bin=$3; shift 3
  if is_running "$name"; then
    echo "  $name already running (pid $(cat "$RUN/pids/$name.pid"))"
  else
    if [[ ! -x "$bin" ]]; then echo "up.sh: $bin is missing; build failed?" >&2; exit 1; fi
    nohup "$bin" "$@" >>"$RUN/logs/$name.log" 2>&1 </dev/null &
    echo $! > "$RUN/pids/$name.pid"
    echo "  $name started (pid $!), log .run/logs/$name.log"
  fi
  if ! "$BIN/freehold-admin" health --address "$addr" --wait 30 >/dev/null; then
    echo "up.sh: $name did not become healthy on $addr; last log lines:" >&2
    tail -20 "$RUN/logs/$name.log" >&2
    exit 1
  fi
}

start_prometheus() {
  local port=$1 dir="$RUN/prometheus"
  mkdir -p "$dir/targets" "$dir/data"
  cp "$ROOT"/monitoring/prometheus/*.yml "$dir/" 2>/dev/null || true
  write_target() { printf '[{"targets":["%s"],"labels":{"instance":"%s"}}]\n' "$2" "$3" > "$dir/targets/$1.json"; }
  write_target freehold-accounts "$A_MET" accounts
  write_target freehold-donations "$D_MET" donations
  write_target freehold-coordinator "$C_MET" coordinator
  local list="" i
  for i in 1 2 3 4 5 6; do list+="\"127.0.0.1:$((BASE + 210 + i))\","; done
  printf '[{"targets":[%s]}]\n' "${list%,}" > "$dir/targets/freehold-storaged.json"
  if ! is_running prometheus; then
    nohup prometheus --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/data" \
      --web.listen-address="127.0.0.1:$port" >>"$RUN/logs/prometheus.log" 2>&1 </dev/null &
    echo $! > "$RUN/pids/prometheus.pid"
    echo "  prometheus started (pid $!), http://127.0.0.1:$port"
  fi
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
  donations      grpc $D_GRPC   webhooks http://$D_HTTP/webhooks/stripe   page http://$D_HTTP/
  coordinator    grpc $C_GRPC   metrics http://$C_MET/metrics
  storaged 1..6  grpc 127.0.0.1:$((BASE + 111))..$((BASE + 116))
  logs           .run/logs/    pids .run/pids/

Use it:
  source .run/env
  freehold signup            # then: freehold put FILE, freehold ls, freehold get NAME
  freehold status
Stop it: ./deploy/local/down.sh
SUMMARY
}
