-- The benchmark workload (issue 7), sized by psql variables:
--   :n   rows inserted into t (1,000-row transactions), all updated
--        (10,000-row transactions), half deleted
--   :nu  rows inserted into u (REPLICA IDENTITY FULL, no index)
--   :nuu rows of u updated (one transaction)
-- Decoded changes: n + n + n/2 + nu + nuu.
DROP TABLE IF EXISTS t, u;
CREATE TABLE t (id bigint PRIMARY KEY, a int, b text, c timestamptz, d numeric, e jsonb);
CREATE TABLE u (id bigint, v text);
ALTER TABLE u REPLICA IDENTITY FULL;
CREATE OR REPLACE PROCEDURE bench_load(n bigint, nu bigint, nuu bigint) LANGUAGE plpgsql AS $$
BEGIN
  FOR i IN 0 .. n / 1000 - 1 LOOP
    INSERT INTO t
      SELECT g, g % 1000, 'row ' || g || ' ' || md5(g::text), '2026-01-01 00:00:00+00'::timestamptz + g * interval '1 second',
             g * 1.25, jsonb_build_object('k', g, 'tag', 'x' || (g % 97))
      FROM generate_series(i * 1000 + 1, i * 1000 + 1000) g;
    COMMIT;
  END LOOP;
  FOR i IN 0 .. n / 10000 - 1 LOOP
    UPDATE t SET a = a + 1, d = d + 1 WHERE id > i * 10000 AND id <= (i + 1) * 10000;
    COMMIT;
  END LOOP;
  DELETE FROM t WHERE id % 2 = 0;
  COMMIT;
  INSERT INTO u SELECT g, 'value ' || g FROM generate_series(1, nu) g;
  COMMIT;
  -- One statement on the source, nuu FULL-identity UPDATEs in the stream.
  UPDATE u SET v = v || '!' WHERE id <= nuu;
  COMMIT;
END $$;
