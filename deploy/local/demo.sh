#!/usr/bin/env bash
# The demo up.sh runs against the local cluster: sign up, put a generated file,
# get it back, compare, export it and decrypt the export with the stock `age`
# tool. Safe to run again (a new demo account each time).
set -euo pipefail
cd "$(dirname "$0")/../.."
source "${FREEHOLD_LOCAL_RUN_DIR:-.run}/env"
WORK=$(mktemp -d /tmp/freehold-demo.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
export FREEHOLD_CONFIG_DIR="$WORK/config"
export FREEHOLD_PASSWORD="demo password $(date +%s%N)"
HANDLE="demo$(date +%s)$RANDOM"

echo
echo "== demo: sign up as $HANDLE"
freehold signup --handle "$HANDLE"
echo "== demo: donations fund the storage (no bills, no quotas)"
freehold status | sed -n '/^Funding/,$p' | head -4
echo "   a donor gives 5.00 EUR (a Stripe-signed webhook to the donations service):"
"$(dirname "$0")/donate.sh" 500 eur | sed 's/^/   /'
sleep 3  # the coordinator refreshes its funding figures every 2 s
freehold status | sed -n '/^Funding/,$p' | head -4
echo "== demo: put a 10 MiB generated file"
head -c $((10 * 1024 * 1024)) /dev/urandom > "$WORK/original.bin"
freehold put "$WORK/original.bin" --name demo.bin
freehold ls
echo "== demo: get it back and compare"
freehold get demo.bin -o "$WORK/roundtrip.bin"
cmp "$WORK/original.bin" "$WORK/roundtrip.bin"
echo "   identical ($(stat -c %s "$WORK/roundtrip.bin") bytes)"
echo "== demo: export as a standard age file and decrypt it with the stock age tool"
freehold export demo.bin -o "$WORK/demo.bin.age"
freehold recovery-key --yes > "$WORK/identity.txt" 2>/dev/null
age -d -i "$WORK/identity.txt" -o "$WORK/from-age.bin" "$WORK/demo.bin.age"
cmp "$WORK/original.bin" "$WORK/from-age.bin"
echo "   age decrypted the export: identical"
echo "== demo: share it with a second account and give it a public link"
FRIEND="friend$(date +%s)$RANDOM"
FREEHOLD_CONFIG_DIR="$WORK/friend" freehold signup --handle "$FRIEND" >/dev/null
freehold share demo.bin --with "$FRIEND"
ID=$(freehold --json ls | sed -n 's/.*"id": "\([0-9a-f-]*\)".*/\1/p' | head -1)
FREEHOLD_CONFIG_DIR="$WORK/friend" freehold -q get "$ID" -o "$WORK/friend.bin"
cmp "$WORK/original.bin" "$WORK/friend.bin"
echo "   $FRIEND read the shared file: identical"
LINK=$(freehold link demo.bin 2>/dev/null)
FREEHOLD_CONFIG_DIR="$WORK/stranger" freehold -q fetch "$LINK" -o "$WORK/linked.bin"
cmp "$WORK/original.bin" "$WORK/linked.bin"
echo "   fetched through the public link without an account: identical"
echo "== demo: cluster status"
# Node-level details are for operators: an account with the role coordinator:operator,
# or freehold-admin with the operator certificate (FREEHOLD_ADMIN_TLS_CERT/KEY in .run/env).
freehold status || echo "   (cluster status not available to this account)"
echo "== demo: the operator's view (freehold-admin, operator certificate)"
freehold-admin nodes
freehold-admin status
echo
echo "Demo passed."
