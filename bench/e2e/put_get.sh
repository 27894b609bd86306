#!/usr/bin/env bash
# End-to-end throughput of the freehold CLI on the local cluster, beside the
# stock `age` tool on the same file and the same disk (a benchmark, not a test).
#
#   ./deploy/local/up.sh            # once: the local cluster
#   ./bench/e2e/put_get.sh          # 1 GiB; FREEHOLD_BENCH_MIB=256 for less
#
# Measures, best of FREEHOLD_BENCH_RUNS (default 2) runs each:
#   age -r (encrypt the file to disk; also timed with an fsync of the output)
#   vs  freehold put (encrypt, erasure code, hash, send to six daemons that
#   verify and fsync 1.5x the bytes, commit);
#   age -d (decrypt to disk)           vs  freehold get (fetch k shards, verify,
#   decrypt, write).
# The identity is remembered (login --remember) so no Argon2id run is timed.
# Prints `figure: NAME VALUE` lines (MB/s = 10^6 bytes/s of plaintext) and the
# ratios against the targets (put >= 0.5 x age encrypt, get >= 0.6 x decrypt),
# and the CPU-seconds per GiB a put costs the CLI and the six daemons.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
RUN_DIR=${FREEHOLD_RUN_DIR:-$ROOT/.run}
if [[ ! -f "$RUN_DIR/env" ]]; then
  echo "put_get.sh: no $RUN_DIR/env: start the local cluster with ./deploy/local/up.sh" >&2
  exit 2
fi
source "$RUN_DIR/env"
command -v freehold >/dev/null || { echo "put_get.sh: freehold is not on PATH" >&2; exit 2; }
command -v age >/dev/null || { echo "put_get.sh: age is not installed" >&2; exit 2; }

MIB=${FREEHOLD_BENCH_MIB:-1024}
RUNS=${FREEHOLD_BENCH_RUNS:-2}
WORK=$(mktemp -d "${FREEHOLD_BENCH_DIR:-/tmp}/freehold-bench.XXXXXX")
export FREEHOLD_CONFIG_DIR="$WORK/config"
export FREEHOLD_PASSWORD="bench password $(date +%s%N)"
cleanup() {
  freehold -q rm bench.bin >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

HANDLE="bench$(date +%s)$RANDOM"
freehold signup --handle "$HANDLE" --remember >/dev/null
head -c $((MIB * 1024 * 1024)) /dev/urandom > "$WORK/input.bin"
BYTES=$(stat -c %s "$WORK/input.bin")
age-keygen -o "$WORK/key.txt" 2>/dev/null
RECIPIENT=$(age-keygen -y "$WORK/key.txt")
sync

now() { date +%s.%N; }
# best_of NAME COMMAND...: runs COMMAND $RUNS times, prints the best seconds.
best_of() {
  local best="" t0 t1 secs i
  for ((i = 0; i < RUNS; i++)); do
    t0=$(now)
    "$@"
    t1=$(now)
    secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }')
    if [[ -z "$best" ]] || awk -v s="$secs" -v b="$best" 'BEGIN { exit !(s < b) }'; then best=$secs; fi
  done
  echo "$best"
}
mbps() { awk -v n="$BYTES" -v s="$1" 'BEGIN { printf "%.1f", n / s / 1e6 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

age_enc=$(best_of age -r "$RECIPIENT" -o "$WORK/input.age" "$WORK/input.bin")
# The same, until the file is on disk (freehold's daemons fsync every shard
# before they answer, so a put is durable when it returns).
age_durable() { age -r "$RECIPIENT" -o "$WORK/input.age" "$WORK/input.bin" && sync "$WORK/input.age"; }
age_enc_sync=$(best_of age_durable)
age_dec=$(best_of age -d -i "$WORK/key.txt" -o "$WORK/age-out.bin" "$WORK/input.age")
cmp "$WORK/input.bin" "$WORK/age-out.bin"
rm -f "$WORK/age-out.bin" "$WORK/input.age"

# The disk's own bound for a put: a put stores EXPANSION x the bytes (4+2 on the
# local cluster: 1.5) durably, so it can be no faster than the disk under the
# daemons writes EXPANSION x BYTES with fsync, here measured with dd.
EXPANSION=${FREEHOLD_BENCH_EXPANSION:-1.5}
RAW_MIB=$(awk -v m="$MIB" -v e="$EXPANSION" 'BEGIN { printf "%d", m * e }')
DISK_FILE="$RUN_DIR/data/freehold-bench-disk.bin"
disk_write() { dd if=/dev/zero of="$DISK_FILE" bs=1M count="$RAW_MIB" conv=fsync status=none; }
disk_secs=$(best_of disk_write)
rm -f "$DISK_FILE"

# CPU-seconds of the storage daemons so far (utime + stime of each process).
daemon_ticks() {
  local t=0 f s
  for f in "$RUN_DIR"/pids/storaged-*.pid; do
    [[ -f "$f" ]] || continue
    s=($(cut -d' ' -f14,15 "/proc/$(cat "$f")/stat" 2>/dev/null || echo "0 0"))
    t=$((t + s[0] + s[1]))
  done
  echo "$t"
}
TICKS=$(getconf CLK_TCK)
CPU_LOG="$WORK/put-cpu.txt"
put_once() {
  freehold -q rm bench.bin >/dev/null 2>&1 || true
  local d0 d1
  d0=$(daemon_ticks)
  local TIMEFORMAT='%U %S' rc=0  # bash's time: user and system seconds of the CLI
  { time freehold -q put "$WORK/input.bin" --name bench.bin >/dev/null 2>"$WORK/put.err"; } \
    2>>"$CPU_LOG.cli" || rc=$?
  if ((rc != 0)); then cat "$WORK/put.err" >&2; return "$rc"; fi
  d1=$(daemon_ticks)
  echo "$(tail -n1 "$CPU_LOG.cli") $(( d1 - d0 ))" >> "$CPU_LOG"
}
get_once() {
  rm -f "$WORK/out.bin"
  freehold -q get bench.bin -o "$WORK/out.bin" >/dev/null
}
fh_put=$(best_of put_once)
fh_get=$(best_of get_once)
cmp "$WORK/input.bin" "$WORK/out.bin"

echo "file: $MIB MiB of random data, best of $RUNS runs, in $WORK"
echo "figure: age_encrypt_MBps $(mbps "$age_enc")"
echo "figure: age_decrypt_MBps $(mbps "$age_dec")"
echo "figure: freehold_put_MBps $(mbps "$fh_put")"
echo "figure: freehold_get_MBps $(mbps "$fh_get")"
echo "figure: age_encrypt_fsync_MBps $(mbps "$age_enc_sync")"
echo "figure: put_vs_age_encrypt_ratio $(ratio "$age_enc" "$fh_put")"
echo "figure: put_vs_age_encrypt_fsync_ratio $(ratio "$age_enc_sync" "$fh_put")"
echo "figure: get_vs_age_decrypt_ratio $(ratio "$age_dec" "$fh_get")"
# What the disk allows a put: BYTES / (time to write EXPANSION x BYTES with fsync).
echo "figure: disk_fsync_write_MBps $(awk -v m="$RAW_MIB" -v s="$disk_secs" 'BEGIN { printf "%.1f", m * 1048576 / s / 1e6 }')"
echo "figure: put_disk_bound_MBps $(mbps "$disk_secs")"
echo "figure: put_vs_disk_bound_ratio $(ratio "$disk_secs" "$fh_put")"
echo "figure: disk_bound_vs_age_encrypt_ratio $(ratio "$age_enc" "$disk_secs")"
# CPU per GiB of plaintext put (the least over the runs): the CLI, and the
# six daemons together (everything shares the machine's cores).
GIB=$(awk -v n="$BYTES" 'BEGIN { print n / 1073741824 }')
echo "figure: put_cli_cpu_seconds_per_GiB $(awk -v g="$GIB" '{ c = ($1 + $2) / g; if (NR == 1 || c < m) m = c } END { printf "%.2f", m }' "$CPU_LOG")"
echo "figure: put_daemons_cpu_seconds_per_GiB $(awk -v g="$GIB" -v hz="$TICKS" '{ c = $3 / hz / g; if (NR == 1 || c < m) m = c } END { printf "%.2f", m }' "$CPU_LOG")"
echo "targets: put_vs_age_encrypt_ratio >= 0.50, get_vs_age_decrypt_ratio >= 0.60"
