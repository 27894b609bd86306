#!/usr/bin/env bash
# The Kubernetes manifests run as written, without Kubernetes (no cluster can run
# here): in a private network and mount namespace, the image from deploy/image/build.sh,
# the operator's files made as deploy/README.md says (deploy/tls/pki.sh certificates,
# deploy/kubernetes/secrets.sh keys, then secrets.sh apply through a kubectl stand-in
# that stores the Secrets and ConfigMaps), a PostgreSQL, and every pod run by
# tests/deploy/run_pods.py as a kubelet would (read-only root file system, volumes,
# users, env, probes). The scenario is tests/deploy/kubernetes_pods_scenario.py: the
# migration Job, accounts, donations and the coordinator ready by their probes, a
# storage pod identified, certified, approved and listed up by the coordinator, the
# donations HTTP port answering. Skips (exit 77) when not root or without namespaces.
# Bounded: every wait has a deadline.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
export FREEHOLD_BIN=${FREEHOLD_BIN:-$ROOT/build/bin}
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || skip "running pods (chroot, mounts, users) needs root"
if [[ -z "${FREEHOLD_PODS_NETNS:-}" ]]; then
  unshare --net --mount true 2>/dev/null || skip "cannot create network and mount namespaces"
  # Fixed ports (the manifests') in a network namespace of our own; mounts private.
  exec unshare --net --mount --propagation private env FREEHOLD_PODS_NETNS=1 "$0" "$@"
fi
ip link set lo up

WORK=$(mktemp -d /tmp/freehold-k8s-pods.XXXXXX)
chmod 755 "$WORK"
cleanup() {
  tests/support/pg_ctl.sh stop "$WORK/pg" >/dev/null 2>&1 || true
  umount -R -l "$WORK/pods" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# The image (libraries from this host: fast and offline; tests/deploy/image_test.sh
# covers the Debian-package build).
FREEHOLD_IMAGE_BASE=host timeout 300 deploy/image/build.sh "$WORK/image" >"$WORK/image.log" 2>&1 ||
  { cat "$WORK/image.log"; fail "build.sh"; }
mkdir "$WORK/image/fs"
tar -C "$WORK/image/fs" -xf "$WORK/image/rootfs.tar"

PG_URL=$(tests/support/pg_ctl.sh start "$WORK/pg")

# The operator's directory (secrets.sh's header): certificates with the names the
# callers use and DNS:localhost for the probes, secrets, database URLs.
K="$WORK/keys"
mkdir -p "$K/pki" "$K/accounts" "$K/coordinator" "$K/donations" "$K/storaged"
deploy/tls/pki.sh ca "$K/pki" >/dev/null
cp "$K/pki/ca.crt" "$K/ca.crt"
for s in accounts coordinator donations; do
  deploy/tls/pki.sh leaf "$K/pki" "$s" "$s" "${s}-0" "DNS:freehold-$s" "DNS:freehold-$s.freehold.svc" DNS:localhost >/dev/null
  cp "$K/pki/$s.crt" "$K/$s/tls.crt"; cp "$K/pki/$s.key" "$K/$s/tls.key"
  echo "$PG_URL" >"$K/$s/db-url"
done
echo "$PG_URL" >"$K/db-owner-url"
# The operator's client certificate for freehold-admin (there is no operator secret).
deploy/tls/pki.sh leaf "$K/pki" operator operator k8s-operator >/dev/null
head -c 48 /dev/urandom | base64 >"$K/accounts/pepper"
echo "whsec_$(head -c 24 /dev/urandom | base64 | tr -d '/+=')" >"$K/donations/stripe-webhook-secret"
chmod 600 "$K"/*/*
deploy/kubernetes/secrets.sh keys "$K" >/dev/null

# The Secrets and ConfigMaps, through the kubectl stand-in.
mkdir "$WORK/kubectl" "$WORK/store"
ln -s "$ROOT/tests/deploy/kubectl_standin.py" "$WORK/kubectl/kubectl"
export PATH="$WORK/kubectl:$PATH" KUBECTL_STORE="$WORK/store"
deploy/kubernetes/secrets.sh apply "$K" >/dev/null

mkdir "$WORK/pods"
timeout 420 python3 tests/deploy/kubernetes_pods_scenario.py deploy/kubernetes "$WORK/image/fs" \
  "$WORK/store" "$WORK/pods" "$K" "$ROOT" ""
