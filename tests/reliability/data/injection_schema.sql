-- Hostile names, the canary and the value generator of
-- tests/reliability/injection.sh, run on the source database before
-- scribe.init (so they are in the base). psql variables: mdir (where an
-- executed meta-command or injected statement would leave a marker file),
-- xml (on: the server has xml support), role (the hostile role's name).
-- The generator's values are written AFTER init by injection_workload.sql:
-- they reach the restore only through the stream.
\set ON_ERROR_STOP 1
SELECT set_config('inj.mdir', :'mdir', false);

-- Dropped or changed by any statement that escapes its quotes.
CREATE TABLE public.canary (id int PRIMARY KEY, v text NOT NULL);
INSERT INTO public.canary SELECT g, md5(g::text) FROM generate_series(1, 100) g;

CREATE SCHEMA inj_gen;
CREATE SEQUENCE inj_gen.keyseq;

-- Types with hostile names, labels and attribute names.
CREATE SCHEMA "Typ ""e"" 's' \ $$";
CREATE TYPE "Typ ""e"" 's' \ $$"."mood ""e"" 'q'" AS ENUM (
  'it''s', 'say "hi"', 'back\slash', '$$', E'new\nline', '''); DROP TABLE canary; --', 'ünï 🐘', 'E''', '\.');
CREATE TYPE "Typ ""e"" 's' \ $$"."comp ;--" AS ("t ""x""" text, "i$$" int, "f" float8, "a\" text[]);
CREATE DOMAIN "Typ ""e"" 's' \ $$"."dom $tag$" AS text CHECK (VALUE <> 'forbidden');

-- The column set of every hostile table (names included): tables are made
-- LIKE it.
CREATE TABLE inj_gen.tmpl (
  "k'); DROP TABLE canary; --" text NOT NULL,
  "Tëxt ""q"" $$" text,
  "vc \gexec" varchar(300),
  "ch;--" char(12),
  "b /* */" bytea,
  "j$tag$" json,
  "JB" jsonb,
  "select" text[],
  "ia" int[],
  "comp" "Typ ""e"" 's' \ $$"."comp ;--",
  "e" "Typ ""e"" 's' \ $$"."mood ""e"" 'q'",
  "d" "Typ ""e"" 's' \ $$"."dom $tag$",
  "n" numeric,
  "f4" real,
  "f8" double precision,
  "iv" interval,
  "tz" timestamptz,
  "dt" date,
  "bv" bit varying,
  "ip" inet,
  "r4" int4range,
  "rz" tstzrange,
  "m" money,
  "u" uuid,
  "big E'" text,
  "bigb \." bytea
);
ALTER TABLE inj_gen.tmpl ALTER COLUMN "big E'" SET STORAGE EXTERNAL, ALTER COLUMN "bigb \." SET STORAGE EXTERNAL;
ALTER TABLE inj_gen.tmpl REPLICA IDENTITY FULL;  -- stays empty
\if :xml
ALTER TABLE inj_gen.tmpl ADD COLUMN "x <!-- ]]>" xml;
\endif
DO $fn$
DECLARE
  m text := current_setting('inj.mdir');
BEGIN
  -- A newline then a meta-command; 63 bytes of two-byte characters; a
  -- name that is a psql variable reference outside quotes.
  EXECUTE format('ALTER TABLE inj_gen.tmpl ADD COLUMN %I text', E'c\n\\! touch ' || m || '/c1');
  EXECUTE format('ALTER TABLE inj_gen.tmpl ADD COLUMN %I text', repeat('ß', 31) || 'z');
  EXECUTE format('ALTER TABLE inj_gen.tmpl ADD COLUMN %I text', ':PORT :''DBNAME''');
END
$fn$;

-- Hostile schemas, each with four tables: by primary key (v), REPLICA
-- IDENTITY FULL without key (f, duplicate rows allowed), by a composite key
-- of bytea, text and numeric (p), by a unique index (u).
CREATE FUNCTION inj_gen.schema_names() RETURNS text[] LANGUAGE sql STABLE AS $fn$
  SELECT ARRAY[
    'Sch "q" ''s'' \ $$ ;--',
    E'\\! touch ' || current_setting('inj.mdir') || '/s1',
    E'nl\n\\! touch ' || current_setting('inj.mdir') || E'/s2\n',
    'select',
    '$tag$ */ /* -- ; E'' 𝕊𝕔𝕙 é' || chr(769) || ' 🐘',
    repeat('ü', 31) || 'x',
    E'UPPER Case\ttab\rcr \\gexec']
$fn$;
CREATE FUNCTION inj_gen.table_names() RETURNS text[] LANGUAGE sql STABLE AS $fn$
  SELECT ARRAY[
    '''); DROP TABLE canary; --',
    '$$; DROP TABLE canary; $$',
    '*/ DROP TABLE canary; /*',
    E'\\copy canary to ''' || current_setting('inj.mdir') || '/t1''',
    E'x\n\\o ' || current_setting('inj.mdir') || '/t2',
    '"Tab" ''q'' user',
    'ÄÖÜ 表 𝔗 $wal2sql$']
$fn$;

DO $fn$
DECLARE
  s text;
  t text;
  i int := 0;
BEGIN
  FOREACH s IN ARRAY inj_gen.schema_names() LOOP
    i := i + 1;
    t := (inj_gen.table_names())[1 + (i - 1) % array_length(inj_gen.table_names(), 1)];
    EXECUTE format('CREATE SCHEMA %I', s);
    EXECUTE format('CREATE TABLE %I.%I (LIKE inj_gen.tmpl INCLUDING ALL, PRIMARY KEY (%I))', s, 'v ' || t,
                   'k''); DROP TABLE canary; --');
    EXECUTE format('CREATE TABLE %I.%I (LIKE inj_gen.tmpl INCLUDING ALL)', s, 'f ' || t);
    EXECUTE format('ALTER TABLE %I.%I REPLICA IDENTITY FULL', s, 'f ' || t);
    EXECUTE format('CREATE TABLE %I.%I (%I bytea, %I text, %I numeric, %I text, %I jsonb, PRIMARY KEY (%3$I, %4$I, %5$I))',
                   s, 'p ' || t, 'kb', E'kt \\.', 'kn', 'p''; --', 'q $$');
    EXECUTE format('CREATE TABLE %I.%I (%I uuid NOT NULL, %I text, %I "Typ ""e"" ''s'' \ $$"."mood ""e"" ''q''")',
                   s, 'u ' || t, 'u"', 'w /*', 'e;');
    EXECUTE format('CREATE UNIQUE INDEX %I ON %I.%I (%I)', 'ui ' || t, s, 'u ' || t, 'u"');
    EXECUTE format('ALTER TABLE %I.%I REPLICA IDENTITY USING INDEX %I', s, 'u ' || t, 'ui ' || t);
  END LOOP;
END
$fn$;

-- The generator. random() after setseed() is deterministic: the workload
-- sets the seed, and the same seed gives the same values.

-- A code point: SQL's special characters, C0 controls (no NUL), ASCII,
-- C1 controls and two-byte forms, combining marks, the rest of the BMP
-- (no surrogates), noncharacters and other odd ones (U+FFFE, U+FFFF,
-- U+10FFFF, BOM, line/paragraph separators, NEL, RLO), astral planes.
CREATE FUNCTION inj_gen.cp() RETURNS int LANGUAGE plpgsql AS $fn$
DECLARE
  r float8 := random();
  c int;
BEGIN
  IF r < 0.22 THEN
    RETURN (ARRAY[39, 39, 34, 92, 92, 36, 59, 45, 47, 42, 10, 13, 9, 58, 40, 41, 46, 32, 69, 101, 33, 64, 123, 125, 91, 93])
           [1 + floor(random() * 26)::int];
  ELSIF r < 0.30 THEN
    RETURN 1 + floor(random() * 31)::int;
  ELSIF r < 0.50 THEN
    RETURN 32 + floor(random() * 96)::int;
  ELSIF r < 0.60 THEN
    RETURN 128 + floor(random() * 1920)::int;
  ELSIF r < 0.68 THEN
    RETURN 768 + floor(random() * 112)::int;
  ELSIF r < 0.80 THEN
    c := 2048 + floor(random() * 63486)::int;
    IF c BETWEEN 55296 AND 57343 THEN c := c + 8192; END IF;
    RETURN c;
  ELSIF r < 0.85 THEN
    RETURN (ARRAY[65534, 65535, 1114111, 1114110, 65279, 8232, 8233, 133, 160, 8203, 8238, 65533])
           [1 + floor(random() * 12)::int];
  ELSE
    RETURN 65536 + floor(random() * 1048576)::int;
  END IF;
END
$fn$;

CREATE FUNCTION inj_gen.rtext(maxlen int) RETURNS text LANGUAGE sql AS $fn$
  SELECT coalesce(string_agg(chr(inj_gen.cp()), ''), '') FROM generate_series(1, floor(random() * (maxlen + 1))::int)
$fn$;

CREATE FUNCTION inj_gen.rbytes(maxlen int) RETURNS bytea LANGUAGE sql AS $fn$
  SELECT decode(coalesce(string_agg(lpad(to_hex(floor(random() * 256)::int), 2, '0'), ''), ''), 'hex')
    FROM generate_series(1, floor(random() * (maxlen + 1))::int)
$fn$;

-- Strings meant to end a quote, a comment or a statement, to be taken for
-- a psql meta-command, a COPY end marker, a header or trailer line of a
-- diff file, or a psql variable.
CREATE FUNCTION inj_gen.payloads() RETURNS text[] LANGUAGE sql STABLE AS $fn$
  SELECT ARRAY[
    '''); DROP TABLE canary; --',
    '$$; DROP TABLE canary; $$',
    '$wal2sql$; DROP TABLE canary; $wal2sql$',
    'x$wal2sql',
    '$tag$''; DROP TABLE canary; --$tag$',
    E'\n\\! touch ' || m || E'/p1\n',
    E'\\! touch ' || m || '/p2',
    E'\n\\gexec\n',
    E'\n\\copy canary to ''' || m || E'/p3''\n',
    E'\n\\o ' || m || E'/p4\nSELECT 1;\n',
    E'\n\\w ' || m || E'/p5\n',
    E'\n\\g ' || m || E'/p6\n',
    E'\n\\c postgres\nDROP TABLE canary;\n',
    E'''); COPY (SELECT 1) TO ''' || m || E'/p7''; --',
    '*/ DROP TABLE canary; /*',
    '/* unterminated',
    E'\\\\',
    E'\\''; DROP TABLE canary; --',
    E'ends with a backslash\\',
    E'\\',
    'E''',
    E'E''\\''',
    E'\n\\.\n',
    E'\\.',
    E'\r\n\\.\r\n',
    E'\t\\N\t\\.',
    E'\n-- scribe xid=1 lsn=0/1 commit=2000-01-01T00:00:00Z\nBEGIN;\nDROP TABLE canary;\nCOMMIT;\n',
    E'\nCOMMIT;\nDROP TABLE canary;\n',
    E'\n-- pg_scribe sealed end_lsn=0/0 transactions=0\n',
    E'\n-- pg_scribe diff chain=19700101T000000Z start_lsn=0/0\n',
    ':PORT :''DBNAME'' :"USER" :{?HOST} a[1:PORT]',
    chr(65534) || chr(65535) || chr(1114111) || chr(65279),
    '\uD800\uDC00 \ud83d U&''\0041''',
    E'\x7f\x01\x1b[31m\x08',
    repeat('''', 17) || repeat('\', 13),
    '"; DROP TABLE canary; --',
    'COPY canary FROM stdin;',
    '${a}$ $1 $ $$$',
    'NULL',
    'BEGIN ATOMIC SELECT begin; END',
    '']
  FROM (SELECT current_setting('inj.mdir') AS m) s
$fn$;

CREATE FUNCTION inj_gen.payload() RETURNS text LANGUAGE sql AS $fn$
  SELECT p[1 + floor(random() * array_length(p, 1))::int] FROM (SELECT inj_gen.payloads() AS p) s
$fn$;

CREATE FUNCTION inj_gen.str(maxlen int) RETURNS text LANGUAGE plpgsql AS $fn$
DECLARE
  r float8 := random();
BEGIN
  IF r < 0.35 THEN RETURN inj_gen.payload(); END IF;
  IF r < 0.50 THEN RETURN inj_gen.payload() || inj_gen.rtext(maxlen / 2) || inj_gen.payload(); END IF;
  RETURN inj_gen.rtext(maxlen);
END
$fn$;

-- Text without what XML 1.0 forbids (controls but tab/newline/CR,
-- U+FFFE, U+FFFF), escaped for element content and attribute values.
CREATE FUNCTION inj_gen.xmltext(s text) RETURNS text LANGUAGE sql AS $fn$
  SELECT replace(replace(replace(replace(regexp_replace(s, E'[\\x01-\\x08\\x0b\\x0c\\x0e-\\x1f\\uFFFE\\uFFFF]', '', 'g'),
                                         '&', '&amp;'), '<', '&lt;'), '>', '&gt;'), '"', '&quot;')
$fn$;

CREATE FUNCTION inj_gen.rjson(depth int) RETURNS text LANGUAGE plpgsql AS $fn$
DECLARE
  r float8 := random();
  parts text[] := '{}';
BEGIN
  IF depth <= 0 OR r < 0.3 THEN
    RETURN (ARRAY[to_json(inj_gen.str(15))::text, '"\u0000 \\u0000 \ud83d\ude00"', 'null', 'true', '-0', '1e308',
                  '12345678901234567890.123456789', '"\u00e9"', '"\"; DROP TABLE canary; --"'])
           [1 + floor(random() * 9)::int];
  END IF;
  FOR i IN 1..floor(random() * 4)::int LOOP
    IF r < 0.65 THEN
      parts := parts || (to_json(inj_gen.str(10))::text || ' :' || inj_gen.rjson(depth - 1));
    ELSE
      parts := parts || inj_gen.rjson(depth - 1);
    END IF;
  END LOOP;
  IF r < 0.65 THEN
    -- json keeps duplicate keys, white space and key order as written.
    RETURN E'{ \n' || array_to_string(parts || '"dup": 1'::text || '"dup": 2'::text, E' ,\t') || ' }';
  END IF;
  RETURN '[' || array_to_string(parts, ',') || ']';
END
$fn$;

CREATE FUNCTION inj_gen.rtextarr(depth int) RETURNS text[] LANGUAGE plpgsql AS $fn$
DECLARE
  n int := 1 + floor(random() * 3)::int;
  a text[];
BEGIN
  IF depth = 1 THEN
    SELECT array_agg(CASE WHEN random() < 0.1 THEN NULL ELSE inj_gen.str(12) END) INTO a FROM generate_series(1, n);
  ELSIF depth = 2 THEN  -- n x 3, two-dimensional
    SELECT array_agg(x) INTO a FROM (SELECT ARRAY[inj_gen.str(6), NULL, inj_gen.payload()] AS x FROM generate_series(1, n)) s;
  ELSE
    a := ARRAY[[[inj_gen.str(5), inj_gen.payload()], [NULL, 'NULL']], [['"', '{'], [E'\\', '}']]];
  END IF;
  IF depth = 1 AND random() < 0.3 THEN  -- another lower bound: "[-3:-1]={...}"
    n := -5 + floor(random() * 10)::int;
    RETURN format('[%s:%s]=%s', n, n + array_length(a, 1) - 1, a::text)::text[];
  END IF;
  RETURN a;
END
$fn$;

CREATE FUNCTION inj_gen.val(t regtype, col name, not_null boolean) RETURNS text LANGUAGE plpgsql AS $fn$
DECLARE
  r float8 := random();
  tt "char";
  base regtype;
BEGIN
  IF NOT not_null AND r < 0.04 THEN RETURN NULL; END IF;
  SELECT typtype, coalesce(nullif(typbasetype, 0), oid)::regtype INTO tt, base FROM pg_type WHERE oid = t;
  IF tt = 'e' THEN
    RETURN (SELECT l FROM unnest(enum_range(NULL::"Typ ""e"" 's' \ $$"."mood ""e"" 'q'")) l ORDER BY random() LIMIT 1)::text;
  ELSIF tt = 'c' THEN
    RETURN ROW(inj_gen.str(20), floor((random() - 0.5) * 4e9)::bigint::int4, inj_gen.val('float8', '', true)::float8,
               inj_gen.rtextarr(1))::"Typ ""e"" 's' \ $$"."comp ;--"::text;
  ELSIF tt = 'd' THEN
    RETURN inj_gen.str(30);
  END IF;
  CASE base
    WHEN 'smallint'::regtype, 'integer'::regtype, 'bigint'::regtype THEN
      RETURN (ARRAY['0', '-1', '-32768', '32767', floor((random() - 0.5) * 60000)::text])[1 + floor(random() * 5)::int];
    WHEN 'text'::regtype THEN
      IF col LIKE 'big%' THEN RETURN inj_gen.rtext(1800) || inj_gen.payload() || repeat('x', 2500 * (r < 0.5)::int); END IF;
      RETURN inj_gen.str(40);
    WHEN 'character varying'::regtype THEN RETURN left(inj_gen.str(60), 300);
    WHEN 'character'::regtype THEN RETURN left(inj_gen.str(12), 12);
    WHEN 'bytea'::regtype THEN
      IF col LIKE 'big%' THEN RETURN inj_gen.rbytes(6000)::text; END IF;
      IF r < 0.5 THEN RETURN convert_to(inj_gen.str(30), 'UTF8')::text; END IF;
      RETURN inj_gen.rbytes(40)::text;
    WHEN 'json'::regtype THEN RETURN inj_gen.rjson(3);
    WHEN 'jsonb'::regtype THEN RETURN replace(inj_gen.rjson(3), '\u0000', '\u0001')::jsonb::text;
    WHEN 'text[]'::regtype THEN RETURN inj_gen.rtextarr(1 + floor(random() * 3)::int)::text;
    WHEN 'integer[]'::regtype THEN
      RETURN (SELECT coalesce(array_agg(ARRAY[floor((random() - 0.5) * 4e9)::bigint::int4, NULL, -2147483648, 2147483647]),
                              '{}')
                FROM generate_series(1, floor(random() * 4)::int))::text;
    WHEN 'numeric'::regtype THEN
      RETURN (ARRAY['NaN', 'Infinity', '-Infinity', '0.000', '-0.5', '1e-30', '123456789012345678901234567890.123456789',
                    ((random() - 0.5) * 1e6)::numeric(20, 7)::text, floor((random() - 0.5) * 1e15)::text,
                    '-9223372036854775808'])[1 + floor(random() * 10)::int];
    WHEN 'real'::regtype THEN
      RETURN (ARRAY['NaN', 'Infinity', '-Infinity', '-0', '1.4e-45', '3.4028235e+38', ((random() - 0.5) * 1e9)::real::text,
                    ((random() - 0.5) * 1e-30)::real::text])[1 + floor(random() * 8)::int];
    WHEN 'double precision'::regtype THEN
      RETURN (ARRAY['NaN', 'Infinity', '-Infinity', '-0', '4.9e-324', '1.7976931348623157e+308', (random() - 0.5)::text,
                    ((random() - 0.5) * 1e300)::text])[1 + floor(random() * 8)::int];
    WHEN 'interval'::regtype THEN
      RETURN (ARRAY['-178000000 years', '1 year -2 mons 3 days -04:05:06.789', '00:00:00',
                    make_interval(floor((random() - 0.5) * 100)::int, floor((random() - 0.5) * 100)::int, 0,
                                  floor((random() - 0.5) * 1000)::int, 0, 0, (random() - 0.5) * 1e6)::text])
             [1 + floor(random() * 4)::int];
    WHEN 'timestamp with time zone'::regtype THEN
      RETURN (ARRAY['infinity', '-infinity', '4714-11-24 00:00:00+00 BC', '294276-12-31 23:59:59.999999+00',
                    to_timestamp((random() - 0.3) * 4e9)::text])[1 + floor(random() * 5)::int];
    WHEN 'date'::regtype THEN
      RETURN (ARRAY['infinity', '-infinity', '4714-11-24 BC', '5874897-12-31',
                    (date '2000-01-01' + floor((random() - 0.5) * 1e6)::int)::text])[1 + floor(random() * 5)::int];
    WHEN 'bit varying'::regtype THEN
      RETURN (SELECT coalesce(string_agg((random() < 0.5)::int::text, ''), '') FROM generate_series(1, floor(random() * 70)::int));
    WHEN 'inet'::regtype THEN
      IF r < 0.5 THEN
        RETURN format('%s.%s.%s.%s/%s', floor(random() * 256), floor(random() * 256), floor(random() * 256),
                      floor(random() * 256), 8 + floor(random() * 25));
      END IF;
      RETURN (ARRAY['::ffff:1.2.3.4/128', 'fe80::1/64', '::/0', '2001:db8::' || to_hex(floor(random() * 65536)::int)])
             [1 + floor(random() * 4)::int];
    WHEN 'int4range'::regtype THEN
      RETURN (ARRAY['empty', '(,5]', '[-2147483648,)', '(,)',
                    int4range(floor(random() * 100)::int, 100 + floor(random() * 100)::int, '[]')::text])
             [1 + floor(random() * 5)::int];
    WHEN 'tstzrange'::regtype THEN
      RETURN (ARRAY['empty', '[-infinity,infinity]', '(,"2000-01-01 00:00:00+00")',
                    tstzrange(to_timestamp(random() * 1e9), to_timestamp(1e9 + random() * 1e9), '(]')::text])
             [1 + floor(random() * 4)::int];
    WHEN 'money'::regtype THEN
      RETURN (floor((random() - 0.5) * 1e12) / 100)::numeric::money::text;
    WHEN 'uuid'::regtype THEN
      RETURN md5(random()::text || clock_timestamp()::text)::uuid::text;
    WHEN 'xml'::regtype THEN
      RETURN (ARRAY['<a b="' || inj_gen.xmltext(inj_gen.str(10)) || '">' || inj_gen.xmltext(inj_gen.str(20)) || '</a>',
                    '<![CDATA[ ]]&gt; ' || replace(inj_gen.xmltext(inj_gen.str(10)), ']]>', '') || ' ]]>',
                    '<!-- ' || replace(replace(inj_gen.xmltext(inj_gen.str(10)), '--', ''), '-', '') || ' -->',
                    inj_gen.xmltext(inj_gen.str(20)), '<?pi x?>text'])[1 + floor(random() * 5)::int];
    ELSE
      RAISE EXCEPTION 'no generator for type %', t;
  END CASE;
END
$fn$;

-- A unique key for the text key columns (payloads repeat).
CREATE FUNCTION inj_gen.key() RETURNS text LANGUAGE sql AS $fn$
  SELECT inj_gen.str(20) || ' #' || nextval('inj_gen.keyseq')
$fn$;

-- The expression list that generates one row of `tab` (key columns unique,
-- NOT NULL columns never NULL).
CREATE FUNCTION inj_gen.row_exprs(tab regclass, only_cols text[] DEFAULT NULL, keys boolean DEFAULT true)
RETURNS TABLE (col text, expr text) LANGUAGE sql STABLE AS $fn$
  SELECT quote_ident(a.attname),
         coalesce(CASE WHEN NOT keys OR a.attnum <> ALL (coalesce((SELECT conkey FROM pg_constraint
                                                           WHERE conrelid = tab AND contype = 'p'), '{}'))
              THEN NULL
              WHEN a.atttypid = 'text'::regtype THEN 'inj_gen.key()'
              WHEN a.atttypid IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype)
              THEN format('nextval(''inj_gen.keyseq'')::%s', a.atttypid::regtype)
              END,
                  format('inj_gen.val(%s::regtype, %L, %L)::%s', a.atttypid, a.attname, a.attnotnull,
                         format_type(a.atttypid, a.atttypmod)))
    FROM pg_attribute a
   WHERE a.attrelid = tab AND a.attnum > 0 AND NOT a.attisdropped
     AND (only_cols IS NULL OR a.attname = ANY (only_cols))
   ORDER BY a.attnum
$fn$;

CREATE FUNCTION inj_gen.fill(tab regclass, n int) RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
  cols text;
  exprs text;
BEGIN
  SELECT string_agg(col, ', '), string_agg(expr, ', ') INTO cols, exprs FROM inj_gen.row_exprs(tab);
  EXECUTE format('INSERT INTO %s (%s) SELECT %s FROM generate_series(1, %s)', tab, cols, exprs, n);
END
$fn$;

-- Every hostile table.
CREATE FUNCTION inj_gen.tables(prefix text DEFAULT NULL) RETURNS SETOF regclass LANGUAGE sql STABLE AS $fn$
  SELECT c.oid::regclass FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE c.relkind = 'r' AND n.nspname = ANY (inj_gen.schema_names())
     AND (prefix IS NULL OR c.relname LIKE prefix || ' %')
   ORDER BY n.nspname COLLATE "C", c.relname COLLATE "C"
$fn$;

-- Rows times columns over the hostile tables.
CREATE FUNCTION inj_gen.values_in_tables() RETURNS bigint LANGUAGE plpgsql AS $fn$
DECLARE
  t regclass;
  n bigint;
  total bigint := 0;
BEGIN
  FOR t IN SELECT * FROM inj_gen.tables() LOOP
    EXECUTE format('SELECT count(*) FROM %s', t) INTO n;
    total := total + n * (SELECT count(*) FROM pg_attribute WHERE attrelid = t AND attnum > 0 AND NOT attisdropped);
  END LOOP;
  RETURN total;
END
$fn$;
