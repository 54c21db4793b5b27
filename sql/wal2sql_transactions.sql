-- Only committed work appears: rolled-back transactions and rolled-back
-- subtransactions leave nothing; committed subtransactions keep their place.
\pset format unaligned
\pset tuples_only on
SET client_min_messages = warning;
CREATE TABLE tx (id int PRIMARY KEY, v text);
SELECT 'init' FROM pg_create_logical_replication_slot('regress_transactions', 'wal2sql');

BEGIN;
INSERT INTO tx VALUES (1, 'rolled back');
ROLLBACK;
BEGIN;
INSERT INTO tx VALUES (2, 'kept');
SAVEPOINT a;
INSERT INTO tx VALUES (3, 'rolled back to a');
SAVEPOINT b;
INSERT INTO tx VALUES (4, 'rolled back with a');
ROLLBACK TO a;
SAVEPOINT c;
INSERT INTO tx VALUES (5, 'released');
RELEASE c;
UPDATE tx SET v = 'kept, updated' WHERE id = 2;
COMMIT;
-- A failed statement aborts the whole transaction.
BEGIN;
INSERT INTO tx VALUES (6, 'aborted');
INSERT INTO tx VALUES (2, 'duplicate key');
COMMIT;
-- A transaction that only reads leaves nothing.
BEGIN;
SELECT count(*) FROM tx;
COMMIT;
SELECT data FROM pg_logical_slot_get_changes('regress_transactions', NULL, NULL,
  'include_settings', '0', 'include_header', '0');

SELECT 'stop' FROM pg_drop_replication_slot('regress_transactions');
DROP TABLE tx;
