# shellcheck shell=bash
# Timing helpers of the end-to-end benchmarks (sourced by tls_price.sh, multihost.sh).
# timed expects a function fh SIDE ARGS... that runs the CLI against one side; mbps
# expects BYTES, the size of the file moved.

now() { date +%s.%N; }
# timed SIDE ARGS...: seconds one CLI command takes.
timed() {
  local t0 t1
  t0=$(now); fh "$@" >/dev/null; t1=$(now)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }'
}
# min A B: the smaller, A may be empty (the first run).
min() { awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b < a) ? b : a }'; }
# since T0: seconds from T0 (a now value) until now.
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }
mbps() { awk -v n="$BYTES" -v s="$1" 'BEGIN { printf "%.1f", n / s / 1e6 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
