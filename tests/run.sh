#!/usr/bin/env bash
# Runs every test of pg_scribe: the C/C++ files' formatting
# (scripts/check-format.sh), the core's unit tests (ctest), then builds and
# installs the server libraries, runs the pg_regress tests on a throwaway
# instance (make installcheck-temp), the round-trip test, then the end-to-end
# tests, the benchmark's small mode, the reliability scenarios in short mode,
# the pg_regress corpus (tests/fidelity, variant A) and the fuzz targets on
# their committed inputs (fuzz/run.sh --replay).
# Needs write access to PostgreSQL's install directories (run as root, as CI
# does, or with sudo). Clusters run as the postgres OS user when run as root.
#
#   tests/run.sh                 against PG_CONFIG, else Debian's PostgreSQL 15
#   tests/run.sh --pg 18         against PostgreSQL 18: Debian's if installed,
#                                else the build of pg-from-source.sh 18
#   tests/run.sh --pg "15 18"    each in turn (PG_MAJOR="15 18" too)
#   tests/run.sh --suites "regress roundtrip e2e"
#                                only these of: format unit regress roundtrip
#                                e2e bench reliability corpus fuzz (SUITES too;
#                                the build comes with any but format, unit and
#                                fuzz)
set -euo pipefail
cd "$(dirname "$0")/.."
majors=${PG_MAJOR:-}
export SUITES=${SUITES:-format unit regress roundtrip e2e bench reliability corpus fuzz}
while [ $# -gt 0 ]; do
  case "$1" in
    --pg) majors=${2:?usage: tests/run.sh [--pg "MAJOR..."] [--suites "SUITE..."]} ;;
    --suites) SUITES=${2:?usage: tests/run.sh [--pg "MAJOR..."] [--suites "SUITE..."]} ;;
    *) echo "usage: tests/run.sh [--pg \"MAJOR...\"] [--suites \"SUITE...\"]" >&2; exit 2 ;;
  esac
  shift 2
done
wanted() { [[ " $SUITES " == *" $1 "* ]]; }
if [ "$(wc -w <<<"$majors")" -gt 1 ]; then
  for major in $majors; do
    printf '\n==== PostgreSQL %s\n' "$major"
    PG_CONFIG= PG_MAJOR=$major bash "$0" || { echo "PostgreSQL $major: failed"; exit 1; }
  done
  exit 0
fi
if [ -n "$majors" ]; then
  PG_CONFIG=
  for candidate in "/usr/lib/postgresql/$majors/bin/pg_config" "/var/cache/pg-from-source/$majors/bin/pg_config"; do
    if [ -x "$candidate" ]; then PG_CONFIG=$candidate; break; fi
  done
  [ -n "$PG_CONFIG" ] || { echo "no PostgreSQL $majors here: build it with pg-from-source.sh $majors" >&2; exit 1; }
fi
export PG_CONFIG=${PG_CONFIG:-$(command -v /usr/lib/postgresql/15/bin/pg_config || command -v pg_config)}
# The clusters, pg_dump and psql of the same server.
PG_BINDIR=$("$PG_CONFIG" --bindir)
export PG_BINDIR PATH="$PG_BINDIR:$PATH"
pg_major=$("$PG_CONFIG" --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')

step() { printf '\n== %s\n' "$*"; }
# One line at the end that counts the suites (unit, regress, round trip,
# end-to-end), also when one of them stops the run.
suites_passed=0
trap 'echo "test suites: $suites_passed passed, 1 failed"' ERR
die() {
  echo "$*" >&2
  echo "test suites: $suites_passed passed, 1 failed"
  exit 1
}

# First, as it takes seconds: a failure names each file clang-format would
# change (scripts/check-format.sh --fix rewrites them).
if wanted format; then
step "formatting (clang-format, .clang-format)"
bash scripts/check-format.sh || die "C/C++ files not formatted as .clang-format says (scripts/check-format.sh --fix)"
suites_passed=$((suites_passed + 1))
fi

if wanted unit; then
step "unit tests (GoogleTest)"
cmake -S . -B "build/cmake-$pg_major" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPG_CONFIG="$PG_CONFIG" >/dev/null
cmake --build "build/cmake-$pg_major" -j2
(cd "build/cmake-$pg_major" && ctest --output-on-failure)
suites_passed=$((suites_passed + 1))
fi

# (unit and fuzz build the core themselves.)
if wanted regress || wanted roundtrip || wanted e2e || wanted bench || wanted reliability || wanted corpus; then
step "build and install"
# PGXS builds in the source tree: objects compiled against another
# server's headers must go first.
if [ "$(cat build/pg_config.used 2>/dev/null)" != "$PG_CONFIG" ]; then make -s clean PG_CONFIG="$PG_CONFIG" >/dev/null; fi
mkdir -p build
echo "$PG_CONFIG" >build/pg_config.used
make -s -j2 PG_CONFIG="$PG_CONFIG"
# A mangled entry point is silently never found; a missing C++ runtime
# shows only at load time.
# (Whole outputs captured first: grep -q closing the pipe early would make
# the producer fail under pipefail.)
exported=$(nm -D --defined-only wal2sql/wal2sql.so)
grep -q ' _PG_output_plugin_init$' <<<"$exported" ||
  die "wal2sql.so does not export _PG_output_plugin_init with C linkage"
unresolved=$(ldd -r wal2sql/wal2sql.so 2>&1 || true)
if grep -E 'undefined symbol: _Z|__gxx|__cxa' <<<"$unresolved" >&2; then
  die "wal2sql.so has unresolved C++ runtime symbols"
fi
exported=$(nm -D --defined-only scribe/scribe.so)
for symbol in _PG_init scribe_worker_main scribe_fs_backup_main scribe_init scribe_rotate_diff scribe_fs_backup_start scribe_capture_ddl; do
  grep -q " $symbol\$" <<<"$exported" || die "scribe.so does not export $symbol with C linkage"
done
unresolved=$(ldd -r scribe/scribe.so 2>&1 || true)
if grep -E 'undefined symbol: _Z|__gxx|__cxa|ZSTD_|LZ4F_|deflate' <<<"$unresolved" >&2; then
  die "scribe.so has unresolved C++ runtime or compression symbols"
fi
unresolved=$(ldd -r cli/pg_scribe 2>&1 || true)
if grep -E 'undefined symbol|not found' <<<"$unresolved" >&2; then
  die "pg_scribe has unresolved symbols or libraries"
fi
make -s install PG_CONFIG="$PG_CONFIG" >/dev/null
fi

# On an instance pg_regress starts and stops itself (Makefile).
if wanted regress; then
step "pg_regress (make installcheck-temp)"
if ! make -s installcheck-temp PG_CONFIG="$PG_CONFIG"; then
  cat build/regress/regression.diffs >&2 || true
  die "pg_regress failed"
fi
suites_passed=$((suites_passed + 1))
fi

if wanted roundtrip; then
step "round trip: decode, replay under other settings, compare"
bash tests/roundtrip/run.sh
suites_passed=$((suites_passed + 1))
fi

if wanted e2e; then
step "end-to-end tests"
for test in tests/e2e/*.sh; do
  echo "-- $test"
  bash "$test"
done
suites_passed=$((suites_passed + 1))
fi

# The benchmark compares with wal2json: Debian's package, for its 15 only.
if wanted bench && [ ! -f "$("$PG_CONFIG" --pkglibdir)/wal2json.so" ]; then
  step "benchmark: skipped, no wal2json for PostgreSQL $pg_major"
elif wanted bench; then
step "benchmark, small mode (checks that it runs, not its speed)"
bench_out=$(mktemp -d /tmp/pg_scribe_bench.XXXXXX)
if ! OUT=$bench_out bash bench/run.sh --small >"$bench_out/log" 2>&1; then
  tail -30 "$bench_out/log" >&2
  die "bench/run.sh --small failed"
fi
grep -q 'TPS loss with streaming on' "$bench_out/report.md" || die "the benchmark wrote no report"
rm -rf "$bench_out"
suites_passed=$((suites_passed + 1))
fi

if wanted reliability; then
step "reliability scenarios, short mode (tests/reliability, RELIABILITY.md)"
bash tests/reliability/run.sh || die "a reliability scenario failed (logs in build/reliability/logs)"
suites_passed=$((suites_passed + 1))
fi

# Issue 15's workload: PostgreSQL 15's regression scripts, run in a database
# that pg_scribe backs up, restored by both paths and compared with the
# source. Variant A (init before the first script; ~7 min here) in every
# run; CORPUS_VARIANTS="A B" adds B (init half way, a base full of the first
# half's objects; ~7 min more). Skipped, with a message, without ../shared.
if wanted corpus; then
step "fidelity: PostgreSQL's regression suite, backed up and restored (tests/fidelity)"
rm -rf build/corpus
CORPUS_VARIANTS=${CORPUS_VARIANTS:-A} CORPUS_OUT=build/corpus bash tests/fidelity/pg_regress_corpus.sh ||
  die "the restored regression database differs from its source (logs in build/corpus)"
suites_passed=$((suites_passed + 1))
fi

# The committed inputs only, each once: a gate that passes or fails the same
# way on every run. Exploration (fuzz/run.sh SECONDS) is run by hand before
# resolving an issue that touches a fuzzed module; FUZZ_SECONDS=N adds N
# seconds of it per target here.
if wanted fuzz; then
step "fuzzing: every committed input of the libFuzzer targets of fuzz/"
bash fuzz/run.sh --replay || die "a fuzz target failed on a committed input (fuzz/corpus)"
if [ "${FUZZ_SECONDS:-0}" -gt 0 ]; then
  bash fuzz/run.sh "$FUZZ_SECONDS" || die "a fuzz target failed (input in build/fuzz/artifacts)"
fi
suites_passed=$((suites_passed + 1))
fi

step "all tests passed"
echo "test suites: $suites_passed passed, 0 failed"
