#!/usr/bin/env bash
# The Secrets and ConfigMaps the manifests mount, made from files the operator keeps
# (never committed). Each service gets only its own Secrets; the public keys other
# services need are ConfigMaps, mounted read-only.
#
#   secrets.sh keys DIR          generates the signing keys that do not exist yet in DIR
#                                (accounts key set, coordinator grant key, donations
#                                receipt key) and their public files, with the built
#                                binaries (FREEHOLD_BIN, default build/bin); mode 0600
#   secrets.sh apply DIR [NS]    creates or updates every object in namespace NS
#                                (default freehold) with kubectl; re-run after a rotation
#
# DIR holds (certificates from deploy/tls/pki.sh; each service's certificate with the
# DNS SANs its callers use, e.g. DNS:freehold-accounts, DNS:freehold-accounts.freehold.svc,
# and DNS:localhost for the health probes):
#   ca.crt
#   db-owner-url   the schema owner's database URL, for the migration Job only
#   accounts/    tls.crt tls.key db-url pepper signing-keys accounts.pub
#   coordinator/ tls.crt tls.key db-url grant.key coordinator.pub
#   donations/   tls.crt tls.key db-url stripe-webhook-secret receipt.key
#   storaged/    POD.crt POD.key for every storage pod (freehold-storaged-zone-a-0, ...):
#                role storaged, id = the node id its init container printed,
#                SAN DNS:POD.freehold-storaged.freehold.svc and DNS:localhost
# tests/deploy/check.sh checks that every Secret, ConfigMap and key a manifest names is
# made here.
set -euo pipefail
die() { echo "secrets.sh: $*" >&2; exit 2; }
[[ $# -ge 2 ]] || die "usage: secrets.sh keys|apply DIR [NAMESPACE]"
cmd=$1; DIR=$2; NS=${3:-freehold}

# make_secret NAME KEY=FILE...: a generic Secret whose keys are the given files.
make_secret() {
  local name=$1; shift
  local args=()
  for kv in "$@"; do args+=("--from-file=$kv"); done
  kubectl -n "$NS" create secret generic "$name" "${args[@]}" --dry-run=client -o yaml |
    kubectl apply -f -
}
# make_configmap NAME KEY=FILE...
make_configmap() {
  local name=$1; shift
  local args=()
  for kv in "$@"; do args+=("--from-file=$kv"); done
  kubectl -n "$NS" create configmap "$name" "${args[@]}" --dry-run=client -o yaml |
    kubectl apply -f -
}

case "$cmd" in
  keys)
    BIN=${FREEHOLD_BIN:-$(cd "$(dirname "$0")/../.." && pwd)/build/bin}
    umask 077
    mkdir -p "$DIR/accounts" "$DIR/coordinator" "$DIR/donations"
    if [[ ! -e "$DIR/accounts/signing-keys" ]]; then
      "$BIN/freehold-accounts" --rotate-signing-keys-file "$DIR/accounts/signing-keys" \
        --verification-keys-out "$DIR/accounts/accounts.pub"
    fi
    # An Ed25519 key in the fh-ed25519-secret format: the coordinator creates its grant
    # key in --data-dir before it looks for PostgreSQL (none here, so it then exits).
    new_key() {
      local tmp; tmp=$(mktemp -d)
      "$BIN/freehold-coordinator" --data-dir "$tmp" --listen 127.0.0.1:0 --metrics-listen "" \
        --accounts-keys "$tmp/none" \
        --database-url "postgresql://127.0.0.1:1/none?connect_timeout=1" >/dev/null 2>&1 || true
      [[ -s "$tmp/coordinator.key" ]] || die "could not generate a key with $BIN/freehold-coordinator"
      cp "$tmp/coordinator.key" "$1"
      [[ -z "${2:-}" ]] || cp "$tmp/coordinator.pub" "$2"
      rm -rf "$tmp"
    }
    [[ -e "$DIR/coordinator/grant.key" ]] ||
      new_key "$DIR/coordinator/grant.key" "$DIR/coordinator/coordinator.pub"
    [[ -e "$DIR/donations/receipt.key" ]] || new_key "$DIR/donations/receipt.key"
    chmod 0644 "$DIR/accounts/accounts.pub" "$DIR/coordinator/coordinator.pub"
    echo "keys in $DIR: accounts/signing-keys, coordinator/grant.key, donations/receipt.key"
    ;;
  apply)
    A=$DIR/accounts C=$DIR/coordinator D=$DIR/donations
    make_secret freehold-db-owner url="$DIR/db-owner-url"
    make_secret freehold-accounts-db url="$A/db-url"
    make_secret freehold-accounts-secrets pepper="$A/pepper" signing-keys="$A/signing-keys"
    make_secret freehold-accounts-tls tls.crt="$A/tls.crt" tls.key="$A/tls.key" ca.crt="$DIR/ca.crt"
    make_configmap freehold-accounts-public accounts.pub="$A/accounts.pub"
    make_secret freehold-coordinator-db url="$C/db-url"
    make_secret freehold-coordinator-secrets grant.key="$C/grant.key"
    make_secret freehold-coordinator-tls tls.crt="$C/tls.crt" tls.key="$C/tls.key" ca.crt="$DIR/ca.crt"
    make_configmap freehold-coordinator-public coordinator.pub="$C/coordinator.pub"
    make_secret freehold-donations-db url="$D/db-url"
    make_secret freehold-donations-secrets stripe-webhook-secret="$D/stripe-webhook-secret" \
      receipt.key="$D/receipt.key"
    make_secret freehold-donations-tls tls.crt="$D/tls.crt" tls.key="$D/tls.key" ca.crt="$DIR/ca.crt"
    pods=()  # POD.crt, POD.key per storage pod
    for f in "$DIR"/storaged/*.crt "$DIR"/storaged/*.key; do
      [[ -e "$f" ]] && pods+=("$(basename "$f")=$f")
    done
    make_secret freehold-storaged-tls ca.crt="$DIR/ca.crt" "${pods[@]}"
    ;;
  *) die "unknown command $cmd" ;;
esac
