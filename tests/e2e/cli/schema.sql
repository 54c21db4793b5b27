-- The source database of the CLI tests: keys of several kinds, sequences
-- fed by serial, identity and DEFAULT nextval, and a REPLICA IDENTITY FULL
-- table without any index (restore must not go quadratic on it).
CREATE TABLE accounts (id serial PRIMARY KEY, owner text NOT NULL, balance numeric(12,2) DEFAULT 0,
                       tags text[], meta jsonb);
CREATE TABLE ledger (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, account int, amount numeric,
                     at timestamptz DEFAULT now(), note text);
CREATE SEQUENCE ticket_seq;
CREATE TABLE tickets (no bigint PRIMARY KEY DEFAULT nextval('ticket_seq'), title text);
CREATE TABLE notes (k int, body text);
ALTER TABLE notes REPLICA IDENTITY FULL;
INSERT INTO accounts (owner, balance) SELECT 'seed ' || g, g FROM generate_series(1, 50) g;
