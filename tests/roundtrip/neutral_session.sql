-- The session both databases are read in, so that each prints every value
-- the same exact way (included by checksums.sql and rows.sql).
\set ON_ERROR_STOP 1
\pset format unaligned
\pset tuples_only on
SET client_min_messages = warning;
SET DateStyle = 'ISO, YMD';
SET IntervalStyle = 'postgres';
SET TimeZone = 'UTC';
SET extra_float_digits = 3;
SET bytea_output = 'hex';
SET xmlbinary = 'base64';
SET lc_monetary = 'C';
SET search_path = pg_catalog, pg_temp;
