#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ and either replays the committed
# inputs (deterministic: what CI runs) or explores for SECONDS per target.
#
#   bash fuzz/run.sh --replay    every committed input of every target, once
#   bash fuzz/run.sh [SECONDS]   exploration, default 60 s per target
#
# --replay runs each target on every file of fuzz/corpus/<target>/ (the seed
# corpus and the crash-* regression inputs), each exactly once, with a fixed
# seed and no mutation: it passes or fails the same way on every run, so it
# is the gate (tests/run.sh, CI). Exploration finds new inputs by chance:
# run it for at least 10 minutes per target before resolving an issue that
# touches a fuzzed module, fix what it finds, and commit each failing input
# to fuzz/corpus/<target>/crash-<what> (fuzz/corpus/README.md lists them).
#
# Targets (each states its properties at its top):
#   quote_fuzz         identifier/literal/dollar-quote/value rendering, DDL
#                      message bodies, LSN and timestamp text, read back by an
#                      independent reader of PostgreSQL's lexical rules
#   diff_scan_fuzz     the diff/pg_dump script scanner: same events however
#                      the input is split, resumable after a callback throws,
#                      header/trailer lines read back
#   insert_batch_fuzz  merging of single-row INSERT/DELETE/UPDATE statements
#   manifest_fuzz      JSON reader and manifest parser (manifest.json)
#
# Needs clang++ with libFuzzer and the sanitizer runtimes (Debian bookworm:
# packages clang and libclang-rt-14-dev), the PostgreSQL server headers
# (parser/kwlist.h, from pg_config --includedir-server), zlib, lz4, zstd,
# OpenSSL (libcrypto) and fmt headers. Builds into build/fuzz/ (the core sources
# listed in src/core/sources.txt, compiled with -fsanitize=fuzzer-no-link,address,
# undefined), runs FUZZ_JOBS targets at a time (default: the number of
# CPUs, at most 2), each on a scratch copy of fuzz/corpus/<target>/ so the
# repository is not modified. New inputs stay in build/fuzz/corpus/<target>.
# Exits 1 if any target crashes, reports a sanitizer error or a violated
# property; the input that did it is in build/fuzz/artifacts/. Prints
# executions and executions per second per target.
#
#   FUZZ_TARGETS="quote_fuzz diff_scan_fuzz"   run only these
#   CXX=clang++-14                             compiler (default clang++)
#
# Reproduce a failure: build/fuzz/<target> build/fuzz/artifacts/<file>
set -euo pipefail
cd "$(dirname "$0")/.."
replay=false
if [ "${1:-}" = --replay ]; then
  replay=true
  seconds=0
else
  seconds=${1:-60}
fi
case "$seconds" in '' | *[!0-9]*)
  echo "usage: fuzz/run.sh --replay | fuzz/run.sh [SECONDS]" >&2
  exit 2
  ;;
esac
CXX=${CXX:-clang++}
read -r -a targets <<<"${FUZZ_TARGETS:-quote_fuzz diff_scan_fuzz insert_batch_fuzz manifest_fuzz}"
out=build/fuzz
mkdir -p "$out/obj" "$out/artifacts" "$out/logs"

command -v "$CXX" >/dev/null || {
  echo "fuzz: $CXX not found (Debian: apt-get install clang libclang-rt-14-dev)" >&2
  exit 2
}
pg_include=$(pg_config --includedir-server)
sanitize=("-fsanitize=address,undefined" -fno-sanitize-recover=all -fno-omit-frame-pointer)
cxxflags=(-std=c++17 -g -O1 -Wall -Wextra -Iinclude -I"$pg_include" "${sanitize[@]}")

# The core library's sources, as src/core/sources.txt lists them.
mapfile -t sources < <(sed -e 's/#.*//' src/core/sources.txt | grep -o '^[a-z_0-9]*\.cpp' | sed 's|^|src/core/|')
[ ${#sources[@]} -gt 0 ] || {
  echo "fuzz: no core sources found in src/core/sources.txt" >&2
  exit 2
}

start=$(date +%s)
echo "fuzz: building ${#sources[@]} core sources and ${#targets[@]} targets with $("$CXX" --version | head -1)"
build_one() { # SOURCE OBJECT
  "$CXX" "${cxxflags[@]}" -fsanitize=fuzzer-no-link -c "$1" -o "$2"
}
objs=()
pids=()
jobs_max=$(nproc 2>/dev/null || echo 2)
for src in "${sources[@]}"; do
  obj=$out/obj/$(basename "$src" .cpp).o
  objs+=("$obj")
  if [ ! -e "$obj" ] || [ "$src" -nt "$obj" ] || [ -n "$(find include -newer "$obj" -name '*.hpp' | head -1)" ]; then
    build_one "$src" "$obj" &
    pids+=($!)
    if [ ${#pids[@]} -ge "$jobs_max" ]; then
      wait "${pids[0]}" || exit 1
      pids=("${pids[@]:1}")
    fi
  fi
done
for pid in "${pids[@]}"; do wait "$pid" || exit 1; done
pids=()
rm -f "$out/libscribe_core_fuzz.a"
ar rcs "$out/libscribe_core_fuzz.a" "${objs[@]}"
for t in "${targets[@]}"; do
  [ -f "fuzz/$t.cpp" ] || {
    echo "fuzz: no target fuzz/$t.cpp" >&2
    exit 2
  }
  "$CXX" "${cxxflags[@]}" -fsanitize=fuzzer "fuzz/$t.cpp" "$out/libscribe_core_fuzz.a" -lzstd -llz4 -lz -lcurl -lcrypto -lfmt -o "$out/$t" &
  pids+=($!)
  if [ ${#pids[@]} -ge "$jobs_max" ]; then
    wait "${pids[0]}" || exit 1
    pids=("${pids[@]:1}")
  fi
done
for pid in "${pids[@]}"; do wait "$pid" || exit 1; done
echo "fuzz: built in $(($(date +%s) - start)) s"

# FUZZ_JOBS targets at a time.
parallel=${FUZZ_JOBS:-$((jobs_max < 2 ? jobs_max : 2))}
replay_target() { # TARGET
  local t=$1 inputs=()
  mapfile -t inputs < <(find "fuzz/corpus/$t" -type f ! -name README.md | sort)
  [ ${#inputs[@]} -gt 0 ] || {
    echo "no committed input for $t in fuzz/corpus/$t" >"$out/logs/$t.log"
    return 1
  }
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$out/$t" -seed=1 -timeout=30 -rss_limit_mb=2048 "${inputs[@]}" >"$out/logs/$t.log" 2>&1
}
run_target() { # TARGET
  local t=$1 corpus=$out/corpus/$1 dict=()
  mkdir -p "$corpus"
  if [ -d "fuzz/corpus/$t" ]; then cp -f fuzz/corpus/"$t"/* "$corpus"/ 2>/dev/null || true; fi
  if [ -f "fuzz/$t.dict" ]; then dict=(-dict="fuzz/$t.dict"); fi
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$out/$t" "${dict[@]}" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=2048 -max_len=65536 \
    -print_final_stats=1 -artifact_prefix="$out/artifacts/$t-" "$corpus" >"$out/logs/$t.log" 2>&1
}
status=0
report() { # TARGET EXIT_STATUS
  local t=$1 rc=$2 execs rate
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$out/logs/$t.log" | grep -o '[0-9]*$' | tail -1 || true)
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$out/logs/$t.log" | grep -o '[0-9]*$' | tail -1 || true)
  if [ "$rc" != 0 ] || grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|PROPERTY VIOLATED' "$out/logs/$t.log"; then
    echo "FAIL $t (exit $rc): see $out/logs/$t.log"
    grep -E 'PROPERTY VIOLATED|ERROR:|runtime error:|Test unit written|SUMMARY|^Running: |no committed input' "$out/logs/$t.log" | tail -8 | sed 's/^/     /'
    status=1
  elif $replay; then
    echo "ok   $t: $(grep -c '^Executed ' "$out/logs/$t.log") committed inputs replayed"
  else
    echo "ok   $t: ${execs:-?} executions, ${rate:-?} exec/s, corpus $(find "$out/corpus/$t" -type f | wc -l) inputs"
  fi
}
declare -A target_of=()
wait_one() {
  local pid rc=0
  wait -n -p pid "${!target_of[@]}" || rc=$?
  report "${target_of[$pid]}" "$rc"
  unset "target_of[$pid]"
}
for t in "${targets[@]}"; do
  while [ ${#target_of[@]} -ge "$parallel" ]; do wait_one; done
  if $replay; then replay_target "$t" & else run_target "$t" & fi
  target_of[$!]=$t
done
while [ ${#target_of[@]} -gt 0 ]; do wait_one; done
if $replay; then
  echo "fuzz: ${#targets[@]} targets, committed inputs replayed, $(($(date +%s) - start)) s in all"
else
  echo "fuzz: ${#targets[@]} targets, ${seconds} s each, $(($(date +%s) - start)) s in all"
fi
exit $status
