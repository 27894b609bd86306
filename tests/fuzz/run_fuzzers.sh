#!/usr/bin/env bash
# Builds the libFuzzer targets for the age header parser/armor decoder and the
# STREAM decryptor with clang++ (-fsanitize=fuzzer,address,undefined) straight
# from the sources in client/core and common/bulk (the main build uses g++),
# then runs each for SECONDS seconds from the seed corpus in tests/fuzz/corpus.
#
#   tests/fuzz/run_fuzzers.sh 10        # quick run (ctest fuzz_short does this)
#   tests/fuzz/run_fuzzers.sh 3600      # a longer run: an hour per target;
#                                       # new inputs go to $FREEHOLD_FUZZ_BUILD_DIR/corpus-*
#                                       # (copy interesting ones into tests/fuzz/corpus/)
#
# Exits non-zero if a build fails or a fuzzer finds a crash (the crash input is
# left in the build dir as crash-*).
set -euo pipefail
SECONDS_PER_TARGET=${1:-10}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${FREEHOLD_FUZZ_BUILD_DIR:-/tmp/freehold-fuzz-build}
CXX=${FREEHOLD_FUZZ_CXX:-clang++}
mkdir -p "$BUILD"

# Only what the age header/armor/STREAM code needs (keeps the build short).
SOURCES=$(ls "$ROOT"/client/core/{age_armor,age_file,age_header,age_recipients,age_stream,byte_io,keys,secret_bytes}.cc \
             "$ROOT"/client/core/internal/{encoding,hkdf}.cc "$ROOT"/common/bulk/aead.cc)
HEADERS=$(ls "$ROOT"/client/core/*.h "$ROOT"/client/core/internal/*.h "$ROOT"/common/bulk/*.h)
LIBS="$(pkg-config --libs absl_statusor absl_strings libsodium libcrypto libisal)"
CFLAGS="-std=c++20 -O1 -g -fno-sanitize-recover=undefined -I$ROOT"

# Objects are compiled once (instrumented, no libFuzzer main) and shared by
# both targets; an object is rebuilt when its source or any header is newer.
compile_objects() {
  mkdir -p "$BUILD/obj"
  local newest_header
  newest_header=$(ls -t $HEADERS | head -1)
  OBJECTS=""
  for src in $SOURCES; do
    local obj="$BUILD/obj/$(echo "${src#$ROOT/}" | tr / _).o"
    OBJECTS="$OBJECTS $obj"
    if [[ -f "$obj" && "$obj" -nt "$src" && "$obj" -nt "$newest_header" ]]; then continue; fi
    echo "run_fuzzers.sh: compiling ${src#$ROOT/}"
    # Two compiles at a time (the machine has 2 cores); a failed compile
    # leaves no object and fails the wait below.
    while [[ $(jobs -rp | wc -l) -ge 2 ]]; do wait -n || exit 1; done
    # shellcheck disable=SC2086
    $CXX $CFLAGS -fsanitize=fuzzer-no-link,address,undefined -c -o "$obj.tmp" "$src" && mv "$obj.tmp" "$obj" &
  done
  while [[ $(jobs -rp | wc -l) -gt 0 ]]; do wait -n || exit 1; done
}

build() {  # build NAME
  local name=$1 bin="$BUILD/$1" src="$ROOT/tests/fuzz/$1.cc"
  local newest
  newest=$(ls -t $OBJECTS "$src" | head -1)
  if [[ -x "$bin" && "$bin" -nt "$newest" ]]; then return 0; fi
  echo "run_fuzzers.sh: building $name"
  # shellcheck disable=SC2086
  $CXX $CFLAGS -fsanitize=fuzzer,address,undefined -o "$bin" "$src" $OBJECTS $LIBS
}

run() {  # run NAME CORPUS_SUBDIR
  local name=$1 seeds="$ROOT/tests/fuzz/corpus/$2" work="$BUILD/corpus-$2"
  mkdir -p "$work"
  echo "run_fuzzers.sh: running $name for ${SECONDS_PER_TARGET}s"
  local rc=0
  (cd "$BUILD" && "./$name" -max_total_time="$SECONDS_PER_TARGET" -timeout=20 -rss_limit_mb=4096 \
      -print_final_stats=1 "$work" "$seeds" >"$BUILD/$name.log" 2>&1) || rc=$?
  tail -n 12 "$BUILD/$name.log"
  if [[ $rc -ne 0 ]] || ls "$BUILD"/crash-* "$BUILD"/leak-* "$BUILD"/timeout-* >/dev/null 2>&1; then
    echo "run_fuzzers.sh: $name FAILED (exit $rc); log: $BUILD/$name.log; inputs:"
    ls "$BUILD"/crash-* "$BUILD"/leak-* "$BUILD"/timeout-* 2>/dev/null || true
    exit 1
  fi
}

rm -f "$BUILD"/crash-* "$BUILD"/leak-* "$BUILD"/timeout-*
compile_objects
build age_header_fuzzer
build age_stream_fuzzer
run age_header_fuzzer header
run age_stream_fuzzer stream
echo "run_fuzzers.sh: no failures"
