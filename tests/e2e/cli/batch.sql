-- One step of the load, :k = 1, 2, ...: every statement is its own
-- transaction (psql -f), inserts in runs (merged by the restore), updates,
-- deletes, FULL-identity changes, and hostile-looking values.
INSERT INTO accounts (owner, balance, tags, meta)
  SELECT 'o' || g || E' \'q\' \\ $$ -- ;' || :k, g * :k, ARRAY['a', :k::text], jsonb_build_object('g', g, 'k', :k)
  FROM generate_series(1, 300) g;
UPDATE accounts SET balance = balance + 1 WHERE id % 7 = :k % 7;
DELETE FROM accounts WHERE id % 11 = :k % 11;
INSERT INTO ledger (account, amount, note) SELECT id, :k, 'step ' || :k FROM accounts WHERE id % 5 = 0;
INSERT INTO tickets (title) SELECT 't' || g FROM generate_series(1, 20) g;
INSERT INTO notes SELECT g, 'body ' || g FROM generate_series(1, 60) g;
UPDATE notes SET body = body || '!' WHERE k % 4 = :k % 4;
DELETE FROM notes WHERE k % 9 = :k % 9;
BEGIN;
INSERT INTO notes VALUES (-:k, 'in a transaction with others');
UPDATE accounts SET meta = coalesce(meta, '{}') || '{"tx": true}' WHERE id = :k;
COMMIT;
