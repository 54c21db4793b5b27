#!/usr/bin/env bash
# Soak: a steady pgbench load while rotations come and go. Injects: pgbench
# (TPC-B like, two clients; its own VACUUM and TRUNCATE of pgbench_history
# first) for 45 s at up to 500 transactions per second in short mode (so
# that psql alone replays it within CI's time), for 10 minutes unthrottled
# at scale 10 in long mode, while a background loop calls rotate_diff every
# 5 s (short) / 30 s (long). pgbench_history has no key: it gets REPLICA
# IDENTITY FULL before scribe.init.
# Checks: every rotation succeeds, the worker never restarts, the sealed
# diffs hold exactly pgbench's transactions (and its TRUNCATE), each once,
# and the oracle (every sealed file verifies, both restores equal the
# source). Figures: pgbench transactions and TPS, rotations, diffs sealed,
# bytes streamed, the largest lag seen.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/reliability.sh  # and cluster.sh, compare.sh, engine.sh

if long_mode; then
  scale=10 seconds=600 every=30 rate=() budget=7200
else
  scale=1 seconds=45 every=5 rate=(-R 500) budget=600
fi

CLUSTER_EXTRA_CONF="log_min_messages = warning"
start_throwaway_cluster soak
# Nothing may hang for ever: past the budget the script is ended (its EXIT
# trap stops the cluster, which ends any client still waiting).
watchdog soak "$budget"
backups=$work/backups
mkdir -p "$backups"
chown postgres: "$backups"

createdb app
timeout 600 pgbench -q -i -s "$scale" app >"$work/pgbench-init.out" 2>&1 || {
  cat "$work/pgbench-init.out" >&2
  exit 1
}
q -d app -c "CREATE EXTENSION scribe" -c "ALTER TABLE pgbench_history REPLICA IDENTITY FULL"
q -d app -c "SELECT * FROM scribe.init('$backups/app')" >/dev/null
wait_streaming app 60
pid=$(worker_pid app)

# The rotation loop: one rotate_diff every $every seconds until the flag
# file goes; each result (or error) and the lag seen before it are logged.
touch "$work/rotating"
(
  n=0
  while [ -e "$work/rotating" ]; do
    sleep "$every"
    [ -e "$work/rotating" ] || break
    n=$((n + 1))
    psql -X -At -d app -c "SELECT coalesce(lag_bytes, 0) FROM scribe.status WHERE database = 'app'" \
      >>"$work/lag.log" 2>/dev/null || true
    if timeout 300 psql -X -q -At -v ON_ERROR_STOP=1 -d app \
      -c "SELECT transactions || ' ' || bytes FROM scribe.rotate_diff()" >>"$work/rotations.log" 2>"$work/rotation.$n.err"; then
      rm -f "$work/rotation.$n.err"
    fi
  done
) &
rotator=$!

echo "-- pgbench -c 2 for ${seconds}s (scale $scale${rate[*]:+, ${rate[*]}}), rotate_diff every ${every}s"
processed=0
if timeout $((seconds + 300)) pgbench -c 2 -T "$seconds" "${rate[@]}" app >"$work/pgbench.out" 2>&1; then
  processed=$(grep -o 'number of transactions actually processed: [0-9]*' "$work/pgbench.out" | grep -o '[0-9]*$')
  tps=$(grep -oE '^tps = [0-9.]+' "$work/pgbench.out" | head -1 | grep -oE '[0-9.]+$')
  figure pgbench_transactions "$processed"
  figure tps "$(printf '%.0f' "$tps")"
  ok "pgbench committed $processed transactions"
else
  fail "pgbench failed:"
  tail -5 "$work/pgbench.out" >&2
fi
rm -f "$work/rotating"
if ! timeout $((every + 330)) tail --pid="$rotator" -f /dev/null; then fail "the rotation loop did not end"; fi

rotations=$(wc -l <"$work/rotations.log" 2>/dev/null || echo 0)
errors=$(find "$work" -maxdepth 1 -name 'rotation.*.err' | wc -l)
figure rotations "$rotations"
if [ "$errors" = 0 ] && [ "$rotations" -ge $((seconds / every / 2)) ]; then
  ok "$rotations rotations during the load, none failed"
else
  fail "$rotations rotations succeeded, $errors failed:"
  cat "$work"/rotation.*.err >&2 2>/dev/null || true
fi
if [ -s "$work/lag.log" ]; then figure max_lag_kb $(($(sort -n "$work/lag.log" | tail -1) / 1024)); fi
if [ "$(worker_pid app)" = "$pid" ]; then ok "the worker never restarted (pid $pid)"; else
  fail "the worker restarted (pid $pid, now '$(worker_pid app)')"
  grep -E 'pg_scribe|ERROR|FATAL' "$(server_log)" | tail -5 >&2
fi

echo "-- oracle"
t0=$(date +%s)
oracle app "$backups/app"
figure oracle_seconds $(($(date +%s) - t0))
read -r diffs txns bytes < <(psql -X -At -F ' ' -d app -c "SELECT count(*), coalesce(sum(transactions), 0), coalesce(sum(bytes), 0)
                                                            FROM scribe.chains() WHERE kind = 'diff'")
figure diffs_sealed "$diffs"
figure mb_streamed $((bytes / 1024 / 1024))
# pgbench's TRUNCATE of pgbench_history is one transaction more; its
# VACUUMs are none; blocks of global objects are not transactions.
txns=$((txns - $(global_blocks "$backups"/app/chain-*/diff-*)))
if [ "$processed" -gt 0 ] && [ "$txns" = $((processed + 1)) ]; then
  ok "the $diffs sealed diffs hold $txns transactions: pgbench's $processed and its TRUNCATE, each once"
else
  fail "the sealed diffs hold $txns transactions; pgbench committed $processed (+1 TRUNCATE)"
fi
finish soak
