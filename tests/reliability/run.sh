#!/usr/bin/env bash
# Runs the reliability scenarios of RELIABILITY.md (issue 6), one by one.
#
#   bash tests/reliability/run.sh [--long] [SCENARIO ...]
#
# Without names, every tests/reliability/*.sh. Short mode (the default) is
# what CI runs; --long runs the soak (more cycles, bigger transactions,
# pgbench for 10 minutes). Needs pg_scribe installed (tests/run.sh or
# `make install`) and, as CI, root (clusters run as the postgres OS user).
# Prints one line per scenario with its figures, and writes the same table
# as Markdown to $RELIABILITY_OUT (default build/reliability/results.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
export RELIABILITY_MODE=short
names=()
for arg in "$@"; do
  case "$arg" in
    --long) RELIABILITY_MODE=long ;;
    --short) RELIABILITY_MODE=short ;;
    -h | --help)
      sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    -*)
      echo "unknown option $arg" >&2
      exit 2
      ;;
    *) names+=("${arg%.sh}") ;;
  esac
done
if [ ${#names[@]} = 0 ]; then
  for f in tests/reliability/*.sh; do
    [ "$(basename "$f")" = run.sh ] || names+=("$(basename "$f" .sh)")
  done
fi
out=${RELIABILITY_OUT:-build/reliability/results.md}
mkdir -p "$(dirname "$out")" build/reliability/logs
{
  echo "| scenario | result | checks | seconds | figures |"
  echo "|---|---|---|---|---|"
} >"$out"
failed=()
for name in "${names[@]}"; do
  script=tests/reliability/$name.sh
  [ -f "$script" ] || { echo "no scenario $name" >&2; exit 2; }
  log=build/reliability/logs/$name.log
  echo "== $name ($RELIABILITY_MODE)"
  start=$(date +%s)
  if bash "$script" 2>&1 | tee "$log"; then result=pass; else result=FAIL; failed+=("$name"); fi
  seconds=$(($(date +%s) - start))
  checks=$(grep -cE '^ok   ' "$log" || true)
  bad=$(grep -cE '^FAIL ' "$log" || true)
  figures=$(grep -E '^figure: ' "$log" | sed 's/^figure: //' | paste -sd ';' | sed 's/;/; /g' || true)
  echo "| $name | $result | $checks ok, $bad failed | $seconds | $figures |" >>"$out"
done
echo
cat "$out"
if [ ${#failed[@]} -gt 0 ]; then
  echo "reliability ($RELIABILITY_MODE): failed: ${failed[*]}" >&2
  exit 1
fi
echo "reliability ($RELIABILITY_MODE): ${#names[@]} scenarios passed"
