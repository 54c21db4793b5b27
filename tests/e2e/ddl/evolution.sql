-- A schema's life: DDL of every kind the capture must replay, mixed with
-- DML, some in multi-statement strings, some from functions, procedures
-- and DO blocks, some under another role or search_path.
\set ON_ERROR_STOP 1
CREATE SCHEMA app;
CREATE TABLE app.customers (id int PRIMARY KEY, name text NOT NULL, email text UNIQUE);
INSERT INTO app.customers VALUES (1, 'Alice', 'alice@example.com'), (2, 'Bob', NULL);
CREATE TYPE app.status AS ENUM ('new', 'paid');
ALTER TYPE app.status ADD VALUE 'shipped';
CREATE DOMAIN app.money_amount AS numeric(12,2) CHECK (VALUE >= 0);
CREATE SEQUENCE app.order_no START 1000;
CREATE TABLE app.orders (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  no int DEFAULT nextval('app.order_no'),
  customer int REFERENCES app.customers ON DELETE CASCADE,
  total app.money_amount,
  status app.status DEFAULT 'new');
ALTER SEQUENCE app.order_no OWNED BY app.orders.no;
INSERT INTO app.orders (customer, total) VALUES (1, 10), (2, 20), (1, 30);
CREATE INDEX orders_customer ON app.orders (customer);
COMMENT ON TABLE app.orders IS 'orders, with ''quotes''';
COMMENT ON COLUMN app.orders.total IS 'in euros';
ALTER TABLE app.orders ADD COLUMN note text;
ALTER TABLE app.orders ALTER COLUMN note SET DEFAULT 'none';
UPDATE app.orders SET note = 'first' WHERE id = 1;
ALTER TABLE app.orders ADD CONSTRAINT total_small CHECK (total < 1000000);
ALTER TABLE app.customers ADD COLUMN since date DEFAULT '2026-01-01';
ALTER TABLE app.customers ALTER COLUMN name TYPE varchar(100);
ALTER TABLE app.customers RENAME COLUMN email TO mail;
CREATE VIEW app.big_orders AS SELECT id, total FROM app.orders WHERE total > 15;
CREATE OR REPLACE VIEW app.big_orders AS SELECT id, total, status FROM app.orders WHERE total > 15;
CREATE FUNCTION app.order_count(c int) RETURNS bigint LANGUAGE sql STABLE AS $$ SELECT count(*) FROM app.orders WHERE customer = c $$;
CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.note := coalesce(NEW.note, 'touched'); RETURN NEW; END $$;
CREATE TRIGGER orders_touch BEFORE INSERT ON app.orders FOR EACH ROW EXECUTE FUNCTION app.touch();
INSERT INTO app.orders (customer, total, note) VALUES (2, 5, NULL);
CREATE ROLE ddl_app_owner;
GRANT USAGE, CREATE ON SCHEMA app TO ddl_app_owner;
GRANT SELECT, INSERT ON app.orders TO ddl_app_owner;
REVOKE INSERT ON app.orders FROM ddl_app_owner;
ALTER TABLE app.customers ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_rows ON app.customers USING (id > 0);
-- Multi-statement strings: each DDL once, the DML decoded.
SELECT 1 \; CREATE TABLE app.audit (at timestamptz DEFAULT now(), what text) \; INSERT INTO app.audit (what) VALUES ('created') \; CREATE INDEX audit_at ON app.audit (at);
CREATE TABLE app.tags (t text PRIMARY KEY) \; INSERT INTO app.tags VALUES ('a'), ('b') \; ALTER TABLE app.tags ADD COLUMN weight int DEFAULT 1;
-- From a function, a procedure and a DO block.
CREATE FUNCTION app.make_partition(y int) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('CREATE TABLE app.%I PARTITION OF app.events FOR VALUES FROM (%L) TO (%L)',
                 'events_' || y, make_date(y, 1, 1), make_date(y + 1, 1, 1));
END $$;
CREATE TABLE app.events (at date NOT NULL, kind text, payload jsonb) PARTITION BY RANGE (at);
SELECT app.make_partition(2025);
SELECT app.make_partition(2026);
INSERT INTO app.events VALUES ('2025-06-01', 'signup', '{"a": 1}'), ('2026-02-01', 'order', '{"b": [1, 2]}');
CREATE PROCEDURE app.archive() LANGUAGE plpgsql AS $$
BEGIN
  CREATE TABLE IF NOT EXISTS app.archive (LIKE app.audit INCLUDING ALL);
  INSERT INTO app.archive SELECT * FROM app.audit;
END $$;
CALL app.archive();
DO $$ BEGIN EXECUTE 'ALTER TABLE app.tags ADD COLUMN color text'; END $$;
UPDATE app.tags SET color = 'red' WHERE t = 'a';
-- Another role and another search_path.
SET ROLE ddl_app_owner;
SET search_path = app;
CREATE TABLE owned (id int PRIMARY KEY, ref int);
INSERT INTO owned VALUES (1, 1);
RESET search_path;
RESET ROLE;
ALTER TABLE app.owned OWNER TO postgres;
ALTER TABLE app.owned OWNER TO ddl_app_owner;
-- Rows also decoded: CREATE TABLE AS, SELECT INTO, materialized views.
CREATE TABLE app.snapshot AS SELECT id, total, random() AS r FROM app.orders;
SELECT id, name INTO app.customer_copy FROM app.customers;
CREATE MATERIALIZED VIEW app.totals AS SELECT customer, sum(total) AS s FROM app.orders GROUP BY customer;
INSERT INTO app.orders (customer, total) VALUES (2, 99);
REFRESH MATERIALIZED VIEW app.totals;
-- Rewrites.
ALTER TABLE app.snapshot ALTER COLUMN total TYPE numeric(14,4);
VACUUM FULL app.orders;
ALTER TABLE app.orders CLUSTER ON orders_pkey;
CLUSTER app.orders;
-- Rolled back: nothing.
BEGIN; CREATE TABLE app.never (id int); ROLLBACK;
BEGIN; CREATE TABLE app.kept (id int); SAVEPOINT s; DROP TABLE app.customers CASCADE; ROLLBACK TO s; COMMIT;
-- Not in a transaction block.
CREATE INDEX CONCURRENTLY tags_weight ON app.tags (weight);
DROP INDEX CONCURRENTLY app.tags_weight;
-- Renames, moves, drops.
ALTER TABLE app.kept RENAME TO kept_renamed;
CREATE SCHEMA other;
ALTER TABLE app.kept_renamed SET SCHEMA other;
ALTER TYPE app.status RENAME VALUE 'paid' TO 'settled';
ALTER FUNCTION app.order_count(int) RENAME TO orders_of;
DROP VIEW app.big_orders;
DROP TABLE app.archive;
ALTER TABLE app.orders DROP COLUMN note CASCADE;
TRUNCATE app.audit;
INSERT INTO app.audit (at, what) VALUES ('2026-11-21 12:00+00', 'after truncate');
CREATE EXTENSION IF NOT EXISTS hstore;
CREATE TABLE app.props (id int PRIMARY KEY, h hstore);
INSERT INTO app.props VALUES (1, 'a=>1, b=>"two"');
DROP SCHEMA other CASCADE;
-- Temporary objects never reach the stream.
CREATE TEMP TABLE scratch (x int);
INSERT INTO scratch VALUES (1);
DROP TABLE scratch;
-- A body that was not checked at the source (check_function_bodies off, as
-- pg_dump sets it) names a table created later; replay must not check it.
SET check_function_bodies = off;
CREATE FUNCTION app.later_count() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM app.created_later';
RESET check_function_bodies;
CREATE TABLE app.created_later (id int PRIMARY KEY);
-- DETACH PARTITION … CONCURRENTLY cannot run in a transaction block.
CREATE TABLE app.ranges (id int PRIMARY KEY) PARTITION BY RANGE (id);
CREATE TABLE app.ranges_low PARTITION OF app.ranges FOR VALUES FROM (0) TO (100);
INSERT INTO app.ranges VALUES (1), (50);
ALTER TABLE app.ranges DETACH PARTITION app.ranges_low CONCURRENTLY;
