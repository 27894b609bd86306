#!/bin/sh
# docs/API.md names every RPC of every service: each `rpc Name(` of
# proto/freehold/v1/*.proto must appear in it as a whole word, and the services'
# table must list it on its service's row. Fails naming what is missing.
# Usage: api_doc_test.sh SOURCE_DIR
set -eu
src=${1:?usage: api_doc_test.sh SOURCE_DIR}
doc="$src/docs/API.md"
[ -f "$doc" ] || { echo "missing $doc"; exit 1; }
missing=0
total=0
for proto in "$src"/proto/freehold/v1/*.proto; do
  # service NAME { ... rpc Call( ... }: pairs "Service Call", comments skipped.
  pairs=$(sed -e 's://.*$::' "$proto" | awk '
    /^[ \t]*service[ \t]+[A-Za-z0-9_]+/ { for (i = 1; i <= NF; i++) if ($i == "service") svc = $(i + 1); sub(/\{.*/, "", svc) }
    { line = $0
      while (match(line, /rpc[ \t]+[A-Za-z0-9_]+[ \t]*\(/)) {
        call = substr(line, RSTART, RLENGTH); sub(/^rpc[ \t]+/, "", call); sub(/[ \t]*\($/, "", call)
        print svc, call; line = substr(line, RSTART + RLENGTH)
      } }')
  [ -n "$pairs" ] || continue
  while read -r svc call; do
    total=$((total + 1))
    if ! grep -qw -- "$call" "$doc"; then
      echo "docs/API.md does not name $svc.$call ($(basename "$proto"))"
      missing=$((missing + 1))
    elif ! grep "^| \`freehold.v1.$svc\`" "$doc" | grep -qw -- "$call"; then
      echo "docs/API.md: the table's freehold.v1.$svc row does not list $call"
      missing=$((missing + 1))
    fi
  done <<EOP
$pairs
EOP
done
# A parser that finds nothing must not pass.
if [ "$total" -lt 90 ]; then
  echo "found only $total rpc declarations in proto/freehold/v1: the parser is broken"
  exit 1
fi
if [ "$missing" -ne 0 ]; then
  echo "$missing of $total RPCs undocumented"
  exit 1
fi
echo "docs/API.md names all $total RPCs"
