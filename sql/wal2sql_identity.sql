-- Rows are found by the replica identity: the key for DEFAULT and USING
-- INDEX; every column for FULL, changing exactly one of identical rows.
\pset format unaligned
\pset tuples_only on
SET client_min_messages = warning;
CREATE TABLE pk (id int PRIMARY KEY, v text);
CREATE TABLE pk2 (a int, b text, v text, PRIMARY KEY (a, b));
CREATE TABLE ui (a int NOT NULL, b int NOT NULL, v text);
CREATE UNIQUE INDEX ui_ab ON ui (a, b);
ALTER TABLE ui REPLICA IDENTITY USING INDEX ui_ab;
CREATE TABLE full_t (a int, b text, j json, p point);
ALTER TABLE full_t REPLICA IDENTITY FULL;
CREATE TABLE nothing_t (a int PRIMARY KEY, v text);
ALTER TABLE nothing_t REPLICA IDENTITY NOTHING;
CREATE TABLE nokey (a int, v text);
-- A parent and its inheritance child may hold the same key: ONLY.
CREATE TABLE par (id int PRIMARY KEY, v text);
CREATE TABLE chi () INHERITS (par);
-- Key and FULL columns whose type name alone would mean length 1.
CREATE TABLE chars (k char(3)[] PRIMARY KEY, b bit(3), v int);
CREATE TABLE chars_full (c char(3), b bit(3), cb char(3)[]);
ALTER TABLE chars_full REPLICA IDENTITY FULL;
-- Equal by "=" but not identical: the identical row must be the one changed.
CREATE TABLE full_coarse (f float8, n numeric, i interval, k int);
ALTER TABLE full_coarse REPLICA IDENTITY FULL;
INSERT INTO pk VALUES (1, 'a'), (2, 'b');
INSERT INTO pk2 VALUES (1, 'x', 'a');
INSERT INTO ui VALUES (1, 2, 'a');
INSERT INTO full_t VALUES (1, 'dup', '{"k": 1}', '(1,2)'), (1, 'dup', '{"k": 1}', '(1,2)'), (NULL, NULL, NULL, NULL);
INSERT INTO nothing_t VALUES (1, 'a');
INSERT INTO nokey VALUES (1, 'a');
INSERT INTO par VALUES (1, 'parent');
INSERT INTO chi VALUES (1, 'child');
INSERT INTO chars VALUES ('{abc}', '101', 1);
INSERT INTO chars_full VALUES ('abc', '101', '{abc,def}');
INSERT INTO full_coarse VALUES ('0', 1.0, '1 day', 1), ('-0', 1.00, '24 hours', 1);
SELECT 'init' FROM pg_create_logical_replication_slot('regress_identity', 'wal2sql');

-- DEFAULT: key unchanged (key from the new row), key changed (old key logged).
UPDATE pk SET v = 'a2' WHERE id = 1;
UPDATE pk SET id = 10 WHERE id = 2;
DELETE FROM pk WHERE id = 1;
UPDATE pk2 SET b = 'y', v = 'b' WHERE a = 1;
DELETE FROM pk2;
-- USING INDEX
UPDATE ui SET v = 'b';
UPDATE ui SET b = 3;
DELETE FROM ui;
-- FULL: only the changed columns are set; one of two identical rows.
UPDATE full_t SET b = 'one' WHERE ctid = (SELECT min(ctid) FROM full_t WHERE a = 1);
UPDATE full_t SET a = 2 WHERE a IS NULL;
DELETE FROM full_t WHERE b = 'dup';
-- A no-op update writes nothing.
UPDATE full_t SET b = b WHERE b = 'one';
DELETE FROM full_coarse WHERE f::text = '-0';
DELETE FROM ONLY par WHERE id = 1;
UPDATE chars SET v = 2;
UPDATE chars_full SET c = 'xyz';
-- NOTHING, and DEFAULT without a primary key: replay must stop loudly.
UPDATE nothing_t SET v = 'b';
DELETE FROM nokey;
SELECT data FROM pg_logical_slot_get_changes('regress_identity', NULL, NULL,
  'include_settings', '0', 'include_header', '0');

SELECT 'stop' FROM pg_drop_replication_slot('regress_identity');
DROP TABLE pk, pk2, ui, full_t, nothing_t, nokey, full_coarse, par, chi, chars, chars_full;
