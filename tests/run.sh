#!/usr/bin/env bash
# Builds Freehold and runs every test (ctest), on a fresh Debian 12 machine too:
# installs what is missing, builds into build/, starts one private PostgreSQL
# for the whole run (tests create a fresh database each), runs ctest.
#
#   ./tests/run.sh                 everything
#   ./tests/run.sh -R storaged     only tests matching a regex (passed to ctest)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
# ccache hits across clones in other folders (CI clones afresh each run).
export CCACHE_BASEDIR="$ROOT" CCACHE_NOHASHDIR=true
JOBS=$(nproc)

./deploy/install-deps.sh

# npm test dependencies (age test vectors, Stripe's signing code).
if [[ -f tests/npm/package.json ]]; then
  if ! npm install --prefix tests/npm --no-audit --no-fund --loglevel=error >/tmp/freehold-npm.log 2>&1; then
    echo "tests/run.sh: npm install failed (tests needing npm packages will skip):"; tail -5 /tmp/freehold-npm.log
  fi
fi

BUILD_TYPE=${FREEHOLD_BUILD_TYPE:-Release}
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE="$BUILD_TYPE" ${FREEHOLD_CMAKE_ARGS:-} >/dev/null
cmake --build build -j"$JOBS"

# One private PostgreSQL for the whole run.
PGDIR=$(mktemp -d /tmp/freehold-test-pg.XXXXXX)
cleanup() {
  tests/support/pg_ctl.sh stop "$PGDIR" >/dev/null 2>&1 || true
  rm -rf "$PGDIR"
}
trap cleanup EXIT
if [[ -x tests/support/pg_ctl.sh ]]; then
  PG_URL=$(tests/support/pg_ctl.sh start "$PGDIR")
  export FREEHOLD_TEST_PG_URL="$PG_URL"
  echo "tests/run.sh: private PostgreSQL at $FREEHOLD_TEST_PG_URL"
fi

cd build
ctest -j"$JOBS" --output-on-failure --timeout 600 "$@"
