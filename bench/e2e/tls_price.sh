#!/usr/bin/env bash
# The price of TLS end to end (a benchmark, not a test): two local clusters of the
# same build side by side, one over mutual TLS (as deploy/local/up.sh runs it) and
# one in plaintext (FREEHOLD_LOCAL_PLAINTEXT=1), and the same file put into and got
# from each in turn.
#
#   ./bench/e2e/tls_price.sh        # 1 GiB; FREEHOLD_BENCH_MIB=256 for less
#
# Starts both clusters in temporary run directories on their own ports
# (FREEHOLD_BENCH_TLS_BASE, default 24000; FREEHOLD_BENCH_PLAIN_BASE, default
# 23000) and stops them at the end (FREEHOLD_BENCH_KEEP=1 keeps them). The runs
# alternate (TLS put, plaintext put, TLS get, plaintext get; FREEHOLD_BENCH_RUNS,
# default 3) so both see the same background load; the best run of each counts.
# Prints `figure: NAME VALUE` lines: MB/s (10^6 bytes of plaintext per second) of
# each, the ratios TLS/plaintext (target for put: >= 0.90), and the wall time of a
# fresh CLI invocation (`freehold ls` on an account with one object: process start,
# connection set-up, token refresh, one listing) over each, whose difference is
# the handshake cost a fresh invocation pays.
#
# The bound (both puts are CPU-bound on a small machine): the CPU seconds of each
# put (the CLI and every process of its cluster) per GB of the file, and, between the
# puts, build/bin/freehold-bench-tls-socket, whose aead_seal_open_cpu_s_per_gb is the
# least any TLS spends per GB it carries; the put carries each byte (k+m)/k times
# (FREEHOLD_BENCH_WIRE_FACTOR, 1.5 for the local cluster's 4+2). The plaintext put's
# CPU plus that gives e2e_put_tls_bound_ratio, the best TLS/plaintext ratio this
# machine can reach, and e2e_put_tls_ratio_to_bound how close the put comes.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
MIB=${FREEHOLD_BENCH_MIB:-1024}
RUNS=${FREEHOLD_BENCH_RUNS:-3}
WIRE_FACTOR=${FREEHOLD_BENCH_WIRE_FACTOR:-1.5}
WORK=$(mktemp -d "${FREEHOLD_BENCH_DIR:-/tmp}/freehold-tls-price.XXXXXX")
TLS_RUN="$WORK/run-tls" PLAIN_RUN="$WORK/run-plain"
TLS_BASE=${FREEHOLD_BENCH_TLS_BASE:-24000} PLAIN_BASE=${FREEHOLD_BENCH_PLAIN_BASE:-23000}
command -v hyperfine >/dev/null || { echo "tls_price.sh: needs hyperfine (deploy/install-deps.sh --bench)" >&2; exit 2; }

cleanup() {
  if [[ "${FREEHOLD_BENCH_KEEP:-}" != 1 ]]; then
    FREEHOLD_LOCAL_RUN_DIR="$TLS_RUN" FREEHOLD_LOCAL_PORT_BASE=$TLS_BASE ./deploy/local/down.sh >/dev/null 2>&1 || true
    FREEHOLD_LOCAL_RUN_DIR="$PLAIN_RUN" FREEHOLD_LOCAL_PORT_BASE=$PLAIN_BASE ./deploy/local/down.sh >/dev/null 2>&1 || true
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT

# Both clusters, the build made once by the first.
FREEHOLD_LOCAL_RUN_DIR="$TLS_RUN" FREEHOLD_LOCAL_PORT_BASE=$TLS_BASE FREEHOLD_SKIP_DEMO=1 \
  ./deploy/local/up.sh >"$WORK/up-tls.log" 2>&1 || { tail -20 "$WORK/up-tls.log" >&2; exit 1; }
FREEHOLD_LOCAL_RUN_DIR="$PLAIN_RUN" FREEHOLD_LOCAL_PORT_BASE=$PLAIN_BASE FREEHOLD_SKIP_DEMO=1 \
  FREEHOLD_SKIP_BUILD=1 FREEHOLD_LOCAL_PLAINTEXT=1 \
  ./deploy/local/up.sh >"$WORK/up-plain.log" 2>&1 || { tail -20 "$WORK/up-plain.log" >&2; exit 1; }

# fh SIDE ARGS...: the CLI against one cluster, with that side's own config dir
# (its remembered identity, so no Argon2id run is timed).
fh() {
  local side=$1; shift
  local run=$TLS_RUN; [[ $side == plain ]] && run=$PLAIN_RUN
  ( source "$run/env"; FREEHOLD_CONFIG_DIR="$WORK/config-$side" freehold -q "$@" )
}
export FREEHOLD_PASSWORD="bench password $(date +%s%N)"
for side in tls plain; do
  fh "$side" signup --handle "bench$side$RANDOM" --remember >/dev/null
  # Funding first: with nothing donated, new writes are throttled.
  run=$TLS_RUN; [[ $side == plain ]] && run=$PLAIN_RUN
  FREEHOLD_LOCAL_RUN_DIR="$run" ./deploy/local/donate.sh 2500 eur >/dev/null
done
sleep 3  # the coordinators refresh their funding figures every 2 s
head -c $((MIB * 1024 * 1024)) /dev/urandom >"$WORK/input.bin"
BYTES=$(stat -c %s "$WORK/input.bin")
sync

# shellcheck source=bench/e2e/lib.sh
source bench/e2e/lib.sh
# cluster_ticks RUN: CPU clock ticks (user + system) its processes have used so far.
cluster_ticks() {
  local t=0 f p
  for f in "$1"/pids/*.pid; do
    p=$(cat "$f")
    [[ -r /proc/$p/stat ]] || continue
    # Fields after the ") " that closes the command name: utime is the 12th, stime the 13th.
    t=$((t + $(sed 's/.*) //' "/proc/$p/stat" | awk '{ print $12 + $13 }')))
  done
  echo "$t"
}
TICK=$(getconf CLK_TCK)
declare -A best=() cpu=()
aead_sum=0 aead_n=0
for ((r = 0; r < RUNS; r++)); do
  for side in tls plain; do
    fh "$side" rm bench.bin >/dev/null 2>&1 || true
    run=$TLS_RUN; [[ $side == plain ]] && run=$PLAIN_RUN
    ticks0=$(cluster_ticks "$run")
    t0=$(now)
    ( source "$run/env"; FREEHOLD_CONFIG_DIR="$WORK/config-$side" \
        /usr/bin/time -f '%U %S' -o "$WORK/cli-cpu" freehold -q put "$WORK/input.bin" --name bench.bin >/dev/null )
    seconds=$(since "$t0")
    ticks1=$(cluster_ticks "$run")
    best[put-$side]=$(min "${best[put-$side]:-}" "$seconds")
    cpu[put-$side]=$(awk -v c="${cpu[put-$side]:-0}" -v t=$((ticks1 - ticks0)) -v hz="$TICK" \
      '{ printf "%.3f", c + t / hz + $1 + $2 }' "$WORK/cli-cpu")
  done
  # The bound between the puts, under the same background load.
  aead=$(build/bin/freehold-bench-tls-socket --mib 256 | awk '$2 == "aead_seal_open_cpu_s_per_gb" { print $3 }')
  aead_sum=$(awk -v a="$aead_sum" -v b="$aead" 'BEGIN { print a + b }') aead_n=$((aead_n + 1))
  for side in tls plain; do
    rm -f "$WORK/out.bin"
    best[get-$side]=$(min "${best[get-$side]:-}" "$(timed "$side" get bench.bin -o "$WORK/out.bin")")
    cmp "$WORK/input.bin" "$WORK/out.bin"
  done
done

# A fresh CLI invocation: hyperfine, alternating sides, 30 runs each.
for side in tls plain; do
  run=$TLS_RUN; [[ $side == plain ]] && run=$PLAIN_RUN
  hyperfine -N --warmup 3 --runs 30 --export-json "$WORK/ls-$side.json" \
    "env FREEHOLD_CONFIG_DIR=$WORK/config-$side bash -c 'source $run/env && freehold -q ls'" \
    >/dev/null 2>&1
done
ms() { python3 -c 'import json,sys; print("%.1f" % (json.load(open(sys.argv[1]))["results"][0]["median"] * 1000))' "$1"; }
ls_tls=$(ms "$WORK/ls-tls.json") ls_plain=$(ms "$WORK/ls-plain.json")

echo "file: $MIB MiB of random data, best of $RUNS alternating runs per side"
echo "figure: e2e_put_tls_MBps $(mbps "${best[put-tls]}")"
echo "figure: e2e_put_plaintext_MBps $(mbps "${best[put-plain]}")"
echo "figure: e2e_put_tls_ratio $(ratio "${best[put-plain]}" "${best[put-tls]}")"
echo "figure: e2e_get_tls_MBps $(mbps "${best[get-tls]}")"
echo "figure: e2e_get_plaintext_MBps $(mbps "${best[get-plain]}")"
echo "figure: e2e_get_tls_ratio $(ratio "${best[get-plain]}" "${best[get-tls]}")"
echo "figure: cli_invocation_tls_ms $ls_tls"
echo "figure: cli_invocation_plaintext_ms $ls_plain"
echo "figure: cli_invocation_tls_extra_ms $(awk -v a="$ls_tls" -v b="$ls_plain" 'BEGIN { printf "%.1f", a - b }')"
gb=$(awk -v n="$BYTES" -v r="$RUNS" 'BEGIN { print n * r / 1e9 }')
put_cpu_plain=$(awk -v c="${cpu[put-plain]}" -v g="$gb" 'BEGIN { printf "%.3f", c / g }')
put_cpu_tls=$(awk -v c="${cpu[put-tls]}" -v g="$gb" 'BEGIN { printf "%.3f", c / g }')
aead=$(awk -v a="$aead_sum" -v n="$aead_n" 'BEGIN { printf "%.3f", a / n }')
bound=$(awk -v c="$put_cpu_plain" -v a="$aead" -v w="$WIRE_FACTOR" 'BEGIN { printf "%.3f", c / (c + a * w) }')
echo "figure: e2e_put_cpu_s_per_gb $put_cpu_plain"
echo "figure: e2e_put_tls_cpu_s_per_gb $put_cpu_tls"
echo "figure: e2e_put_cpu_ratio $(ratio "$put_cpu_plain" "$put_cpu_tls")"
echo "figure: aead_seal_open_cpu_s_per_gb $aead"
echo "figure: e2e_put_tls_bound_ratio $bound"
echo "figure: e2e_put_tls_ratio_to_bound $(awk -v p="${best[put-plain]}" -v t="${best[put-tls]}" -v b="$bound" 'BEGIN { printf "%.3f", p / t / b }')"
echo "targets: e2e_put_tls_ratio >= 0.90"
