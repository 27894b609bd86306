#!/usr/bin/env bash
# Installs, with apt-get, exactly the Debian 12 packages Freehold needs that are
# missing. Idempotent: a second run installs nothing. Works as root, or uses sudo.
#
#   deploy/install-deps.sh            build + test dependencies
#   deploy/install-deps.sh --bench    also the peers the benchmarks compare against
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build pkg-config ccache git curl ca-certificates procps
  clang libclang-rt-14-dev
  # libraries
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libpqxx-dev libpq-dev libsodium-dev libssl-dev prometheus-cpp-dev libisal-dev
  libcli11-dev nlohmann-json3-dev zlib1g-dev libcivetweb-dev
  libzxcvbn-dev  # password strength at sign-up and password change
  libexpat1-dev  # the ECB exchange rates in XML (services/donations/core/ecb_rates.cc)
  libgtest-dev libgmock-dev libbenchmark-dev
  # real peers used by tests
  postgresql-15 postgresql-contrib age prometheus chromium python3 python3-yaml util-linux
  python3-grpcio python3-protobuf python3-nacl grpc-proto
  # highly available PostgreSQL (deploy/ha/pg-ha.sh and the failover tests)
  patroni etcd-server etcd-client
  # hosts made of network namespaces (tests/deploy/multihost_test.sh: ip netns, veth, bridge)
  iproute2
  # TLS in front of the donations HTTP endpoints (civetweb's own TLS needs OpenSSL 1.1)
  hitch openssl
  # deploy/image/build.sh (root file system from Debian packages) and the unit checks
  mmdebstrap systemd
  nodejs
)
if [[ "${1:-}" == "--bench" ]]; then
  # restic and rclone: the peers of bench/smallfiles (many small files);
  # wrk: the load generator of bench/donations (the transparency page)
  PACKAGES+=(ceph-base hyperfine restic rclone wrk)
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# npm: nodesource's nodejs ships it; Debian's nodejs needs the separate package.
if ! command -v npm >/dev/null 2>&1 && ! printf '%s\n' "${missing[@]}" | grep -qx nodejs; then
  missing+=(npm)
fi

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  if ! command -v npm >/dev/null 2>&1; then
    $SUDO apt-get install -y -qq --no-install-recommends npm >/dev/null
  fi
else
  echo "install-deps: everything present"
fi
