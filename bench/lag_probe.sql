-- Lag probe: commits a row, then polls until the scribe worker has made
-- that commit durable in active.sql (scribe.status_rows().written_lsn),
-- and records the delay. Runs alongside pgbench.
CREATE TABLE IF NOT EXISTS bench_probe (i int, at timestamptz);
CREATE TABLE IF NOT EXISTS bench_lag (seconds double precision);
ALTER TABLE bench_probe REPLICA IDENTITY FULL;
ALTER TABLE bench_lag REPLICA IDENTITY FULL;
CREATE OR REPLACE PROCEDURE bench_lag_probe(samples int, pause double precision) LANGUAGE plpgsql AS $$
DECLARE
  t0 timestamptz;
  target pg_lsn;
  written pg_lsn;
BEGIN
  FOR i IN 1 .. samples LOOP
    t0 := clock_timestamp();
    INSERT INTO bench_probe VALUES (i, t0);
    COMMIT;
    target := pg_current_wal_lsn();
    LOOP
      SELECT written_lsn INTO written FROM scribe.status_rows() WHERE database = current_database();
      EXIT WHEN written >= target;
      PERFORM pg_sleep(0.005);
    END LOOP;
    INSERT INTO bench_lag VALUES (extract(epoch FROM clock_timestamp() - t0));
    COMMIT;
    PERFORM pg_sleep(pause);
  END LOOP;
END $$;
