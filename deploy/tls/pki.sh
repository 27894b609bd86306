#!/usr/bin/env bash
# The fleet's private certificate authority and its leaf certificates, made with
# the openssl command (OpenSSL 3, ECDSA P-256). Used by deploy/local/up.sh and by
# the tests; an operator can use it for a small fleet (docs/ARCHITECTURE.md#14-trust).
#
#   pki.sh ca DIR                         DIR/ca.key (0600), DIR/ca.crt (10 years); keeps an existing CA
#   pki.sh leaf DIR NAME ROLE ID [SAN..]  DIR/NAME.key, DIR/NAME.crt signed by DIR/ca.*:
#                                         CN=ROLE:ID, SAN URI spiffe://freehold/role/ROLE/ID plus
#                                         the extra SANs (DNS:localhost, IP:127.0.0.1, ...);
#                                         usable as a server and as a client certificate
#   pki.sh expired DIR NAME ROLE ID [SAN..]  as leaf, but valid only in 2020 (for tests)
#   pki.sh bundle DIR NAME                DIR/NAME.pem = key + certificate (HTTP servers)
#
# Roles: coordinator, storaged, accounts, donations, operator, database (PostgreSQL
# servers: deploy/ha/pg-ha.sh FREEHOLD_HA_TLS_DIR). Leaf files are
# written under a temporary name and renamed, key first, so that a process that
# reloads on change never reads a half-written file; a process watching the
# pair should be pointed at a directory that is swapped as a whole (see
# deploy/README.md, "Rotating certificates").
set -euo pipefail
umask 077

die() { echo "pki.sh: $*" >&2; exit 2; }
[[ $# -ge 2 ]] || die "usage: pki.sh ca|leaf|expired|bundle DIR ..."
cmd=$1; dir=$2; shift 2
mkdir -p "$dir"

newkey() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

case "$cmd" in
  ca)
    if [[ -s "$dir/ca.key" && -s "$dir/ca.crt" ]]; then exit 0; fi
    newkey "$dir/ca.key.tmp"
    openssl req -x509 -new -key "$dir/ca.key.tmp" -sha256 -days 3650 \
      -subj "/O=freehold/CN=freehold fleet CA" \
      -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
      -addext "keyUsage=critical,keyCertSign,cRLSign" -out "$dir/ca.crt.tmp" 2>/dev/null
    mv "$dir/ca.key.tmp" "$dir/ca.key"; mv "$dir/ca.crt.tmp" "$dir/ca.crt"
    chmod 0644 "$dir/ca.crt"
    ;;
  leaf|expired)
    [[ $# -ge 3 ]] || die "usage: pki.sh $cmd DIR NAME ROLE ID [SAN...]"
    name=$1; role=$2; id=$3; shift 3
    [[ "$role" =~ ^(coordinator|storaged|accounts|donations|operator|database)$ ]] || die "unknown role '$role'"
    [[ "$id" =~ ^[A-Za-z0-9._-]{1,64}$ ]] || die "id '$id': 1-64 of [A-Za-z0-9._-]"
    [[ -s "$dir/ca.key" ]] || die "no CA in $dir (run: pki.sh ca $dir)"
    san="URI:spiffe://freehold/role/$role/$id"
    for extra in "$@"; do san="$san,$extra"; done
    work=$(mktemp -d "$dir/.tmp.XXXXXX")
    trap 'rm -rf "$work"' EXIT
    newkey "$work/key"
    openssl req -new -key "$work/key" -subj "/O=freehold/CN=$role:$id" -out "$work/csr" 2>/dev/null
    printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
      "extendedKeyUsage=serverAuth,clientAuth" "subjectAltName=$san" > "$work/ext"
    if [[ "$cmd" == leaf ]]; then
      openssl x509 -req -in "$work/csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -set_serial "0x$(openssl rand -hex 16)" \
        -sha256 -days 825 -extfile "$work/ext" -out "$work/crt" 2>/dev/null
    else
      # OpenSSL 3.0 has no -not_after for x509 -req: `openssl ca` takes explicit dates.
      mkdir -p "$work/ca"; : > "$work/ca/index.txt"
      cat > "$work/ca.cnf" <<CNF
[ca]
default_ca = fh
[fh]
dir = $work/ca
database = \$dir/index.txt
new_certs_dir = \$dir
serial = \$dir/serial
default_md = sha256
policy = any
copy_extensions = none
[any]
organizationName = optional
commonName = supplied
CNF
      openssl rand -hex 16 > "$work/ca/serial"
      openssl ca -batch -config "$work/ca.cnf" -cert "$dir/ca.crt" -keyfile "$dir/ca.key" \
        -startdate 20200101000000Z -enddate 20201231000000Z -extfile "$work/ext" \
        -in "$work/csr" -out "$work/crt" -notext >/dev/null 2>&1
    fi
    mv "$work/key" "$dir/$name.key"; mv "$work/crt" "$dir/$name.crt"
    chmod 0644 "$dir/$name.crt"
    ;;
  bundle)
    [[ $# -ge 1 ]] || die "usage: pki.sh bundle DIR NAME"
    cat "$dir/$1.key" "$dir/$1.crt" > "$dir/$1.pem.tmp"; mv "$dir/$1.pem.tmp" "$dir/$1.pem"
    ;;
  *) die "unknown command '$cmd'" ;;
esac
