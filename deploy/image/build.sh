#!/usr/bin/env bash
# Builds the Freehold container image without a container runtime or daemon: a root
# file system holding only the runtime libraries of the built binaries and the
# binaries themselves, written as an OCI image layout and packed as an OCI archive.
#
#   deploy/image/build.sh [OUT_DIR]          (as root; default OUT_DIR build/image)
#
# Writes OUT_DIR/freehold-image.oci.tar, tagged $IMAGE_NAME (the name the Kubernetes
# manifests use); load or push it with
#   skopeo copy oci-archive:build/image/freehold-image.oci.tar docker://REGISTRY/freehold/freehold:latest
#   podman load -i build/image/freehold-image.oci.tar
# and OUT_DIR/rootfs.tar (the one layer, uncompressed) for inspection.
#
# The image holds /usr/local/bin/freehold-{accounts,donations,coordinator,storaged,admin}
# and freehold, the shared libraries they load, /etc/passwd with one user per service
# (uids 10101-10104, as in the manifests), the CA bundle of the build host, and nothing
# else: no shell, no package manager. Its default user is nobody (65534).
#
# Where the libraries come from (FREEHOLD_IMAGE_BASE):
#   debian (default)  the Debian 12 packages that own them on this host (dpkg -S),
#                     fetched with their dependencies from the mirror apt uses and
#                     unpacked by `mmdebstrap --variant=extract` (no maintainer scripts,
#                     nothing else installed); needs the mirror (or a local one)
#   host              copied from this host (the `ldd` closure of the binaries); works
#                     fully offline, same files as the host's Debian packages
# Either way the build host must be Debian 12 (the binaries were linked against it).
#
# Environment: FREEHOLD_BIN (default build/bin), FREEHOLD_IMAGE_NAME,
# FREEHOLD_IMAGE_BASE, SOURCE_DATE_EPOCH (timestamps; default: the last commit's).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
IMAGE_NAME=${FREEHOLD_IMAGE_NAME:-freehold/freehold:latest}
BIN=${FREEHOLD_BIN:-$ROOT/build/bin}
BASE=${FREEHOLD_IMAGE_BASE:-debian}
OUT=${1:-$ROOT/build/image}
BINARIES=(freehold-accounts freehold-donations freehold-coordinator freehold-storaged freehold-admin freehold)
die() { echo "build.sh: $*" >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || die "run as root (file owners in the image, mmdebstrap)"
for b in "${BINARIES[@]}"; do [[ -x "$BIN/$b" ]] || die "$BIN/$b is not built"; done
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$ROOT" log -1 --format=%ct 2>/dev/null || echo 0)}

WORK=$(mktemp -d /tmp/freehold-image.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
FS="$WORK/rootfs"
mkdir -p "$FS" "$OUT"

# The shared libraries the binaries load (absolute paths as the loader resolves them).
libraries() {
  for b in "${BINARIES[@]}"; do
    ldd "$BIN/$b" | awk '/=> \// { print $3 } /^[ \t]*\/[^ ]+ \(/ { print $1 }'
  done | sort -u
}
LIBS=$(libraries)
grep -q . <<<"$LIBS" || die "ldd found no libraries"
if (cd "$BIN" && ldd "${BINARIES[@]}") | grep -q "not found"; then die "a library of the binaries is missing on this host"; fi

case "$BASE" in
  debian)
    command -v mmdebstrap >/dev/null || die "mmdebstrap missing (apt-get install mmdebstrap), or FREEHOLD_IMAGE_BASE=host"
    # The package of every library; /lib and /usr/lib are the same directory on a
    # merged-/usr host, dpkg knows the path the package shipped.
    packages=$(for lib in $LIBS; do
      real=$(readlink -f "$lib")
      for p in "$lib" "$real" "${real#/usr}" "/usr$real" "${lib#/usr}" "/usr$lib"; do
        dpkg -S "$p" 2>/dev/null && break
      done
    done | cut -d: -f1 | sort -u | paste -sd, -)
    [[ -n "$packages" ]] || die "dpkg -S found no package for the libraries"
    # The host's Debian mirror (deb822 or one-line sources), else deb.debian.org.
    mirror=$(grep -rhE '^[[:space:]]*(URIs:|deb )' /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
               /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -oE 'https?://[^ ]+/debian/?( |$)' |
             tr -d ' ' | head -1 || true)
    mirror=${mirror:-http://deb.debian.org/debian}
    security=${mirror%/debian*}/debian-security
    echo "build.sh: unpacking $packages from $mirror"
    mmdebstrap --quiet --variant=extract --include="$packages" --skip=output/dev \
      bookworm "$WORK/base.tar" \
      "deb $mirror bookworm main" "deb $mirror bookworm-updates main" \
      "deb $security bookworm-security main"
    tar -C "$FS" -xf "$WORK/base.tar"
    rm -rf "$FS"/var/lib/apt "$FS"/var/cache/apt "$FS"/var/log "$FS"/var/lib/dpkg "$FS"/etc/apt
    ;;
  host)
    echo "build.sh: copying the libraries from this host"
    for lib in $LIBS; do
      mkdir -p "$FS$(dirname "$lib")"
      cp -L "$lib" "$FS$lib"
    done
    ;;
  *) die "FREEHOLD_IMAGE_BASE must be debian or host" ;;
esac
rm -rf "$FS"/usr/share/{doc,man,info,locale,lintian,gdb,bug}

install -d -m 0755 "$FS/usr/local/bin" "$FS/etc/ssl/certs" "$FS/data"
install -d -m 1777 "$FS/tmp"
for b in "${BINARIES[@]}"; do install -m 0755 "$BIN/$b" "$FS/usr/local/bin/$b"; done
[[ -r /etc/ssl/certs/ca-certificates.crt ]] && install -m 0644 /etc/ssl/certs/ca-certificates.crt "$FS/etc/ssl/certs/"
cat >"$FS/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/usr/sbin/nologin
freehold-accounts:x:10101:10101:Freehold accounts:/nonexistent:/usr/sbin/nologin
freehold-donations:x:10102:10102:Freehold donations:/nonexistent:/usr/sbin/nologin
freehold-coordinator:x:10103:10103:Freehold coordinator:/nonexistent:/usr/sbin/nologin
freehold-storaged:x:10104:10104:Freehold storage daemon:/data:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
EOF
cat >"$FS/etc/group" <<'EOF'
root:x:0:
freehold-accounts:x:10101:
freehold-donations:x:10102:
freehold-coordinator:x:10103:
freehold-storaged:x:10104:
nogroup:x:65534:
EOF
# Container runtimes mount their own /etc/hosts and /etc/resolv.conf over these.
printf '127.0.0.1 localhost\n::1 localhost ip6-localhost\n' >"$FS/etc/hosts"
printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$FS/etc/nsswitch.conf"
chown 10104:10104 "$FS/data"
chmod 0700 "$FS/data"
ldconfig -r "$FS" 2>/dev/null || true  # /etc/ld.so.cache for the image's libraries

# The layer: one deterministic tar of the root file system.
tar --sort=name --mtime="@$SOURCE_DATE_EPOCH" --numeric-owner --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
  -C "$FS" -cf "$OUT/rootfs.tar" .
gzip -n -c "$OUT/rootfs.tar" >"$WORK/layer.tar.gz"

# The OCI image layout (image-spec v1.0): blobs named by their sha256, a config, a
# manifest, an index naming the image, packed into one archive.
python3 - "$WORK" "$OUT/rootfs.tar" "$IMAGE_NAME" "$SOURCE_DATE_EPOCH" <<'PY'
import hashlib, json, os, shutil, sys, time
work, layer_tar, name, epoch = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
layout = os.path.join(work, "layout")
blobs = os.path.join(layout, "blobs", "sha256")
os.makedirs(blobs)

def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()

def put(data):
    digest = hashlib.sha256(data).hexdigest()
    with open(os.path.join(blobs, digest), "wb") as f:
        f.write(data)
    return {"digest": "sha256:" + digest, "size": len(data)}

layer_gz = os.path.join(work, "layer.tar.gz")
layer_digest = sha256_file(layer_gz)
shutil.copy(layer_gz, os.path.join(blobs, layer_digest))
created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))
repo, _, tag = name.rpartition(":") if ":" in name.split("/")[-1] else (name, "", "latest")
config = {
    "created": created,
    "architecture": "amd64",
    "os": "linux",
    "config": {
        "User": "65534:65534",
        "Env": ["PATH=/usr/local/bin:/usr/bin:/bin"],
        "Cmd": ["/usr/local/bin/freehold", "--help"],
        "WorkingDir": "/",
        "Labels": {"org.opencontainers.image.title": "freehold",
                   "org.opencontainers.image.description":
                       "Freehold services (accounts, donations, coordinator, storaged), freehold and freehold-admin"},
    },
    "rootfs": {"type": "layers", "diff_ids": ["sha256:" + sha256_file(layer_tar)]},
    "history": [{"created": created, "created_by": "deploy/image/build.sh"}],
}
config_desc = put(json.dumps(config, sort_keys=True, separators=(",", ":")).encode())
manifest = {
    "schemaVersion": 2,
    "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **config_desc},
    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                "digest": "sha256:" + layer_digest, "size": os.path.getsize(layer_gz)}],
}
manifest_desc = put(json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode())
index = {
    "schemaVersion": 2,
    "mediaType": "application/vnd.oci.image.index.v1+json",
    "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", **manifest_desc,
                   "platform": {"architecture": "amd64", "os": "linux"},
                   "annotations": {"org.opencontainers.image.ref.name": tag,
                                   "io.containerd.image.name": f"docker.io/{repo}:{tag}"}}],
}
with open(os.path.join(layout, "index.json"), "w") as f:
    json.dump(index, f, sort_keys=True, separators=(",", ":"))
with open(os.path.join(layout, "oci-layout"), "w") as f:
    json.dump({"imageLayoutVersion": "1.0.0"}, f)
print(f"build.sh: {name} manifest {manifest_desc['digest']}")
PY
tar --sort=name --mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner \
  -C "$WORK/layout" -cf "$OUT/freehold-image.oci.tar" .
echo "build.sh: wrote $OUT/freehold-image.oci.tar ($(du -h "$OUT/freehold-image.oci.tar" | cut -f1)) and $OUT/rootfs.tar"
