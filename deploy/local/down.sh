#!/usr/bin/env bash
# Stops the local cluster started by up.sh (keeps its data in .run/data).
# --purge also deletes the data. FREEHOLD_LOCAL_RUN_DIR as for up.sh.
set -uo pipefail
cd "$(dirname "$0")/../.."
RUN="${FREEHOLD_LOCAL_RUN_DIR:-$(pwd)/.run}"
for pidfile in "$RUN"/pids/*.pid; do
  [[ -f "$pidfile" ]] || continue
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    echo "stopped $(basename "$pidfile" .pid)"
  fi
  rm -f "$pidfile"
done
if [[ -d "$RUN/data/postgres" ]]; then tests/support/pg_ctl.sh stop "$RUN/data/postgres" >/dev/null 2>&1 && echo "stopped postgres"; fi
if [[ "${1:-}" == "--purge" ]]; then
  # PostgreSQL's files may live elsewhere behind a symlink (tests/support/pg_ctl.sh).
  if [[ -L "$RUN/data/postgres" ]]; then rm -rf "$(readlink -f "$RUN/data/postgres")"; fi
  rm -rf "$RUN"; echo "removed $RUN"
fi
