-- TRUNCATE as executed: several relations, RESTART IDENTITY, CASCADE.
\pset format unaligned
\pset tuples_only on
SET client_min_messages = warning;
CREATE TABLE parent_t (id serial PRIMARY KEY);
CREATE TABLE child_t (id int REFERENCES parent_t);
CREATE TABLE other_t (id int);
CREATE TABLE part_t (id int) PARTITION BY RANGE (id);
CREATE TABLE part_t_1 PARTITION OF part_t FOR VALUES FROM (0) TO (100);
CREATE TABLE inh_parent (id int);
CREATE TABLE inh_child () INHERITS (inh_parent);
SELECT 'init' FROM pg_create_logical_replication_slot('regress_truncate', 'wal2sql');

TRUNCATE other_t;
TRUNCATE parent_t, other_t RESTART IDENTITY CASCADE;
TRUNCATE part_t;
TRUNCATE inh_parent;
TRUNCATE ONLY inh_parent;
SELECT data FROM pg_logical_slot_get_changes('regress_truncate', NULL, NULL,
  'include_settings', '0', 'include_header', '0');

SELECT 'stop' FROM pg_drop_replication_slot('regress_truncate');
DROP TABLE child_t, parent_t, other_t, part_t, inh_parent CASCADE;
