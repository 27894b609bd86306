#!/usr/bin/env bash
# The systemd deployment (deploy/systemd/) as it would run:
#  1. `systemd-analyze verify` accepts every unit without a single warning, in a
#     scratch root holding the binaries and the units, and `systemd-analyze security
#     --offline` rates each at most 2.0 (skipped with a message without systemd-analyze).
#  2. Every flag on every ExecStart, and every FREEHOLD_* name the units mention,
#     exists in that binary's --help (a unit passing an unknown flag fails at start).
#  3. As root: freehold.sysusers and freehold.tmpfiles applied to a scratch root
#     (systemd-sysusers/systemd-tmpfiles --root) create one user per service and the
#     directories with their owners; then, under setpriv as each service's user, the
#     real binaries write their own keys (freehold-accounts --rotate-signing-key,
#     freehold-coordinator's grant key before it looks for PostgreSQL,
#     freehold-storaged --print-identity, freehold-donations' receipt key with the
#     unit's UMask against a scratch PostgreSQL) and publish their public keys, every user
#     reads the published public keys, and none can write (nor list) another service's
#     private directory or overwrite another's published keys, binaries included.
#     Skipped with a message when not root.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
BIN=${FREEHOLD_BIN:-$ROOT/build/bin}
UNITS="$ROOT/deploy/systemd"
fail() { echo "FAIL: $*" >&2; exit 1; }
for b in accounts donations coordinator storaged; do
  [[ -x "$BIN/freehold-$b" ]] || fail "$BIN/freehold-$b is not built"
done
SCRATCH=$(mktemp -d /tmp/freehold-systemd-test.XXXXXX)
chmod 755 "$SCRATCH"  # the service users must traverse it
DPID=""
cleanup() {
  [[ -z "$DPID" ]] || kill "$DPID" 2>/dev/null || true
  tests/support/pg_ctl.sh stop "$SCRATCH/pg" >/dev/null 2>&1 || true
  rm -rf "$SCRATCH"
}
trap cleanup EXIT

# --- 2. flags and variables against --help ------------------------------------------
python3 - "$BIN" "$UNITS" <<'PY'
import glob, os, re, shlex, sys
sys.path.insert(0, "tests/deploy")
from binary_flags import accepted, flags_in
bin_dir, units = sys.argv[1], sys.argv[2]
ok = True
for unit in sorted(glob.glob(os.path.join(units, "*.service"))):
    text = open(unit).read()
    joined = re.sub(r"\\\n", " ", text)
    execs = [l.split("=", 1)[1] for l in joined.splitlines() if l.startswith("ExecStart=")]
    if len(execs) != 1:
        print(f"{unit}: expected one ExecStart, found {len(execs)}"); ok = False; continue
    argv = shlex.split(execs[0])
    binary = os.path.join(bin_dir, os.path.basename(argv[0]))
    flags, env = accepted(binary)
    for flag in flags_in(argv[1:]):
        if flag not in flags:
            print(f"{os.path.basename(unit)}: ExecStart passes {flag}, which {os.path.basename(binary)} does not have"); ok = False
    for name in sorted(set(re.findall(r"\bFREEHOLD_[A-Z0-9_]+", text))):
        if name not in env:
            print(f"{os.path.basename(unit)}: mentions {name}, which {os.path.basename(binary)} does not read"); ok = False
    print(f"{os.path.basename(unit)}: {len(flags_in(argv[1:]))} flags exist in {os.path.basename(binary)} --help")
sys.exit(0 if ok else 1)
PY

# --- 1. systemd-analyze -----------------------------------------------------------------
if command -v systemd-analyze >/dev/null; then
  R="$SCRATCH/verify-root"
  mkdir -p "$R/usr/local/bin" "$R/etc/systemd/system" "$R/usr/lib/systemd"
  cp "$BIN"/freehold-{accounts,donations,coordinator,storaged} "$R/usr/local/bin/"
  cp "$UNITS"/*.service "$R/etc/systemd/system/"
  # The units refer to the standard targets (network-online, multi-user, sysinit).
  cp -a /usr/lib/systemd/system "$R/usr/lib/systemd/" 2>/dev/null || fail "no /usr/lib/systemd/system to verify against"
  for unit in freehold-accounts.service freehold-coordinator.service freehold-donations.service \
              freehold-storaged@disk1.service; do
    out=$(cd "$SCRATCH" && systemd-analyze verify --man=no --root="$R" "$unit" 2>&1) \
      || fail "systemd-analyze verify $unit: $out"
    [[ -z "$out" ]] || fail "systemd-analyze verify $unit warns: $out"
    score=$(systemd-analyze security --offline=yes --root="$R" "$unit" 2>&1 |
            sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
    [[ -n "$score" ]] || fail "systemd-analyze security $unit printed no exposure level"
    awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }' || fail "$unit: exposure $score > 2.0"
    echo "$unit: systemd-analyze verify clean, security exposure $score"
  done
else
  echo "systemd-analyze not installed: unit verification skipped (apt-get install systemd)"
fi

# --- 3. one user per service, keys each user alone can write ----------------------------
if [[ $(id -u) -ne 0 ]]; then
  echo "not root: users and directory permissions not checked"
  echo "systemd units: passed (static parts)"
  exit 0
fi
command -v setpriv >/dev/null || fail "setpriv (util-linux) missing"
R="$SCRATCH/host"
mkdir -p "$R/etc" "$R/usr/local/bin"
chmod 755 "$R"
systemd-sysusers --root="$R" - <"$UNITS/freehold.sysusers" >/dev/null 2>&1 || fail "systemd-sysusers --root failed"
systemd-tmpfiles --root="$R" --create - <"$UNITS/freehold.tmpfiles" || fail "systemd-tmpfiles --root failed"
cp "$BIN"/freehold-{accounts,coordinator,storaged,donations} "$R/usr/local/bin/"

uid_of() { awk -F: -v u="$1" '$1 == u { print $3 }' "$R/etc/passwd"; }
gid_of() { awk -F: -v g="$1" '$1 == g { print $3 }' "$R/etc/group"; }
FH_GID=$(gid_of freehold)
[[ -n "$FH_GID" ]] || fail "freehold.sysusers created no group freehold"
declare -A UID_OF
for s in accounts donations coordinator storaged; do
  UID_OF[$s]=$(uid_of "freehold-$s")
  [[ -n "${UID_OF[$s]}" ]] || fail "freehold.sysusers created no user freehold-$s"
  [[ "$(gid_of "freehold-$s")" == "${UID_OF[$s]}" ]] || fail "freehold-$s has no private group"
  grep -q "^freehold:.*freehold-$s" "$R/etc/group" || fail "freehold-$s is not in the group freehold"
done
[[ $(printf '%s\n' "${UID_OF[@]}" | sort -u | wc -l) -eq 4 ]] || fail "services share a uid"

# as SERVICE CMD...: runs CMD as the service's user, its private group and the group
# freehold, without capabilities (what the unit's User=/SupplementaryGroups= give).
as() {
  local s=$1; shift
  setpriv --reuid="${UID_OF[$s]}" --regid="${UID_OF[$s]}" --groups="$FH_GID" \
    --inh-caps=-all --bounding-set=-all --no-new-privs -- "$@"
}
owner() { stat -c '%u:%g %a' "$1"; }
V="$R/var/lib/freehold"
mkdir -p "$R/srv/freehold/disk1"
chown "${UID_OF[storaged]}:${UID_OF[storaged]}" "$R/srv/freehold/disk1"
chmod 0700 "$R/srv/freehold/disk1"
NO_DB="postgresql://127.0.0.1:1/none?connect_timeout=1"

# Each service creates its keys as its own user, with the paths its unit uses.
as accounts "$R/usr/local/bin/freehold-accounts" --rotate-signing-key --database-url "$NO_DB" \
  --data-dir "$V/accounts" --verification-keys-out "$V/public/accounts/accounts.pub" >/dev/null 2>&1 \
  || fail "freehold-accounts could not write its keys as freehold-accounts"
# The coordinator writes its grant key and publishes it, then stops: no PostgreSQL here.
as coordinator "$R/usr/local/bin/freehold-coordinator" --database-url "$NO_DB" --listen 127.0.0.1:0 \
  --metrics-listen "" --data-dir "$V/coordinator" --public-keys-out "$V/public/coordinator/coordinator.pub" \
  --accounts-keys "$V/public/accounts/accounts.pub" >/dev/null 2>&1 || true
[[ -s "$V/coordinator/coordinator.key" && -s "$V/public/coordinator/coordinator.pub" ]] \
  || fail "freehold-coordinator could not write its grant key as freehold-coordinator"
as storaged "$R/usr/local/bin/freehold-storaged" --print-identity --data-dir "$R/srv/freehold/disk1" \
  | grep -q '^node_id ' || fail "freehold-storaged --print-identity failed as freehold-storaged"
[[ "$(owner "$V/public/accounts/accounts.pub")" == "${UID_OF[accounts]}:$FH_GID 644" ]] \
  || fail "accounts.pub: $(owner "$V/public/accounts/accounts.pub")"
[[ "$(stat -c %u "$V/coordinator/coordinator.key")" == "${UID_OF[coordinator]}" ]] || fail "coordinator.key owner"
[[ "$(stat -c %a "$V/coordinator/coordinator.key")" == 600 ]] || fail "coordinator.key mode"
# Donations writes its receipt public key with the unit's UMask (0027): the group
# freehold can read it only because the public directory is setgid. Needs PostgreSQL.
if PG_URL=$(tests/support/pg_ctl.sh start "$SCRATCH/pg" 2>/dev/null); then
  FREEHOLD_DATABASE_URL="$PG_URL" setpriv --reuid="${UID_OF[donations]}" --regid="${UID_OF[donations]}" \
    --groups="$FH_GID" --inh-caps=-all --bounding-set=-all --no-new-privs -- \
    sh -c 'umask 0027; exec "$@"' sh "$R/usr/local/bin/freehold-donations" \
    --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0 --http-listen 127.0.0.1:0 \
    --receipt-key "$V/donations/receipt.key" --receipt-public-key-out "$V/public/donations/receipt.pub" \
    >"$SCRATCH/donations.log" 2>&1 &
  DPID=$!
  for _ in $(seq 1 60); do grep -q '^READY' "$SCRATCH/donations.log" && break; sleep 0.5; done
  grep -q '^READY' "$SCRATCH/donations.log" || { cat "$SCRATCH/donations.log"; fail "freehold-donations did not start as freehold-donations"; }
  kill "$DPID"; wait "$DPID" 2>/dev/null || true; DPID=""
  [[ "$(owner "$V/donations/receipt.key")" == "${UID_OF[donations]}:${UID_OF[donations]} 600" ]] \
    || fail "receipt.key: $(owner "$V/donations/receipt.key")"
  [[ "$(owner "$V/public/donations/receipt.pub")" == "${UID_OF[donations]}:$FH_GID 640" ]] \
    || fail "receipt.pub: $(owner "$V/public/donations/receipt.pub")"
  as coordinator cat "$V/public/donations/receipt.pub" >/dev/null || fail "the group freehold cannot read receipt.pub"
else
  echo "PostgreSQL unavailable: freehold-donations not run (its directories are checked below)"
fi
echo "each service wrote its own keys as its own user"

# Everyone reads the published public keys; nobody writes another's.
for s in accounts donations coordinator storaged; do
  as "$s" cat "$V/public/accounts/accounts.pub" "$V/public/coordinator/coordinator.pub" >/dev/null \
    || fail "freehold-$s cannot read the published public keys"
  for other in accounts donations coordinator; do
    [[ "$s" == "$other" ]] && continue
    for dir in "$V/$other" "$V/public/$other" "$R/etc/freehold/tls/$other"; do
      if as "$s" touch "$dir/intruder" 2>/dev/null; then fail "freehold-$s can write $dir"; fi
    done
    for dir in "$V/$other" "$R/etc/freehold/tls/$other"; do
      if as "$s" ls "$dir" >/dev/null 2>&1; then fail "freehold-$s can list $dir"; fi
    done
  done
  for pub in "$V/public/accounts/accounts.pub" "$V/public/coordinator/coordinator.pub" \
             "$V/public/donations/receipt.pub"; do
    [[ -e "$pub" ]] || continue
    [[ "$pub" == "$V/public/$s/"* ]] && continue
    if as "$s" sh -c ": > '$pub'" 2>/dev/null; then fail "freehold-$s can overwrite $pub"; fi
    if as "$s" rm -f "$pub" 2>/dev/null && [[ ! -e "$pub" ]]; then fail "freehold-$s can remove $pub"; fi
  done
  if [[ "$s" != storaged ]]; then
    if as "$s" touch "$R/srv/freehold/disk1/intruder" 2>/dev/null; then fail "freehold-$s can write a disk"; fi
  fi
done
# The binaries themselves, pointed at another service's files, are refused.
before=$(sha256sum "$V/public/accounts/accounts.pub")
if as coordinator "$R/usr/local/bin/freehold-coordinator" --database-url "$NO_DB" --listen 127.0.0.1:0 \
    --metrics-listen "" --data-dir "$V/coordinator" --public-keys-out "$V/public/accounts/accounts.pub" \
    >/dev/null 2>&1; then fail "freehold-coordinator ran with another service's public key file"; fi
[[ "$(sha256sum "$V/public/accounts/accounts.pub")" == "$before" ]] \
  || fail "freehold-coordinator rewrote the accounts' published keys"
if as accounts "$R/usr/local/bin/freehold-accounts" --rotate-signing-key --database-url "$NO_DB" \
    --data-dir "$V/coordinator" >/dev/null 2>&1; then fail "freehold-accounts wrote into the coordinator's directory"; fi
if as storaged "$R/usr/local/bin/freehold-storaged" --print-identity --data-dir "$V/accounts/node" \
    >/dev/null 2>&1; then fail "freehold-storaged created an identity in the accounts' directory"; fi
if as coordinator "$R/usr/local/bin/freehold-storaged" --print-identity --data-dir "$R/srv/freehold/disk1" \
    >/dev/null 2>&1; then fail "freehold-coordinator read a storage node's identity"; fi
echo "no service can write another's keys or published public keys"
echo "systemd units: passed"
