-- add_tables / filter_tables (wal2json syntax), and the scribe schema,
-- which is never emitted.
\pset format unaligned
\pset tuples_only on
SET client_min_messages = warning;
CREATE SCHEMA sales;
CREATE SCHEMA "odd.schema";
CREATE TABLE public.keep (id int);
CREATE TABLE public.secret (id int);
CREATE TABLE sales.orders (id int);
CREATE TABLE sales.audit (id int);
CREATE TABLE "odd.schema"."t,1" (id int);
CREATE SCHEMA scribe;
CREATE TABLE scribe.state (id int);
SELECT 'init' FROM pg_create_logical_replication_slot('regress_filters', 'wal2sql');

BEGIN;
INSERT INTO public.keep VALUES (1);
INSERT INTO public.secret VALUES (2);
INSERT INTO sales.orders VALUES (3);
INSERT INTO sales.audit VALUES (4);
INSERT INTO "odd.schema"."t,1" VALUES (5);
INSERT INTO scribe.state VALUES (6);
COMMIT;
-- A transaction that touches only the scribe schema leaves no trace.
INSERT INTO scribe.state VALUES (7);

-- Everything but scribe.*
SELECT data FROM pg_logical_slot_peek_changes('regress_filters', NULL, NULL,
  'include_settings', '0', 'include_header', '0');
-- Only some tables; scribe.* stays out even when asked for.
SELECT data FROM pg_logical_slot_peek_changes('regress_filters', NULL, NULL,
  'include_settings', '0', 'include_header', '0', 'add_tables', 'public.keep, sales.*, odd\.schema.t\,1, scribe.*');
-- All but some.
SELECT data FROM pg_logical_slot_peek_changes('regress_filters', NULL, NULL,
  'include_settings', '0', 'include_header', '0', 'filter_tables', '*.secret,sales.*');
-- Both: filter_tables wins.
SELECT data FROM pg_logical_slot_get_changes('regress_filters', NULL, NULL,
  'include_settings', '0', 'include_header', '0', 'add_tables', 'sales.*', 'filter_tables', 'sales.audit');

SELECT 'stop' FROM pg_drop_replication_slot('regress_filters');
DROP SCHEMA sales, "odd.schema", scribe CASCADE;
DROP TABLE public.keep, public.secret;
