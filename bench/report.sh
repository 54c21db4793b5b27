#!/usr/bin/env bash
# Turns bench/run.sh's results.tsv into report.md (medians, ratios to the
# reference of the same run) and chart.png (gnuplot).
#   report.sh RESULTS OUT CHANGES N NU NUU PGBENCH_SCALE CLIENTS SECONDS RUNS
set -euo pipefail
results=$1 out=$2 changes=$3 n=$4 nu=$5 nuu=$6 pgb_scale=$7 clients=$8 seconds=$9 runs=${10}

median() { # METRIC TOOL
  awk -F'\t' -v m="$1" -v t="$2" '$2 == m && $3 == t {print $4}' "$results" | sort -g |
    awk '{v[NR] = $1} END {if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}
fmt() { printf "%'.${2:-0}f" "$1" 2>/dev/null || echo "$1"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b + 0 == 0 || a == "nan" || b == "nan") print "n/a"; else printf "%.2f×", a / b}'; }

cap_scribe=$(median capture_changes_per_s scribe)
cap_w2j=$(median capture_changes_per_s w2j)
cap_td=$(median capture_changes_per_s td)
cap_sql=$(median capture_changes_per_s sql)
res_scribe=$(median restore_changes_per_s scribe)
res_psql=$(median restore_changes_per_s psql)
base_scribe=$(median base_restore_seconds scribe)
base_psql=$(median base_restore_seconds psql)
jobs=${JOBS:-2}
base_scribe_j=$(median base_restore_seconds "scribe_j$jobs")
base_pg_restore=$(median base_restore_seconds "pg_restore_j$jobs")
tps_on=$(median pgbench_tps streaming_on)
tps_off=$(median pgbench_tps streaming_off)
overhead=$(awk -v on="$tps_on" -v off="$tps_off" 'BEGIN {printf "%.1f", (off - on) / off * 100}')
lag50=$(median lag_seconds_p50 scribe)
lag99=$(median lag_seconds_p99 scribe)
lagn=$(median lag_samples scribe)
rss=$(median worker_peak_rss_mb scribe)
bpc=$(median sql_bytes_per_change scribe)
# bench/diff_apply.sh's figures (run by run.sh into the same directory).
diff_tsv=$out/diff-apply.tsv
dmedian() { # WORKLOAD TOOL: seconds
  [ -f "$diff_tsv" ] || { echo nan; return; }
  awk -F'\t' -v w="$1" -v t="$2" '$2 == w && $3 == t {print $4}' "$diff_tsv" | sort -g |
    awk '{v[NR] = $1} END {if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}
dchanges() { [ -f "$diff_tsv" ] && awk -F'\t' -v w="$1" '$2 == w {c = $5} END {print c + 0}' "$diff_tsv" || echo 0; }
per_s() { awk -v c="$1" -v s="$2" 'BEGIN {if (s == "nan" || s + 0 == 0) print "nan"; else printf "%.0f", c / s}'; }
batch_changes=$(dchanges batch)
sub_batch=$(per_s "$batch_changes" "$(dmedian batch subscription)")
scribe_batch=$(per_s "$batch_changes" "$(dmedian batch scribe)")
scribe_j_batch=$(per_s "$batch_changes" "$(dmedian batch "scribe_j$jobs")")
export LC_NUMERIC=en_US.UTF-8 2>/dev/null || true

machine="$(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)"
versions="$(psql -X -At -d postgres -c 'SHOW server_version') ; pg_scribe $(git rev-parse --short HEAD 2>/dev/null || echo '?'); wal2json $(dpkg-query -W -f='${Version}' postgresql-15-wal2json 2>/dev/null || echo '?')"

{
  echo "# pg_scribe benchmark results"
  echo
  echo "- Machine: $machine"
  echo "- Versions: $versions"
  echo "- Workload: t($n rows inserted in 1,000-row transactions, all updated in 10,000-row transactions, half deleted), u REPLICA IDENTITY FULL without index ($nu rows inserted, $nuu updated): **$changes decoded changes**; $runs alternated run(s), medians."
  echo "- Command: \`sudo bash bench/run.sh\` (SCALE, RUNS, PGBENCH_* to change the size)"
  echo
  echo "## Capture: workload committed → all of it in the tool's output"
  echo
  echo "| tool | changes/s | ratio to pg_recvlogical + wal2json | ratio to SQL-API test_decoding count |"
  echo "|---|---:|---:|---:|"
  echo "| pg_scribe worker (durable: fdatasync before the slot moves) | $(fmt "$cap_scribe") | $(ratio "$cap_scribe" "$cap_w2j") | $(ratio "$cap_scribe" "$cap_sql") |"
  echo "| pg_recvlogical + wal2json (v1, default format) to a file | $(fmt "$cap_w2j") | 1.00× | $(ratio "$cap_w2j" "$cap_sql") |"
  echo "| pg_recvlogical + test_decoding to a file | $(fmt "$cap_td") | $(ratio "$cap_td" "$cap_w2j") | $(ratio "$cap_td" "$cap_sql") |"
  echo "| SQL API: count(*) of pg_logical_slot_peek_changes, test_decoding | $(fmt "$cap_sql") | $(ratio "$cap_sql" "$cap_w2j") | 1.00× |"
  echo
  echo "Worker peak resident memory during capture: $(fmt "$rss" 1) MB."
  echo
  echo "## Restore"
  echo
  echo "| what | pg_scribe --restore | psql -v ON_ERROR_STOP=1 -f | ratio |"
  echo "|---|---:|---:|---:|"
  echo "| diffs (changes/s) | $(fmt "$res_scribe") | $(fmt "$res_psql") | $(ratio "$res_scribe" "$res_psql") |"
  echo "| base of the final data (seconds, lower is better) | $(fmt "$base_scribe" 2) | $(fmt "$base_psql" 2) | $(ratio "$base_psql" "$base_scribe") |"
  echo
  echo "Base of the final data, seconds (lower is better), alternated in each run:"
  echo
  echo "| tool | seconds | pg_scribe --restore -j $jobs is |"
  echo "|---|---:|---:|"
  echo "| pg_scribe --restore -j $jobs | $(fmt "$base_scribe_j" 2) | |"
  echo "| pg_restore -j $jobs (pg_dump -Fd) | $(fmt "$base_pg_restore" 2) | $(ratio "$base_pg_restore" "$base_scribe_j") |"
  echo "| psql -f base.sql | $(fmt "$base_psql" 2) | $(ratio "$base_psql" "$base_scribe_j") |"
  echo "| pg_scribe --restore (-j 1) | $(fmt "$base_scribe" 2) | $(ratio "$base_scribe" "$base_scribe_j") |"
  echo
  if [ -f "$diff_tsv" ]; then
    echo "## Replay against PostgreSQL's own apply (bench/diff_apply.sh)"
    echo
    echo "The same WAL applied by a subscription catching up from a slot, by \`pg_scribe --restore\` (its diff phase; with and without \`--jobs $jobs\`) and by \`psql -f\` (first run). Seconds, lower is better."
    echo
    echo "| workload | changes | subscription | pg_scribe | pg_scribe -j $jobs | psql -f | pg_scribe / subscription | pg_scribe -j $jobs / subscription | pg_scribe / psql -f |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    for w in batch oltp; do
      c=$(dchanges "$w")
      [ "$c" != 0 ] || continue
      sub=$(dmedian "$w" subscription) sc=$(dmedian "$w" scribe) scj=$(dmedian "$w" "scribe_j$jobs") ps=$(dmedian "$w" psql)
      echo "| $w | $(fmt "$c") | $(fmt "$sub" 2) | $(fmt "$sc" 2) | $(fmt "$scj" 2) | $(fmt "$ps" 2) | $(ratio "$sub" "$sc") | $(ratio "$sub" "$scj") | $(ratio "$ps" "$sc") |"
    done
    echo
  fi
  echo "## Source overhead and lag (pgbench -c $clients -j 2 -T $seconds, scale $pgb_scale)"
  echo
  echo "| streaming | TPS |"
  echo "|---|---:|"
  echo "| off | $(fmt "$tps_off" 1) |"
  echo "| on | $(fmt "$tps_on" 1) |"
  echo
  echo "TPS loss with streaming on: **$overhead %**. Lag from commit to durable in active.sql under pgbench: median $(fmt "$lag50" 3) s, p99 $(fmt "$lag99" 3) s ($lagn samples)."
  echo
  echo "## Size"
  echo
  echo "| form | bytes per change | compression speed |"
  echo "|---|---:|---:|"
  echo "| plain SQL | $(fmt "$bpc" 1) | |"
  for m in gzip lz4 zstd; do
    echo "| $m | $(fmt "$(median compressed_bytes_per_change $m)" 1) | $(fmt "$(median compress_mb_per_s $m)" 0) MB/s |"
  done
  echo
  echo "![capture and restore throughput](chart.png)"
} >"$out/report.md"

# Chart: capture and restore throughput per tool.
cat >"$out/chart.dat" <<DAT
"pg_scribe\\ncapture" $cap_scribe
"recvlogical\\n+ wal2json" $cap_w2j
"recvlogical\\n+ test_decoding" $cap_td
"SQL API\\ntest_decoding" $cap_sql
"pg_scribe\\n--restore" $res_scribe
"psql -f\\nrestore" $res_psql
DAT
if [ -f "$diff_tsv" ]; then
  cat >>"$out/chart.dat" <<DAT
"subscription\\napply (batch)" $sub_batch
"pg_scribe diffs\\n(batch)" $scribe_batch
"pg_scribe -j $jobs\\ndiffs (batch)" $scribe_j_batch
DAT
fi
if command -v gnuplot >/dev/null; then
  gnuplot <<GP
set terminal pngcairo size 1100,520 noenhanced font ",10"
set output "$out/chart.png"
set title "Changes per second ($changes changes, median of $runs run(s))"
set style data histograms
set style fill solid 0.8 border -1
set boxwidth 0.7
set bmargin 8
# Nine two-line labels: slanted, so that they do not run into each other.
set xtics rotate by -30 left
set ylabel "changes/s"
set grid ytics
unset key
set yrange [0:*]
plot "$out/chart.dat" using 2:xtic(1) linecolor rgb "#3572A5"
GP
fi
cat "$out/report.md"
