#!/usr/bin/env bash
# A client in a second language as a test: Python stubs generated from proto/
# (protoc + grpc_python_plugin, grpc.health.v1 from Debian's grpc-proto) into a
# temporary directory, then tests/interop/interop_test.py (health of every
# process, PreLogin, sign-up and login with the real key derivation, the
# identity wrapping both ways with the C++ CLI, ListObjects through the
# coordinator) against a real local cluster (deploy/local/up.sh in a private
# run directory and port range, stopped by down.sh on any exit).
# Before that, the README's scripted sign-up example runs exactly as written,
# without a terminal.
#
# Exit 77 (ctest SKIP_RETURN_CODE) only when Debian's Python packages
# (python3-grpcio, python3-protobuf, python3-nacl) or grpc-proto are missing.
# FREEHOLD_PYTHON picks the interpreter (default /usr/bin/python3: Debian's
# packages are not visible to a python3 of pyenv or a virtualenv). Bounded:
# every wait has a deadline; about a minute.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
PY=${FREEHOLD_PYTHON:-/usr/bin/python3}
HEALTH_PROTO=/usr/share/grpc-proto/grpc/health/v1/health.proto

skip() { echo "SKIP: $*"; exit 77; }
if ! "$PY" -c 'import grpc, google.protobuf, nacl.bindings' 2>/dev/null; then
  skip "$PY cannot import grpc, google.protobuf and nacl (Debian: python3-grpcio python3-protobuf python3-nacl; deploy/install-deps.sh installs them)"
fi
[[ -f "$HEALTH_PROTO" ]] || skip "$HEALTH_PROTO is missing (Debian: grpc-proto; deploy/install-deps.sh installs it)"

fail() {
  echo "FAIL: $*" >&2
  for f in "${RUN:-/nonexistent}"/logs/*.log; do [[ -f "$f" ]] && { echo "--- $f" >&2; tail -15 "$f" >&2; }; done
  exit 1
}
for b in protoc grpc_python_plugin; do command -v "$b" >/dev/null || fail "$b not found (protobuf-compiler, protobuf-compiler-grpc)"; done
for b in freehold freehold-admin freehold-accounts freehold-donations freehold-coordinator freehold-storaged; do
  [[ -x "build/bin/$b" ]] || fail "build/bin/$b is missing: build first"
done

RUN=$(mktemp -d /tmp/freehold-interop.XXXXXX)
chmod 755 "$RUN"  # PostgreSQL runs as an unprivileged user when this runs as root
WORK="$RUN/interop"
mkdir -m 700 "$WORK"
# A port range of its own (BASE+90 .. BASE+432): 12000..16932, apart from the
# local_cluster test's (20000..29932) and the default cluster's (17000); the
# first of the ten, from a random one on, where nothing listens yet.
port_used() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
base_free() {
  local p
  for p in 90 101 102 103 111 112 113 114 115 116 201 202 203 211 212 213 214 215 216 302 312 432; do
    ! port_used $(($1 + p)) || return 1
  done
}
first=$((RANDOM % 10))
for i in $(seq 0 9); do
  BASE=$((12000 + ((first + i) % 10) * 500))
  base_free "$BASE" && break
done
export FREEHOLD_LOCAL_RUN_DIR="$RUN" FREEHOLD_LOCAL_PORT_BASE="$BASE" FREEHOLD_SKIP_BUILD=1 FREEHOLD_SKIP_DEMO=1
cleanup() { ./deploy/local/down.sh --purge >/dev/null 2>&1 || true; }
trap cleanup EXIT

echo "== Python stubs from proto/ (protoc $(protoc --version | cut -d' ' -f2), $("$PY" -c 'import grpc; print("grpcio", grpc.__version__)'))"
STUBS="$WORK/stubs"
mkdir -p "$STUBS"
protoc -I proto -I "$(dirname "$HEALTH_PROTO")" --python_out="$STUBS" --grpc_python_out="$STUBS" \
  --plugin=protoc-gen-grpc_python="$(command -v grpc_python_plugin)" \
  proto/freehold/v1/*.proto "$HEALTH_PROTO" || fail "protoc failed"
ls "$STUBS"/freehold/v1/*_pb2_grpc.py "$STUBS"/health_pb2_grpc.py >/dev/null || fail "stubs missing"

echo "== up.sh (port base $BASE, run dir $RUN)"
timeout 300 ./deploy/local/up.sh > "$RUN/up.out" 2>&1 || { cat "$RUN/up.out" >&2; fail "up.sh failed"; }

# --- the README's scripted sign-up, exactly as written --------------------------
# The two lines of README.md "Using the local cluster" (`source .run/env` and
# `freehold signup ...`) run in a directory whose .run is this cluster's run
# directory, with FREEHOLD_PASSWORD set, in a new session (no controlling
# terminal) and stdin from /dev/null.
echo "== the README's scripted sign-up without a terminal"
README_LINES=$(awk '/^## Using the local cluster/ {s = 1; next} /^## / {s = 0}
  s && /^```/ {n++; next} s && n == 1 && /^(source \.run\/env|freehold signup)/ {print}' README.md)
[[ $(grep -c . <<<"$README_LINES") == 2 ]] || fail "README.md: no 'source .run/env' + 'freehold signup' example found"
echo "$README_LINES" | sed 's/^/   $ /'
mkdir -p "$WORK/readme-cwd"
ln -s "$RUN" "$WORK/readme-cwd/.run"
PASSWORD="interop password $RANDOM$RANDOM"
set +e
( cd "$WORK/readme-cwd" && FREEHOLD_PASSWORD="$PASSWORD" FREEHOLD_CONFIG_DIR="$WORK/readme" \
    timeout 120 setsid -w bash -c "$README_LINES" </dev/null >"$WORK/readme.out" 2>"$WORK/readme.err" )
rc=$?
set -e
sed 's/^/   /' "$WORK/readme.out" "$WORK/readme.err"
[[ $rc == 0 ]] || fail "the README's sign-up example failed without a terminal (exit $rc)"
echo "   the README example works without a terminal"
KNOWN_HANDLE=$(cd "$WORK/readme-cwd" && source .run/env && FREEHOLD_CONFIG_DIR="$WORK/readme" \
  freehold --json whoami </dev/null | "$PY" -c 'import json, sys; print(json.load(sys.stdin)["handle"])')
[[ -n "$KNOWN_HANDLE" ]] || fail "freehold whoami after the README's sign-up names no handle"

source "$RUN/env"
# The other scripted form the README names: the password from --password-file.
( umask 077; printf '%s\n' "$PASSWORD" > "$WORK/password" )
args=(--handle "readme$RANDOM$RANDOM" --password-file "$WORK/password")
env -u FREEHOLD_PASSWORD FREEHOLD_CONFIG_DIR="$WORK/readme-password-file" \
  timeout 120 setsid -w freehold signup "${args[@]}" </dev/null >"$WORK/signup-password-file.out" 2>&1 \
  || { cat "$WORK/signup-password-file.out" >&2; fail "freehold signup ${args[*]} (no terminal) failed"; }
echo "   freehold signup ${args[*]} without a terminal: ok"
# recovery-key in interop_test.py reads the C++ CLI's session of this account.
cp -a "$WORK/readme" "$WORK/known"

echo "== the Python client (tests/interop/interop_test.py)"
KNOWN_HANDLE="$KNOWN_HANDLE" FREEHOLD_PASSWORD="$PASSWORD" PYTHONPATH="$STUBS:$ROOT/tests/interop" \
  PYTHONDONTWRITEBYTECODE=1 timeout 240 "$PY" tests/interop/interop_test.py "$WORK" \
  || fail "the Python client's checks failed"
echo "PASS"
