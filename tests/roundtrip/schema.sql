-- Round-trip test, part 1: schema and initial data of the source database.
-- Run on "src" before the copy "dst" is made with createdb -T, so both
-- databases start identical. Every table here must be changed by
-- workload.sql (run.sh checks that).
\set ON_ERROR_STOP 1
SET client_min_messages = warning;

CREATE EXTENSION hstore;
CREATE EXTENSION citext;

CREATE SCHEMA "My Schema";

-- User-defined types, with hostile names and values.
CREATE TYPE "My Schema"."mood ""enum""" AS ENUM ('sad', 'it''s ok', 'with space', 'ünï 表', 'back\slash');
CREATE TYPE "My Schema".comp AS (i int, t text, f float8, ts timestamptz, a int[], pt point);
CREATE DOMAIN "My Schema".posint AS int CHECK (VALUE > 0);
CREATE DOMAIN "My Schema"."short text" AS varchar(40) CHECK (VALUE <> 'forbidden');
CREATE TYPE "My Schema".floatrange AS RANGE (subtype = float8);

-- Every built-in type (and extension, user-defined and array types),
-- replica identity DEFAULT through the primary key.
CREATE TABLE public.all_types (
  id int PRIMARY KEY,
  c_int2 int2, c_int4 int4, c_int8 int8,
  c_num numeric, c_num_typ numeric(30, 10),
  c_f4 float4, c_f8 float8,
  c_bool bool,
  c_text text, c_vc varchar(50), c_ch char(10), c_qchar "char", c_name name,
  c_bytea bytea, c_bit bit(8), c_vbit varbit,
  c_date date, c_time time, c_timetz timetz, c_ts timestamp, c_tstz timestamptz(3), c_iv interval,
  c_uuid uuid, c_json json, c_jsonb jsonb, c_xml xml,
  c_ai int[], c_at text[], c_af float8[], c_ats timestamptz[], c_apoint point[], c_ajsonb jsonb[],
  c_comp "My Schema".comp, c_acomp "My Schema".comp[],
  c_enum "My Schema"."mood ""enum""", c_aenum "My Schema"."mood ""enum"""[],
  c_dom "My Schema".posint, c_adom "My Schema".posint[], c_sdom "My Schema"."short text",
  c_i4r int4range, c_i8r int8range, c_tsr tsrange, c_tstzr tstzrange, c_nr numrange, c_dr daterange,
  c_i4mr int4multirange, c_dmr datemultirange, c_nmr nummultirange, c_frange "My Schema".floatrange,
  c_inet inet, c_cidr cidr, c_mac macaddr, c_mac8 macaddr8,
  c_money money,
  c_tsv tsvector, c_tsq tsquery,
  c_point point, c_line line, c_lseg lseg, c_box box, c_path path, c_poly polygon, c_circle circle,
  c_oid oid, c_lsn pg_lsn, c_xid8 xid8,
  c_hstore hstore, c_citext citext
);

-- The same columns, no index at all, REPLICA IDENTITY FULL: every UPDATE and
-- DELETE names its row by every column's value, so each type's literal must
-- also compare equal to the stored value.
CREATE TABLE public.all_types_full (LIKE public.all_types);
ALTER TABLE public.all_types_full REPLICA IDENTITY FULL;

-- REPLICA IDENTITY FULL, no index, identical duplicate rows and NULLs.
CREATE TABLE "My Schema"."tab""quote" (
  k int, t text, j json, p point, f float8, n numeric, arr int[], h hstore, ci citext,
  bx box, x xml, jb jsonb, comp "My Schema".comp, big_j json
);
ALTER TABLE "My Schema"."tab""quote" REPLICA IDENTITY FULL;

-- Composite primary key with hostile column names.
CREATE TABLE "My Schema"."Composite ""PK""" (
  "Region" text, "n;--" int8, "from" date, payload text, "ü" float8,
  PRIMARY KEY ("Region", "n;--", "from")
);

-- Text primary key, reserved-word names.
CREATE TABLE public."select" ("user" text PRIMARY KEY, "from" int, "column" text);

-- REPLICA IDENTITY USING INDEX (not the primary key).
CREATE TABLE "My Schema"."with space; -- dash" (
  id int PRIMARY KEY, a int NOT NULL, "b.b" text NOT NULL, c text, d float8
);
CREATE UNIQUE INDEX "identity idx" ON "My Schema"."with space; -- dash" ("b.b", a);
ALTER TABLE "My Schema"."with space; -- dash" REPLICA IDENTITY USING INDEX "identity idx";

-- GENERATED ALWAYS identity primary key.
CREATE TABLE public."user" (
  id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text, "group" int
);

-- Stored generated columns (never assigned by the replay).
CREATE TABLE public."ünïcødé 表" (
  id int PRIMARY KEY, "ä" numeric, "double ä" numeric GENERATED ALWAYS AS ("ä" * 2) STORED,
  label text, up text GENERATED ALWAYS AS (upper(label)) STORED
);

-- Partitioned table: list, with a range-subpartitioned partition and a default.
CREATE TABLE public.part (region text NOT NULL, id int NOT NULL, v text, PRIMARY KEY (region, id))
  PARTITION BY LIST (region);
CREATE TABLE public.part_eu PARTITION OF public.part FOR VALUES IN ('eu');
CREATE TABLE public."part us" PARTITION OF public.part FOR VALUES IN ('us') PARTITION BY RANGE (id);
CREATE TABLE public.part_us_lo PARTITION OF public."part us" FOR VALUES FROM (MINVALUE) TO (1000);
CREATE TABLE public.part_us_hi PARTITION OF public."part us" FOR VALUES FROM (1000) TO (MAXVALUE);
CREATE TABLE public.part_def PARTITION OF public.part DEFAULT;

-- Large out-of-line (TOASTed) values, incompressible: md5 chains.
CREATE TABLE public.toasty (id int PRIMARY KEY, note text, n int, big_t text, big_b bytea, big_j jsonb);
ALTER TABLE public.toasty ALTER COLUMN big_t SET STORAGE EXTERNAL;
CREATE TABLE public.toasty_full (note text, big_t text, big_b bytea);
ALTER TABLE public.toasty_full REPLICA IDENTITY FULL;

-- A newline in the table and column names; an injection attempt as a column name.
CREATE TABLE public."new
line" ("col
x" int PRIMARY KEY, "v;--" text, "x"" = 1; DROP TABLE t; --" text, "back\slash" int);

-- The longest identifier (63 bytes).
CREATE TABLE public.a_table_name_of_exactly_sixty_three_bytes_which_is_the_maximum_ (
  a_column_name_of_exactly_sixty_three_bytes_which_is_the_maximum int PRIMARY KEY, v text
);

-- TRUNCATE ... RESTART IDENTITY CASCADE targets, with an FK child.
CREATE TABLE public.tr_parent (id int GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, v text);
CREATE TABLE public.tr_child (
  id serial PRIMARY KEY, parent_id int REFERENCES public.tr_parent ON DELETE CASCADE ON UPDATE CASCADE, v text
);
CREATE TABLE public."tr;other" (id bigserial PRIMARY KEY, v text);

-- A trigger on the source: its effects are decoded, so the replay must not fire it again.
CREATE TABLE public.audit_log (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, msg text);
CREATE TABLE public.audited (id int PRIMARY KEY, v text);
CREATE FUNCTION public.audit_fn() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO public.audit_log (msg) VALUES (TG_OP || ' ' || NEW.id || ' ' || coalesce(NEW.v, '<null>'));
  RETURN NEW;
END $$;
CREATE TRIGGER audit AFTER INSERT OR UPDATE ON public.audited FOR EACH ROW EXECUTE FUNCTION public.audit_fn();
-- Rules obey session_replication_role as triggers do.
CREATE RULE audit_rule AS ON UPDATE TO public.audited
  DO ALSO INSERT INTO public.audit_log (msg) VALUES ('rule ' || NEW.id);

-- Without any key: INSERTs only (UPDATE/DELETE cannot be replayed by design).
CREATE TABLE public.nocols ();
CREATE TABLE public.nopk (a int, b text);

-- Dropped column and columns added with defaults after rows exist
-- ("missing" attributes that are not in the stored tuples), FULL identity.
CREATE TABLE public.evolved (id int, a text, dropme int, f float8);
ALTER TABLE public.evolved REPLICA IDENTITY FULL;
INSERT INTO public.evolved VALUES (1, 'one', 1, 1.5), (2, 'two', 2, 2.5), (3, 'three', 3, 'NaN');
ALTER TABLE public.evolved DROP COLUMN dropme;
ALTER TABLE public.evolved ADD COLUMN c int DEFAULT 42, ADD COLUMN d text DEFAULT 'dflt', ADD COLUMN e int;

-- A text primary key stored out of line (TOAST): an UPDATE that keeps the
-- key must still name the row by it.
CREATE TABLE public.toast_key (k text PRIMARY KEY, v int, note text);
ALTER TABLE public.toast_key ALTER COLUMN k SET STORAGE EXTERNAL;

-- Inheritance: UPDATE and TRUNCATE of the parent reach the child.
CREATE TABLE public.inh_parent (id int PRIMARY KEY, v text);
CREATE TABLE public.inh_child (extra text) INHERITS (public.inh_parent);
ALTER TABLE public.inh_child ADD PRIMARY KEY (id);

-- Filled by COPY (multi-insert WAL records).
CREATE TABLE public.copied (id int PRIMARY KEY, t text, b bytea, big text);

-- Changed by DDL during the workload; the DDL travels as scribe.ddl messages.
CREATE TABLE public.ddl_target (id int PRIMARY KEY, n int, v text);

-- REPLICA IDENTITY FULL where "=" is coarser than identity: within each pair
-- (or group) the rows are equal by "=" in every column but not identical
-- (-0 and 0, 1.0 and 1.00, '1 day' and '24:00:00', 'a' and 'A' under citext
-- or a nondeterministic collation); the workload changes exactly one of them.
-- Nondeterministic collations need ICU: a server built without it (as
-- pg-from-source.sh builds) gets a deterministic one, and run.sh says so.
DO $$
BEGIN
  CREATE COLLATION "My Schema".case_insensitive (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
EXCEPTION WHEN feature_not_supported THEN
  CREATE COLLATION "My Schema".case_insensitive FROM "C";
END
$$;
CREATE TABLE public.full_equal (
  pair int, f8 float8, f4 float4, n numeric, iv interval, ci citext,
  cs text COLLATE "My Schema".case_insensitive, jb jsonb, nr numrange, af float8[], note text
);
ALTER TABLE public.full_equal REPLICA IDENTITY FULL;

-- reg* types print names, qualified only when not visible on the search_path.
-- regs is keyed; regs_full finds rows by every column (oid's "=" with a cast literal).
CREATE TEXT SEARCH CONFIGURATION "My Schema".cfg (COPY = pg_catalog.simple);
CREATE TABLE public.regs (
  id int PRIMARY KEY, c regclass, t regtype, p regproc, pp regprocedure, o regoperator, cfg regconfig,
  ns regnamespace, r regrole, ta regtype[]
);
-- A GENERATED ALWAYS identity column outside the key: its old value is not
-- in the WAL, so a change of it (SET id = DEFAULT) is checked on replay.
CREATE TABLE public.identity_nonkey (pk int PRIMARY KEY, id int GENERATED ALWAYS AS IDENTITY, v text);
INSERT INTO public.identity_nonkey (pk, v) VALUES (1, 'a'), (2, 'a');
CREATE TABLE public.regs_full (c regclass, t regtype, p regproc, o regoperator, cfg regconfig);
ALTER TABLE public.regs_full REPLICA IDENTITY FULL;

-- hmac() to sign the DDL messages of the workload.
CREATE EXTENSION pgcrypto;

-- Concurrent, interleaved transactions (through dblink).
CREATE EXTENSION dblink;
CREATE TABLE public.interleave (id int PRIMARY KEY, who text, n int);

---------------------------------------------------------------------------
-- Initial data (copied to dst by createdb -T; the workload then changes it).
---------------------------------------------------------------------------

INSERT INTO public.all_types (id, c_int4, c_text) VALUES (1, 1, 'initial row'), (2, 2, 'initial row 2');
INSERT INTO public.all_types_full (id, c_int4, c_text) VALUES (1, 1, 'initial row'), (1, 1, 'initial row');

INSERT INTO "My Schema"."tab""quote" (k, t, j, p, f, n, arr, h, ci, bx, x, jb, comp, big_j)
SELECT 1, 'dup', '{"a" : [1, 2.50]}', '(1.5,-2)', 0.1, 1.5, '{1,NULL}', 'a=>1, b=>NULL', 'MiXeD',
       '(1,1),(0,0)', '<d a="1">x</d>', '{"z": 1, "a": [true, null]}', ROW(1, 'x', 'NaN', 'infinity', '{1}', '(1,2)')::"My Schema".comp,
       NULL
FROM generate_series(1, 4);  -- four identical rows
INSERT INTO "My Schema"."tab""quote" (k) VALUES (NULL), (NULL), (NULL);  -- three all-NULL rows
INSERT INTO "My Schema"."tab""quote" (k, t, f, n, j, big_j)
VALUES (2, NULL, 'NaN', 'NaN', 'null', (SELECT json_agg(md5(g::text)) FROM generate_series(1, 400) g)),
       (3, '', 'Infinity', '-Infinity', '[]', ('{"big": ' || (SELECT json_agg(g) FROM generate_series(1, 3000) g) || '}')::json);

INSERT INTO "My Schema"."Composite ""PK""" VALUES
  ('eu', 1, '2020-01-01', 'p1', 1.25), ('eu', 1, '2020-01-02', 'p2', -0.5), ('us', -9223372036854775808, '0044-03-15 BC', 'p3', NULL);

INSERT INTO public."select" VALUES ('k1', 1, 'c1'), (E'key\nwith newline', 2, NULL), ('it''s', 3, 'back\slash'), ('🙂', 4, '');

INSERT INTO "My Schema"."with space; -- dash" VALUES (1, 1, 'one', 'c', 1.5), (2, 2, 'two', NULL, NULL), (3, 1, 'two', 'x', 'NaN');

INSERT INTO public."user" (name, "group") VALUES ('alice', 1), ('bob', 2), ('carol', NULL);

INSERT INTO public."ünïcødé 表" (id, "ä", label) VALUES (1, 1.5, 'één'), (2, NULL, NULL);

INSERT INTO public.part VALUES ('eu', 1, 'eu one'), ('eu', 2, 'eu two'), ('us', 5, 'us five'), ('us', 1500, 'us big'), ('zz', 9, 'other');

INSERT INTO public.toasty (id, note, n, big_t, big_b, big_j)
SELECT i, 'note ' || i, i,
       (SELECT string_agg(md5(i::text || '-' || g), '') FROM generate_series(1, 200 * i) g),
       (SELECT decode(string_agg(md5('b' || i || '-' || g), ''), 'hex') FROM generate_series(1, 600 + 100 * i) g),
       (SELECT jsonb_agg(md5('j' || i || '-' || g)) FROM generate_series(1, 400) g)
FROM generate_series(1, 5) i;
INSERT INTO public.toasty_full
SELECT 'full ' || i,
       (SELECT string_agg(md5('f' || i || '-' || g), '') FROM generate_series(1, 400) g),
       (SELECT decode(string_agg(md5('fb' || i || '-' || g), ''), 'hex') FROM generate_series(1, 700) g)
FROM generate_series(1, 3) i;

INSERT INTO public."new
line" VALUES (1, 'a', 'b', 1), (2, NULL, E'multi\nline', 2);

INSERT INTO public.a_table_name_of_exactly_sixty_three_bytes_which_is_the_maximum_ VALUES (1, 'long');

INSERT INTO public.tr_parent (v) VALUES ('p1'), ('p2');
INSERT INTO public.tr_child (parent_id, v) VALUES (1, 'c1'), (2, 'c2');
INSERT INTO public."tr;other" (v) VALUES ('o1');

INSERT INTO public.audited VALUES (1, 'before');

INSERT INTO public.nocols DEFAULT VALUES;
INSERT INTO public.nopk VALUES (1, 'x');

INSERT INTO public.interleave VALUES (0, 'init', 0);

INSERT INTO public.toast_key
SELECT (SELECT string_agg(md5(i || '-' || g), '') FROM generate_series(1, 70) g), i, 'key ' || i
FROM generate_series(1, 3) i;

INSERT INTO public.inh_parent VALUES (1, 'parent 1');
INSERT INTO public.inh_child VALUES (2, 'child 2', 'extra 2');

INSERT INTO public.copied VALUES (0, 'before copy', NULL, NULL);

INSERT INTO public.ddl_target VALUES (1, 1, 'one'), (2, 2, 'two'), (3, 3, 'three');

-- Pairs of "="-equal rows. The workload changes the row holding -0, 1.00,
-- 24:00:00, 'A', {"a": 1.00}, [1.00,2) or {-0}: second in some pairs, first
-- in others.
INSERT INTO public.full_equal (pair, f8) VALUES (1, '0'), (1, '-0'), (2, '-0'), (2, '0');
INSERT INTO public.full_equal (pair, f4) VALUES (3, '0'), (3, '-0');
INSERT INTO public.full_equal (pair, n) VALUES (4, 1.00), (4, 1.0), (5, 1.0), (5, 1.00);
INSERT INTO public.full_equal (pair, iv) VALUES (6, '24 hours'), (6, '1 day'), (7, '1 day'), (7, '24 hours');
INSERT INTO public.full_equal (pair, ci) VALUES (8, 'A'), (8, 'a'), (9, 'a'), (9, 'A');
INSERT INTO public.full_equal (pair, cs) VALUES (10, 'A'), (10, 'a'), (11, 'a'), (11, 'A');
INSERT INTO public.full_equal (pair, jb) VALUES (12, '{"a": 1.0}'), (12, '{"a": 1.00}');
INSERT INTO public.full_equal (pair, nr) VALUES (13, '[1.0,2)'), (13, '[1.00,2)');
INSERT INTO public.full_equal (pair, af) VALUES (14, '{0}'), (14, '{-0}');
-- A group in which several columns differ by identity only.
INSERT INTO public.full_equal (pair, f8, n, ci, cs) VALUES
  (15, '0', 1.0, 'a', 'a'), (15, '-0', 1.0, 'a', 'a'), (15, '-0', 1.00, 'A', 'a'), (15, '-0', 1.00, 'A', 'A'), (15, '0', 1.00, 'A', 'A');

INSERT INTO public.regs VALUES
  (1, 'public.all_types', '"My Schema".comp', 'public.audit_fn', 'public.audit_fn()', 'public.->(public.hstore,text)',
   '"My Schema".cfg', '"My Schema"', 'postgres', ARRAY['public.hstore', '"My Schema".floatrange', 'integer']::regtype[]);
