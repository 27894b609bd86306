#!/usr/bin/env bash
# The container image (deploy/image/build.sh) holds everything the binaries need and
# nothing from the build tree. No container runtime runs here, so the test builds the
# image, unpacks the OCI archive as a runtime would (index -> manifest -> config and
# layer, every digest checked), and runs the binaries from the unpacked root file
# system in a chroot, where the build tree and the host's libraries are out of reach:
#   - every binary's --help;
#   - freehold-storaged --print-identity as the storage daemons' uid (10104);
#   - freehold-storaged serving over TLS (certificates from deploy/tls/pki.sh) and
#     freehold-admin's gRPC health check against it, as the Kubernetes probes run it.
# Libraries from Debian's packages via mmdebstrap when the mirror answers, else copied
# from this host (FREEHOLD_IMAGE_BASE forces either). Skips (exit 77) when not root.
# Bounded: the build and every wait have deadlines.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
export FREEHOLD_BIN=${FREEHOLD_BIN:-$ROOT/build/bin}
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || skip "building and chrooting into the image needs root"
command -v chroot >/dev/null || skip "no chroot"

if [[ -z "${FREEHOLD_IMAGE_BASE:-}" ]]; then
  if command -v mmdebstrap >/dev/null &&
     curl -sfI --max-time 5 http://deb.debian.org/debian/dists/bookworm/Release >/dev/null 2>&1; then
    export FREEHOLD_IMAGE_BASE=debian
  else
    echo "mmdebstrap or the Debian mirror unavailable: libraries copied from this host"
    export FREEHOLD_IMAGE_BASE=host
  fi
fi
WORK=$(mktemp -d /tmp/freehold-image-test.XXXXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
timeout 480 deploy/image/build.sh "$WORK/out" >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log"; fail "build.sh failed"; }
tail -2 "$WORK/build.log"

# Unpack the OCI archive and follow it to the root file system, checking digests.
mkdir "$WORK/oci" "$WORK/fs"
tar -C "$WORK/oci" -xf "$WORK/out/freehold-image.oci.tar"
IMAGE_NAME=$(sed -n 's/^IMAGE_NAME=\${FREEHOLD_IMAGE_NAME:-\([^}]*\)}/\1/p' deploy/image/build.sh)
python3 - "$WORK/oci" "$WORK/fs" "$IMAGE_NAME" <<'PY' || fail "the OCI layout is not what a runtime expects"
import gzip, hashlib, json, os, sys, tarfile
oci, fs, name = sys.argv[1:]
def blob(desc):
    algo, hexd = desc["digest"].split(":")
    data = open(os.path.join(oci, "blobs", algo, hexd), "rb").read()
    assert hashlib.sha256(data).hexdigest() == hexd, f"blob {hexd} does not match its digest"
    assert len(data) == desc["size"], f"blob {hexd} size {len(data)} != {desc['size']}"
    return data
assert json.load(open(os.path.join(oci, "oci-layout")))["imageLayoutVersion"] == "1.0.0"
index = json.load(open(os.path.join(oci, "index.json")))
[entry] = index["manifests"]
tag = name.rsplit(":", 1)[1]
assert entry["annotations"]["org.opencontainers.image.ref.name"] == tag, entry["annotations"]
assert entry["annotations"]["io.containerd.image.name"].endswith(name), entry["annotations"]
manifest = json.loads(blob(entry))
assert manifest["mediaType"] == "application/vnd.oci.image.manifest.v1+json"
config = json.loads(blob(manifest["config"]))
assert config["os"] == "linux" and config["architecture"] == "amd64"
assert config["config"]["User"] == "65534:65534", "the image's default user is not nobody"
[layer] = manifest["layers"]
raw = gzip.decompress(blob(layer))
assert "sha256:" + hashlib.sha256(raw).hexdigest() == config["rootfs"]["diff_ids"][0], "diff_id mismatch"
path = os.path.join(fs, "..", "layer.tar")
open(path, "wb").write(raw)
with tarfile.open(path) as t:
    t.extractall(fs, numeric_owner=True)
print(f"OCI layout: {name}, manifest {entry['digest'][:19]}..., one layer of {len(raw) >> 20} MiB")
PY
F="$WORK/fs"
chmod 755 "$WORK"
for b in freehold-accounts freehold-donations freehold-coordinator freehold-storaged freehold-admin freehold; do
  [[ -x "$F/usr/local/bin/$b" ]] || fail "the image has no /usr/local/bin/$b"
  out=$(chroot --userspec=65534:65534 "$F" "/usr/local/bin/$b" --help 2>&1) || fail "$b --help in the image: $out"
  grep -q "^Usage:" <<<"$out" || fail "$b --help printed no usage"
done
echo "every binary runs from the image (--help)"
[[ ! -e "$F/bin/sh" && ! -e "$F/usr/bin/apt-get" ]] || fail "the image holds a shell or a package manager"

node=$(chroot --userspec=10104:10104 "$F" /usr/local/bin/freehold-storaged --print-identity --data-dir /data) \
  || fail "freehold-storaged --print-identity as uid 10104 failed"
node_id=$(awk '$1 == "node_id" { print $2 }' <<<"$node")
[[ -n "$node_id" ]] || fail "--print-identity printed no node_id"
echo "freehold-storaged --print-identity: node $node_id"

# A started daemon answers the gRPC health check over TLS, all from the image.
mkdir "$F/tls"
deploy/tls/pki.sh ca "$F/tls" >/dev/null
deploy/tls/pki.sh leaf "$F/tls" node storaged "$node_id" DNS:localhost >/dev/null
rm "$F/tls/ca.key"
# The coordinator from the image makes a grant key (then finds no PostgreSQL and exits).
mkdir -m 0700 "$F/gk"
chroot "$F" /usr/local/bin/freehold-coordinator --data-dir /gk --accounts-keys /gk/none \
  --listen 127.0.0.1:0 --metrics-listen "" \
  --database-url "postgresql://127.0.0.1:1/none?connect_timeout=1" >"$WORK/coordinator.log" 2>&1 || true
grep -q "cannot reach PostgreSQL" "$WORK/coordinator.log" || { cat "$WORK/coordinator.log"; fail "freehold-coordinator in the image"; }
cp "$F/gk/coordinator.pub" "$F/tls/coordinator.pub"
chown -R 10104:10104 "$F/tls"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
chroot --userspec=10104:10104 "$F" /usr/local/bin/freehold-storaged --data-dir /data \
  --listen "127.0.0.1:$PORT" --metrics-listen "" --coordinator-keys /tls/coordinator.pub \
  --tls-cert /tls/node.crt --tls-key /tls/node.key --tls-ca /tls/ca.crt >"$WORK/storaged.log" 2>&1 &
PIDS+=($!)
chroot --userspec=65534:65534 "$F" /usr/local/bin/freehold-admin --ca-file /tls/ca.crt \
  health --address "localhost:$PORT" --wait 20 || { cat "$WORK/storaged.log"; fail "health check from the image failed"; }
echo "image: passed ($FREEHOLD_IMAGE_BASE libraries)"
