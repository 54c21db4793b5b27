-- Round-trip test, part 2: the workload run on "src" after the slot exists.
-- Everything committed here must reach "dst" through the decoded SQL;
-- everything rolled back must not (rolled-back rows carry the text
-- ROLLBACK-MARKER, which run.sh looks for in the decoded file).
-- Variables: connstr (a libpq connection string to src, for dblink).
\set ON_ERROR_STOP 1
SET client_min_messages = warning;

-- Helpers live in pg_temp: not WAL-logged, not decoded, not in src's schema.
CREATE FUNCTION pg_temp.pick(text[]) RETURNS text LANGUAGE sql VOLATILE
AS $fn$ SELECT $1[1 + floor(random() * array_length($1, 1))::int] $fn$;

-- Random text built from hostile pieces.
CREATE FUNCTION pg_temp.rtext(n int) RETURNS text LANGUAGE sql VOLATILE AS $fn$
  SELECT coalesce(string_agg(pg_temp.pick(ARRAY[
    'a', 'b', 'Z', '0', '9', ' ', '  ', '''', '"', '\', E'\n', E'\t', E'\r', ';', '--', '/*', '$$', '$wal2sql$',
    'ü', '表', '🙂', 'NULL', ',', '{', '}', '(', ')', '[', ']', '<', '>', '&', '=>', ':x', ':''x''', E'\\q',
    U&'\2028', U&'\0301', 'E''', 'x''); DROP TABLE t; --']), ''), '')
  FROM generate_series(1, n)
$fn$;

-- A lexeme for tsvector/tsquery literals: quoted, quotes doubled, no backslash.
CREATE FUNCTION pg_temp.lexeme() RETURNS text LANGUAGE sql VOLATILE AS $fn$
  SELECT '''' || replace(substr(md5(random()::text), 1, 1 + floor(random() * 6)::int)
                         || pg_temp.pick(ARRAY['', 'ü', '表', 'it''s', ' x', ':']), '''', '''''') || ''''
$fn$;

CREATE FUNCTION pg_temp.rfloat8() RETURNS float8 LANGUAGE sql VOLATILE AS $fn$
  SELECT CASE WHEN random() < 0.06
              THEN pg_temp.pick(ARRAY['NaN', 'Infinity', '-Infinity', '-0', '0', '1e-310', '4.9e-324',
                                      '1.7976931348623157e308', '0.30000000000000004'])::float8
              ELSE (random() - 0.5) * 10 ^ (random() * 600 - 300) END
$fn$;

CREATE FUNCTION pg_temp.rnumeric() RETURNS numeric LANGUAGE sql VOLATILE AS $fn$
  SELECT CASE WHEN r < 0.05 THEN pg_temp.pick(ARRAY['NaN', 'Infinity', '-Infinity', '-0.000', '1.10'])::numeric
              WHEN r < 0.5 THEN round(((random() - 0.5) * 10 ^ (random() * 40 - 20))::numeric, floor(random() * 30)::int)
              ELSE (pg_temp.pick(ARRAY['', '-']) || translate(md5(random()::text), 'abcdef', '123456')
                    || '.' || translate(md5(random()::text), 'abcdef', '987654'))::numeric END
  FROM (SELECT random() AS r) q
$fn$;

CREATE FUNCTION pg_temp.rts() RETURNS timestamp LANGUAGE sql VOLATILE AS $fn$
  SELECT timestamp '2000-01-01' + (random() - 0.5) * interval '2000000 days'
$fn$;

CREATE FUNCTION pg_temp.rpoint() RETURNS point LANGUAGE sql VOLATILE AS $fn$
  SELECT point((random() - 0.5) * 1e6, (random() - 0.5) * 10 ^ (random() * 40 - 20))
$fn$;

CREATE FUNCTION pg_temp.rinet() RETURNS inet LANGUAGE sql VOLATILE AS $fn$
  SELECT CASE WHEN random() < 0.5
    THEN (floor(random() * 256) || '.' || floor(random() * 256) || '.' || floor(random() * 256) || '.'
          || floor(random() * 256) || '/' || floor(random() * 33))::inet
    ELSE (substr(m, 1, 4) || ':' || substr(m, 5, 4) || ':' || substr(m, 9, 4) || '::' || substr(m, 13, 4)
          || '/' || floor(random() * 129))::inet END
  FROM (SELECT md5(random()::text) AS m) q
$fn$;

-- One row of random values for every column of all_types.
CREATE FUNCTION pg_temp.rand_row(row_id int) RETURNS public.all_types LANGUAGE sql VOLATILE AS $fn$
SELECT row_id,
  (floor(random() * 65536) - 32768)::int2,
  (floor(random() * 4294967296) - 2147483648)::int8::int4,
  ((random() - 0.5) * 1.8e19)::int8 + floor(random() * 1000000)::int8,
  pg_temp.rnumeric(),
  ((random() - 0.5) * 1e19)::numeric(30, 10),
  CASE WHEN random() < 0.06 THEN pg_temp.pick(ARRAY['NaN', 'Infinity', '-Infinity', '-0', '1e-45', '3.4028235e38'])::float4
       ELSE ((random() - 0.5) * 10 ^ (random() * 60 - 30))::float4 END,
  pg_temp.rfloat8(),
  CASE WHEN random() < 0.1 THEN NULL ELSE random() < 0.5 END,
  pg_temp.rtext(floor(random() * 40)::int),
  left(pg_temp.rtext(20), 50),
  pg_temp.rtext(5)::char(10),
  pg_temp.pick(ARRAY['a', 'Z', '''', '\', '"', ' ', '', 'ü'])::"char",
  pg_temp.rtext(10)::name,
  substr(decode(md5(random()::text) || md5(random()::text), 'hex'), 1, floor(random() * 33)::int),
  floor(random() * 256)::int::bit(8),
  substr(floor(random() * 1073741824)::int::bit(30)::text, 1, floor(random() * 31)::int)::varbit,
  CASE WHEN random() < 0.05 THEN pg_temp.pick(ARRAY['infinity', '-infinity', '4713-01-01 BC', '5874897-12-31'])::date
       ELSE date '2000-01-01' + floor((random() - 0.5) * 1600000)::int END,
  time '00:00' + random() * interval '24 hours',
  ((time '00:00' + random() * interval '24 hours')::text
     || pg_temp.pick(ARRAY['+00', '+05:45', '-09:30', '+14', '-15:59', '+12:45:30']))::timetz,
  pg_temp.rts(),
  pg_temp.rts() + pg_temp.pick(ARRAY['+00', '+05:45', '-09:30'])::interval,
  make_interval(years => floor((random() - 0.5) * 200)::int, months => floor((random() - 0.5) * 30)::int,
                days => floor((random() - 0.5) * 100)::int, hours => floor((random() - 0.5) * 50)::int,
                secs => (random() - 0.5) * 100000),
  md5(random()::text)::uuid,
  CASE WHEN random() < 0.5
       THEN json_build_object('t', pg_temp.rtext(8), 'n', random(), 'a', json_build_array(1, NULL, true))
       ELSE (' { "k" :  ' || to_json(pg_temp.rtext(5))::text || ' , "k" : 1.50 } ')::json END,
  jsonb_build_object('t', pg_temp.rtext(8), 'f', random(), 'n', (random() * 1e30)::numeric,
                     'arr', jsonb_build_array(NULL, false, 1.50, pg_temp.rnumeric()::text)),
  CASE WHEN random() < 0.8
       THEN xmlelement(name r, xmlattributes(pg_temp.rtext(5) AS a), pg_temp.rtext(10), xmlelement(name c))
       ELSE xmlconcat(xmlelement(name a), xmlelement(name b, pg_temp.rtext(3))) END,
  (SELECT CASE WHEN s < 0.25 THEN ARRAY[i, NULL, i + 1]
               WHEN s < 0.5 THEN ARRAY[[i, i + 1], [NULL, i + 2]]
               WHEN s < 0.75 THEN ('[' || i % 100 || ':' || i % 100 + 1 || ']={' || i || ',' || -i || '}')::int[]
               ELSE '{}' END
   FROM (SELECT random() AS s, floor((random() - 0.5) * 1e6)::int AS i) q),
  ARRAY[pg_temp.rtext(3), NULL, 'NULL', pg_temp.rtext(4), ''],
  ARRAY[pg_temp.rfloat8(), random(), pg_temp.rfloat8()],
  ARRAY[pg_temp.rts()::timestamptz, 'infinity'],
  ARRAY[pg_temp.rpoint(), point('NaN', '-0')],
  ARRAY[jsonb_build_object('a', pg_temp.rtext(3)), NULL, 'null'::jsonb],
  CASE WHEN random() < 0.2 THEN ROW(NULL, '', NULL, NULL, NULL, NULL)::"My Schema".comp
       ELSE ROW(floor(random() * 1000)::int, pg_temp.rtext(8), pg_temp.rfloat8(), pg_temp.rts(),
                ARRAY[1, NULL], pg_temp.rpoint())::"My Schema".comp END,
  ARRAY[ROW(1, pg_temp.rtext(4), random(), NULL, '{}', NULL)::"My Schema".comp, NULL],
  (enum_range(NULL::"My Schema"."mood ""enum"""))[1 + floor(random() * 5)::int],
  ARRAY[(enum_range(NULL::"My Schema"."mood ""enum"""))[1 + floor(random() * 5)::int], NULL],
  (1 + floor(random() * 1000000))::int,
  ARRAY[1 + floor(random() * 10)::int, NULL]::"My Schema".posint[],
  left(pg_temp.rtext(10), 40),
  (SELECT int4range(a, a + floor(random() * 10)::int, pg_temp.pick(ARRAY['[)', '(]', '()', '[]']))
   FROM (SELECT floor((random() - 0.5) * 1e6)::int AS a) q),
  (SELECT int8range(a, CASE WHEN random() < 0.2 THEN NULL ELSE a + 1000 END)
   FROM (SELECT ((random() - 0.5) * 1e18)::int8 AS a) q),
  (SELECT tsrange(t, t + random() * interval '10 days', '[]') FROM (SELECT pg_temp.rts() AS t) q),
  tstzrange(CASE WHEN random() < 0.2 THEN NULL ELSE pg_temp.rts()::timestamptz END, 'infinity'),
  (SELECT numrange(n, n + random()::numeric) FROM (SELECT round((random() * 1e6)::numeric, 3) AS n) q),
  (SELECT daterange(d, d + floor(random() * 30)::int) FROM (SELECT date '2000-01-01' + floor(random() * 10000)::int AS d) q),
  (SELECT int4multirange(int4range(a, a + 5), int4range(a + 10, a + 11, '[]')) FROM (SELECT floor(random() * 1000)::int AS a) q),
  (SELECT datemultirange(daterange(d, d + 3), daterange(d + 10, NULL)) FROM (SELECT date '1999-12-01' + floor(random() * 100)::int AS d) q),
  nummultirange(numrange(round(random()::numeric, 5), 2), numrange(3.5, NULL)),
  (SELECT "My Schema".floatrange(f, f + random()) FROM (SELECT random() * 1e-300 AS f) q),
  pg_temp.rinet(),
  network(pg_temp.rinet())::cidr,
  (SELECT (substr(m, 1, 2) || ':' || substr(m, 3, 2) || ':' || substr(m, 5, 2) || ':' || substr(m, 7, 2) || ':'
           || substr(m, 9, 2) || ':' || substr(m, 11, 2))::macaddr FROM (SELECT md5(random()::text) AS m) q),
  (SELECT substr(m, 1, 16)::macaddr8 FROM (SELECT md5(random()::text) AS m) q),
  ((random() - 0.5) * 2e13)::numeric(16, 2)::money,
  (pg_temp.lexeme() || ':' || (1 + floor(random() * 100)) || pg_temp.pick(ARRAY['', 'A', 'B', 'C']) || ' '
     || pg_temp.lexeme() || ' ' || pg_temp.lexeme() || ':1,5D')::tsvector,
  (pg_temp.lexeme() || ':*B & !' || pg_temp.lexeme() || ' <2> (' || pg_temp.lexeme() || ' | ' || pg_temp.lexeme() || ')')::tsquery,
  CASE WHEN random() < 0.1 THEN point('NaN', 'Infinity') ELSE pg_temp.rpoint() END,
  (SELECT line(p, p + point(1 + random(), random())) FROM (SELECT pg_temp.rpoint() AS p) q),
  lseg(pg_temp.rpoint(), pg_temp.rpoint()),
  box(pg_temp.rpoint(), pg_temp.rpoint()),
  (SELECT (CASE WHEN open THEN '[' ELSE '(' END || pg_temp.rpoint() || ',' || pg_temp.rpoint() || ',' || pg_temp.rpoint()
           || CASE WHEN open THEN ']' ELSE ')' END)::path FROM (SELECT random() < 0.5 AS open) q),
  ('(' || pg_temp.rpoint() || ',' || pg_temp.rpoint() || ',' || pg_temp.rpoint() || ')')::polygon,
  circle(pg_temp.rpoint(), random() * 10),
  floor(random() * 4294967296)::int8::oid,
  '0/0'::pg_lsn + floor(random() * 1e15)::numeric,
  floor(random() * 1e18)::int8::text::xid8,
  hstore(ARRAY[pg_temp.rtext(3), pg_temp.rtext(3) || 'k'], ARRAY[pg_temp.rtext(4), NULL]),
  pg_temp.rtext(8)::citext
$fn$;

SELECT setseed(0.42) \gset

---------------------------------------------------------------------------
-- Edge values, one transaction.
---------------------------------------------------------------------------
BEGIN;
INSERT INTO public.all_types (id, c_int2, c_int4, c_int8, c_num, c_num_typ, c_f4, c_f8, c_text, c_bytea, c_date, c_time,
  c_timetz, c_ts, c_tstz, c_iv, c_money, c_oid, c_lsn, c_xid8, c_point, c_ai)
VALUES
  (10, -32768, -2147483648, -9223372036854775808, '-Infinity', -99999999999999999999.9999999999, '-Infinity', '-Infinity',
   '', '\x', '-infinity', '00:00:00', '00:00:00+15:59', '-infinity', '-infinity', '-178000000 years',
   '-92233720368547758.08', 0, '0/0', '0', '(-Infinity,-0)', '{-2147483648}'),
  (11, 32767, 2147483647, 9223372036854775807, 'Infinity', 99999999999999999999.9999999999, '3.4028235e38',
   '1.7976931348623157e308', repeat('x', 3000), '\xff', 'infinity', '24:00:00', '23:59:59.999999-15:59', 'infinity',
   'infinity', '178000000 years', '92233720368547758.07', 4294967295, 'FFFFFFFF/FFFFFFFF', '18446744073709551615',
   '(Infinity,1e308)', '{2147483647}'),
  (12, 0, 0, 0, 'NaN', 0, 'NaN', 'NaN', 'NaN', '\x00', '4713-01-01 BC', '12:00', '12:34:56.789-09:30',
   '4713-01-01 00:00:00 BC', '4713-01-01 00:00:00+00 BC', '-1 days +02:03:04.000001', '0', 1, '16/B374D848', '1',
   '(NaN,NaN)', '{0}'),
  (13, -1, -1, -1, '-0.000', -0.0000000001, '-0', '-0', 'NULL', '\x5c27225c', '5874897-12-31', '23:59:59.999999',
   '00:00:00-00:00:59', '294276-12-31 23:59:59.999999', '294276-12-31 23:59:59.999+00', '1 mon -1 sec', '-0.01',
   12345, '0/1', '2', '(1e-310,4.9e-324)', '[0:1]={1,2}'),
  (14, 1, 1, 1, ('0.' || repeat('0', 990) || '1')::numeric, 1.1, '1e-45', '4.9e-324', E'it''s \\ back\nslash\ttab\r\n',
   'it''s \\ binary', '0001-01-01 BC', '00:00:00.000001', '24:00:00+00', '0001-01-01 00:00:00 BC', '2020-03-29 02:30:00 Europe/Berlin',
   '0.000001 sec', '1.5', 4000000000, '1/0', '3', '(0.1,0.30000000000000004)', '[-5:-4][2:3]={{1,2},{3,4}}'),
  (15, 2, 2, 2, (repeat('9', 1000) || '.' || repeat('1', 1000))::numeric, 0.1, '0.1', '0.30000000000000004', E'\\q\n\\! rm -rf /\n:x :''x'' :"x"',
   'NULL', '2000-02-29', '13:14:15', '13:14:15+05:45', '2000-02-29 12:00:00.5', '1999-12-31 23:59:59.9995+05:45',
   '1 day 24 hours', '12.34', 2, 'A/B', '4', '(-0,-0)', '{{1,NULL},{NULL,4}}'),
  (16, 3, 3, 3, '1.10', 1.10, '1.1754944e-38', '2.2250738585072014e-308', $t$'); DROP TABLE public.all_types; --$t$,
   E'\\x41', '1970-01-01', '04:05:06', '04:05:06+01', '1970-01-01 00:00:00', '1970-01-01 00:00:00+00',
   '-1 year -2 mons +3 days -04:05:06', '-1234567.89', 3, '0/FFFFFFFF', '5', '(1,2)', '{NULL}');

UPDATE public.all_types SET
  c_bool = id % 2 = 0,
  c_vc = 'vär ''q'' \ ' || id,
  c_ch = CASE id WHEN 10 THEN '' WHEN 11 THEN 'abcdefghij' ELSE 'a ''b' END::char(10),
  c_qchar = CASE id WHEN 10 THEN '' WHEN 11 THEN '\' WHEN 12 THEN 'ü' ELSE '''' END::"char",
  c_name = CASE id WHEN 10 THEN '' ELSE repeat('ñ', 40) END::name,
  c_bit = B'10101010', c_vbit = CASE id WHEN 10 THEN B'' ELSE B'1' END,
  c_uuid = CASE id WHEN 10 THEN '00000000-0000-0000-0000-000000000000' ELSE 'ffffffff-ffff-ffff-ffff-ffffffffffff' END::uuid,
  c_json = CASE id WHEN 10 THEN '{"a":1, "a" : 2 ,"u":"\u00fc\n"}' WHEN 11 THEN '  [  ]  ' WHEN 12 THEN 'null'
                   WHEN 13 THEN '"\\"' ELSE '{"x": 1e400, "y": -0.0, "z": "\ud83d\ude00"}' END::json,
  c_jsonb = CASE id WHEN 10 THEN '{"a":1, "a" : 2 ,"u":"\u00fc\n"}' WHEN 11 THEN '[]' WHEN 12 THEN 'null'
                    WHEN 13 THEN '"\\"' ELSE '{"x": 1e400, "y": -0.0, "z": [1.0, 1.00, 100]}' END::jsonb,
  c_xml = CASE id WHEN 10 THEN '<!DOCTYPE r><r/>' WHEN 11 THEN 'text only &amp; <b>bold</b> tail'
                  WHEN 12 THEN '<?xml version="1.0"?><r a=''1''>x</r>' WHEN 13 THEN ''
                  ELSE '<r xmlns:x="urn:x"><x:a>ü &lt; 表</x:a><![CDATA[ <raw> ]]></r>' END::xml,
  c_at = CASE id WHEN 10 THEN '{}' ELSE '{"a,b","NULL",NULL,"\"q\"","back\\slash","", " sp "}' END::text[],
  c_af = CASE id WHEN 10 THEN '{}' ELSE '{NaN,Infinity,-Infinity,-0,1e-310,0.30000000000000004}' END::float8[],
  c_ats = '{infinity,-infinity,"2000-01-01 00:00:00+00",NULL}',
  c_apoint = '{"(1,2)",NULL,"(NaN,-0)"}',
  c_ajsonb = '{"{\"a\": 1}",NULL,"[]"}',
  c_comp = CASE id WHEN 10 THEN ROW(NULL, NULL, NULL, NULL, NULL, NULL)::"My Schema".comp
                   WHEN 11 THEN ROW(NULL, '', NULL, NULL, '{}', NULL)::"My Schema".comp
                   ELSE ROW(-1, E'x"y\\z,(),'' ', '-0', '-infinity', '{1,NULL}', '(NaN,1)')::"My Schema".comp END,
  c_acomp = CASE id WHEN 10 THEN '{}' ELSE ARRAY[ROW(1, 'a', 0.1, NULL, '{1}', NULL)::"My Schema".comp, NULL, ROW(NULL, NULL, NULL, NULL, NULL, NULL)::"My Schema".comp] END,
  c_enum = (enum_range(NULL::"My Schema"."mood ""enum"""))[1 + id % 5],
  c_aenum = enum_range(NULL::"My Schema"."mood ""enum"""),
  c_dom = id, c_adom = '{1,2,NULL}', c_sdom = E'd''om \\ 表',
  c_i4r = CASE id WHEN 10 THEN 'empty' WHEN 11 THEN '(,)' ELSE '[5,5]' END::int4range,
  c_i8r = CASE id WHEN 10 THEN 'empty' ELSE '[-9223372036854775808,9223372036854775807)' END::int8range,
  c_tsr = CASE id WHEN 10 THEN '(,)' ELSE '[-infinity,infinity]' END::tsrange,
  c_tstzr = CASE id WHEN 10 THEN 'empty' ELSE '["2000-01-01 00:00:00+05:45",infinity)' END::tstzrange,
  c_nr = CASE id WHEN 10 THEN '(,)' ELSE '[1.10,1e20)' END::numrange,
  c_dr = CASE id WHEN 10 THEN 'empty' ELSE '[4713-01-01 BC,infinity)' END::daterange,
  c_i4mr = CASE id WHEN 10 THEN '{}' ELSE '{[1,3), [5,7]}' END::int4multirange,
  c_dmr = CASE id WHEN 10 THEN '{}' ELSE '{[2000-01-01,2000-02-01), [2001-01-01,)}' END::datemultirange,
  c_nmr = CASE id WHEN 10 THEN '{}' ELSE '{(,0), [1.50,2.500]}' END::nummultirange,
  c_frange = CASE id WHEN 10 THEN 'empty' ELSE '[-Infinity,1e-310)' END::"My Schema".floatrange,
  c_inet = CASE id WHEN 10 THEN '0.0.0.0/0' WHEN 11 THEN '::ffff:1.2.3.4/128' ELSE '192.168.0.1/24' END::inet,
  c_cidr = CASE id WHEN 10 THEN '0.0.0.0/0' WHEN 11 THEN '2001:db8::/32' ELSE '10.0.0.0/8' END::cidr,
  c_mac = '08:00:2b:01:02:03', c_mac8 = '08:00:2b:ff:fe:01:02:03',
  c_tsv = CASE id WHEN 10 THEN '' ELSE $v$'it''s':1A 'back\\slash':2B 'ü 表':3C,4 fat cat:5D$v$ END::tsvector,
  c_tsq = CASE id WHEN 10 THEN '' ELSE $v$'it''s':*B & !('back\\slash' | 'ü') <-> fat <3> cat$v$ END::tsquery,
  c_line = '{1,-1,0}', c_lseg = '[(0,0),(1,1)]', c_box = '(1,1),(-0,0)',
  c_path = CASE id WHEN 10 THEN '[(0,0)]' WHEN 11 THEN '((0,0),(1,1),(2,0))' ELSE '[(0,0),(1,1),(NaN,2)]' END::path,
  c_poly = '((0,0),(1,1),(2,0))', c_circle = '<(0,0),1.5>',
  c_hstore = CASE id WHEN 10 THEN '' ELSE '"a"=>"1", "b"=>NULL, "q\"uote"=>"back\\slash", ""=>"", "NULL"=>"NULL"' END::hstore,
  c_citext = CASE id WHEN 10 THEN '' ELSE 'MiXeD Ü' END::citext
WHERE id BETWEEN 10 AND 16;
INSERT INTO public.all_types (id) VALUES (17);  -- all NULL
COMMIT;

-- The same edge rows where every column identifies the row (FULL), twice for the all-NULL one.
INSERT INTO public.all_types_full SELECT * FROM public.all_types WHERE id BETWEEN 10 AND 17;
INSERT INTO public.all_types_full SELECT * FROM public.all_types WHERE id = 17;

-- Sabotage target (run.sh changes the float in this statement by one ulp).
INSERT INTO public.all_types (id, c_f8, c_text) VALUES (900, 0.1::float8 + 0.2::float8, 'sabotage-ulp-target');

---------------------------------------------------------------------------
-- Random rows: one big transaction (it spills to disk under a small
-- logical_decoding_work_mem) and several smaller ones.
---------------------------------------------------------------------------
INSERT INTO public.all_types SELECT r.* FROM generate_series(1000, 2199) g, LATERAL pg_temp.rand_row(g) r;
INSERT INTO public.all_types_full SELECT r.* FROM generate_series(3000, 3399) g, LATERAL pg_temp.rand_row(g) r;

-- Updates of every column, by primary key and by full row image.
SELECT format('UPDATE public.%I t SET (%s) = (SELECT %s FROM pg_temp.rand_row(t.id) r) WHERE t.id %% 5 = 0 AND t.id >= 1000',
              tbl, string_agg(quote_ident(attname), ', ' ORDER BY attnum), string_agg('r.' || quote_ident(attname), ', ' ORDER BY attnum))
FROM (VALUES ('all_types'), ('all_types_full')) v(tbl)
JOIN pg_attribute a ON a.attrelid = ('public.' || tbl)::regclass AND a.attnum > 1 AND NOT a.attisdropped
GROUP BY tbl ORDER BY tbl
\gexec

BEGIN;
UPDATE public.all_types SET c_text = c_text || ' upd', c_f8 = pg_temp.rfloat8(), c_tstz = NULL WHERE id % 13 = 1;
UPDATE public.all_types_full SET c_json = NULL, c_point = NULL, c_xml = NULL WHERE id % 9 = 2;
UPDATE public.all_types_full SET c_text = 'after nulls' WHERE id % 9 = 2 AND id % 2 = 0;
UPDATE public.all_types_full SET c_f4 = -c_f4, c_ai = CASE WHEN array_ndims(c_ai) = 1 THEN c_ai || 7 END WHERE id BETWEEN 10 AND 16;
-- Primary key changes.
UPDATE public.all_types SET id = id + 100000 WHERE id % 11 = 0 AND id >= 1000;
UPDATE public.all_types SET id = -id, c_text = c_text || ' neg' WHERE id BETWEEN 12 AND 13;
COMMIT;

DELETE FROM public.all_types WHERE id % 7 = 3;
DELETE FROM public.all_types_full WHERE id % 7 = 3 OR id = 15;
-- One of the two identical all-NULL rows.
DELETE FROM public.all_types_full WHERE ctid = (SELECT ctid FROM public.all_types_full WHERE id = 17 LIMIT 1);
DELETE FROM public.all_types_full WHERE ctid = (SELECT ctid FROM public.all_types_full WHERE id = 1 LIMIT 1);
UPDATE public.all_types SET c_text = 'touched' WHERE id IN (1, 2);

---------------------------------------------------------------------------
-- REPLICA IDENTITY FULL without index: duplicates and NULLs.
---------------------------------------------------------------------------
BEGIN;
DELETE FROM "My Schema"."tab""quote" WHERE ctid = (SELECT ctid FROM "My Schema"."tab""quote" WHERE t = 'dup' LIMIT 1);
UPDATE "My Schema"."tab""quote" SET k = 10 WHERE ctid = (SELECT ctid FROM "My Schema"."tab""quote" WHERE t = 'dup' LIMIT 1);
-- Two identical rows updated by one statement: two changes with the same old image.
UPDATE "My Schema"."tab""quote" SET k = k + 1 WHERE t = 'dup' AND k = 1;
UPDATE "My Schema"."tab""quote" SET t = 'was null' WHERE ctid = (SELECT ctid FROM "My Schema"."tab""quote" WHERE k IS NULL LIMIT 1);
DELETE FROM "My Schema"."tab""quote" WHERE ctid = (SELECT ctid FROM "My Schema"."tab""quote" WHERE k IS NULL AND t IS NULL LIMIT 1);
UPDATE "My Schema"."tab""quote" SET j = '{"a" :  [1,2.5]}', p = '(NaN,-0)' WHERE k = 10;
UPDATE "My Schema"."tab""quote" SET f = 0.5, x = '<r>changed</r>' WHERE k = 10;  -- old image has p = (NaN,-0)
UPDATE "My Schema"."tab""quote" SET n = 2, big_j = '[1]' WHERE k = 2;           -- big json in the old image
UPDATE "My Schema"."tab""quote" SET h = h || 'c=>"q''\"x"', ci = 'other' WHERE k = 3;
COMMIT;
INSERT INTO "My Schema"."tab""quote" (k, t, j, p) SELECT 20, 'new dup', '{ }', '(0,0)' FROM generate_series(1, 3);
DELETE FROM "My Schema"."tab""quote" WHERE ctid = (SELECT ctid FROM "My Schema"."tab""quote" WHERE k = 20 LIMIT 1);

---------------------------------------------------------------------------
-- Composite and text primary keys, USING INDEX identity, identity column,
-- generated columns, upsert.
---------------------------------------------------------------------------
BEGIN;
UPDATE "My Schema"."Composite ""PK""" SET payload = E'changed \\ ''q''', "ü" = '-0' WHERE "Region" = 'eu' AND "from" = '2020-01-01';
UPDATE "My Schema"."Composite ""PK""" SET "from" = "from" + 10 WHERE "Region" = 'eu';
UPDATE "My Schema"."Composite ""PK""" SET "Region" = 'asia', "n;--" = 9223372036854775807 WHERE "Region" = 'us';
INSERT INTO "My Schema"."Composite ""PK""" VALUES (E'new\nregion', 0, 'infinity', NULL, 'NaN');
DELETE FROM "My Schema"."Composite ""PK""" WHERE "Region" = 'eu' AND "from" = '2020-01-12';
COMMIT;

UPDATE public."select" SET "user" = E'new\nkey''s \\ 🙂' WHERE "user" = 'k1';
UPDATE public."select" SET "from" = 20, "column" = 'x' WHERE "user" = E'key\nwith newline';
DELETE FROM public."select" WHERE "user" = 'it''s';
INSERT INTO public."select" VALUES ('upsert', 1, 'inserted'), ($k$'); DROP TABLE public."select"; --$k$, 0, NULL);
INSERT INTO public."select" VALUES ('upsert', 2, 'conflict'), ('upsert 2', 3, 'fresh')
  ON CONFLICT ("user") DO UPDATE SET "from" = EXCLUDED."from" * 10, "column" = EXCLUDED."column";

UPDATE "My Schema"."with space; -- dash" SET c = 'changed', d = '-Infinity' WHERE id = 1;
UPDATE "My Schema"."with space; -- dash" SET "b.b" = 'three', a = 3 WHERE id = 3;    -- identity key changes
UPDATE "My Schema"."with space; -- dash" SET id = 20 WHERE id = 2;                    -- PK, not the identity
DELETE FROM "My Schema"."with space; -- dash" WHERE id = 1;
INSERT INTO "My Schema"."with space; -- dash" VALUES (4, 4, 'four', E'\\', 4);

INSERT INTO public."user" (name, "group") VALUES ('dave', 4), ('eve', NULL);
UPDATE public."user" SET name = 'Alice', "group" = NULL WHERE name = 'alice';
UPDATE public."user" SET id = DEFAULT WHERE name = 'bob';                             -- identity value changes
DELETE FROM public."user" WHERE name = 'carol';

UPDATE public."ünïcødé 表" SET "ä" = 2.25, label = 'ÄÖÜ' WHERE id = 1;
UPDATE public."ünïcødé 表" SET label = 'now set' WHERE id = 2;
INSERT INTO public."ünïcødé 表" (id, "ä", label) VALUES (3, 'NaN', 'ß');

---------------------------------------------------------------------------
-- Partitions: rows moving between partitions, and a TRUNCATE of a
-- subpartitioned partition.
---------------------------------------------------------------------------
BEGIN;
UPDATE public.part SET region = 'us' WHERE region = 'eu' AND id = 1;     -- eu -> us_lo
UPDATE public.part SET id = 2000 WHERE region = 'us' AND id = 5;         -- us_lo -> us_hi
UPDATE public.part SET region = 'other' WHERE region = 'us' AND id = 1500; -- us_hi -> default
UPDATE public.part SET v = 'changed' WHERE region = 'eu' AND id = 2;
DELETE FROM public.part WHERE region = 'zz';
INSERT INTO public.part VALUES ('eu', 3, 'eu three'), ('us', 3, 'us three'), ('us', 3000, 'us 3000'), ('x', 1, NULL);
COMMIT;
BEGIN;
TRUNCATE public."part us";
INSERT INTO public.part VALUES ('us', 7, 'after truncate'), ('us', 7000, 'after truncate hi');
COMMIT;

---------------------------------------------------------------------------
-- TOAST: updates that leave the big values alone must not lose them.
---------------------------------------------------------------------------
UPDATE public.toasty SET note = 'note only' WHERE id = 1;
UPDATE public.toasty SET n = -2, id = 102 WHERE id = 2;                  -- key change, big values unchanged
UPDATE public.toasty SET big_t = (SELECT string_agg(md5('new' || g), '') FROM generate_series(1, 700) g) WHERE id = 3;
UPDATE public.toasty SET big_b = big_b || '\x00ff'::bytea, note = NULL WHERE id = 4;
DELETE FROM public.toasty WHERE id = 5;
BEGIN;
INSERT INTO public.toasty (id, note, n, big_t, big_b, big_j)
SELECT 6, 'inserted', 6, (SELECT string_agg(md5('six' || g), '') FROM generate_series(1, 900) g),
       (SELECT decode(string_agg(md5('sixb' || g), ''), 'hex') FROM generate_series(1, 900) g), '{"small": true}';
UPDATE public.toasty SET note = 'inserted then updated' WHERE id = 6;
UPDATE public.toasty SET big_j = big_j || '["appended"]' WHERE id = 1;
COMMIT;
UPDATE public.toasty_full SET note = 'full note only' WHERE note = 'full 1';
UPDATE public.toasty_full SET big_b = NULL WHERE note = 'full 3';
DELETE FROM public.toasty_full WHERE note = 'full 2';

---------------------------------------------------------------------------
-- Hostile names.
---------------------------------------------------------------------------
INSERT INTO public."new
line" VALUES (3, E'v\n;--', 'x', 3);
UPDATE public."new
line" SET "x"" = 1; DROP TABLE t; --" = 'updated', "back\slash" = -1 WHERE "col
x" = 1;
UPDATE public."new
line" SET "col
x" = 22 WHERE "col
x" = 2;
DELETE FROM public."new
line" WHERE "col
x" = 3;
UPDATE public.a_table_name_of_exactly_sixty_three_bytes_which_is_the_maximum_
  SET a_column_name_of_exactly_sixty_three_bytes_which_is_the_maximum = 2, v = 'longer';

---------------------------------------------------------------------------
-- TRUNCATE of several tables at once, RESTART IDENTITY, CASCADE to an FK child.
---------------------------------------------------------------------------
INSERT INTO public.tr_parent (v) VALUES ('p3');
INSERT INTO public.tr_child (parent_id, v) VALUES (3, 'c3'), (3, 'c3b');
INSERT INTO public."tr;other" (v) VALUES ('o2');
DELETE FROM public.tr_parent WHERE id = 1;                               -- ON DELETE CASCADE
BEGIN;
TRUNCATE public.tr_parent, public."tr;other" RESTART IDENTITY CASCADE;
INSERT INTO public.tr_parent (v) VALUES ('after truncate 1'), ('after truncate 2');
INSERT INTO public.tr_child (parent_id, v) VALUES (2, 'child after truncate');
INSERT INTO public."tr;other" (v) VALUES ('other after truncate');
COMMIT;
UPDATE public.tr_parent SET id = 20 WHERE id = 2;                        -- ON UPDATE CASCADE to tr_child

---------------------------------------------------------------------------
-- Triggers fired on the source only; tables without a key get INSERTs only.
---------------------------------------------------------------------------
INSERT INTO public.audited VALUES (2, 'two'), (3, NULL);
UPDATE public.audited SET v = 'after' WHERE id = 1;
INSERT INTO public.nocols DEFAULT VALUES;
INSERT INTO public.nocols SELECT FROM generate_series(1, 3);
INSERT INTO public.nopk VALUES (1, 'x'), (NULL, NULL), (2, E'\\');

-- Rows with "missing" attributes (added with a default after they were written).
UPDATE public.evolved SET a = 'one changed' WHERE id = 1;
DELETE FROM public.evolved WHERE id = 2;
UPDATE public.evolved SET e = 5 WHERE id = 3;
INSERT INTO public.evolved (id, a) VALUES (4, 'four');

---------------------------------------------------------------------------
-- Out-of-line primary key, inheritance, COPY, MERGE, a table rewrite.
---------------------------------------------------------------------------
UPDATE public.toast_key SET v = -v, note = 'key kept' WHERE v = 1;
UPDATE public.toast_key SET k = k || 'changed', note = 'key changed' WHERE v = 2;
DELETE FROM public.toast_key WHERE v = 3;
INSERT INTO public.toast_key VALUES (repeat('k', 2500), 4, 'new long key');

TRUNCATE public.inh_parent;                                              -- reaches inh_child
INSERT INTO public.inh_parent VALUES (1, 'parent again'), (3, 'parent 3');
INSERT INTO public.inh_child VALUES (2, 'child again', 'extra'), (4, 'child 4', NULL);
UPDATE public.inh_parent SET v = v || ' (updated through the parent)' WHERE id IN (1, 2);
DELETE FROM public.inh_parent WHERE id = 4;
-- The same key in parent and child: each change must touch its own table only.
INSERT INTO public.inh_child VALUES (1, 'child 1, same key as a parent row', 'same key');
UPDATE ONLY public.inh_parent SET v = 'parent 1 only' WHERE id = 1;
DELETE FROM ONLY public.inh_parent WHERE id = 3;
INSERT INTO public.inh_child VALUES (3, 'child 3 after parent 3 was deleted', NULL);
UPDATE public.inh_child SET v = 'child 1 only' WHERE id = 1;

-- COPY writes multi-insert WAL records. The data goes through files in the
-- server's data directory.
SELECT current_setting('data_directory') || '/roundtrip_copy.data' AS copy_file,
       current_setting('data_directory') || '/roundtrip_part.data' AS part_file \gset
COPY (SELECT g, pg_temp.rtext(10), decode(md5(g::text), 'hex'),
             CASE WHEN g % 50 = 0 THEN (SELECT string_agg(md5(g || '-' || h), '') FROM generate_series(1, 300) h) END
      FROM generate_series(1, 500) g) TO :'copy_file';
COPY public.copied FROM :'copy_file';
COPY (SELECT CASE WHEN g % 3 = 0 THEN 'eu' WHEN g % 3 = 1 THEN 'us' ELSE 'elsewhere' END, 10000 + g, 'copied ' || g
      FROM generate_series(1, 200) g) TO :'part_file';
COPY public.part FROM :'part_file';
UPDATE public.copied SET t = 'updated after copy' WHERE id % 7 = 0;
DELETE FROM public.copied WHERE id % 11 = 0;

MERGE INTO public."select" s
USING (VALUES ('merge new', 1), ('upsert', 99), ('upsert 2', -1)) AS v(k, n) ON s."user" = v.k
WHEN MATCHED AND v.n < 0 THEN DELETE
WHEN MATCHED THEN UPDATE SET "from" = v.n
WHEN NOT MATCHED THEN INSERT VALUES (v.k, v.n, 'merged');

-- A rewrite (new relfilenode, new TOAST pointers), then changes.
VACUUM FULL public.toasty;
UPDATE public.toasty SET note = 'after VACUUM FULL' WHERE id = 1;

---------------------------------------------------------------------------
-- REPLICA IDENTITY FULL among rows equal by "=" but not identical
-- (schema.sql): exactly the row holding -0, 1.00, 24:00:00, 'A', ... changes.
---------------------------------------------------------------------------
BEGIN;
DELETE FROM public.full_equal WHERE pair = 1 AND f8::text = '-0';
UPDATE public.full_equal SET note = 'changed' WHERE pair = 2 AND f8::text = '-0';
DELETE FROM public.full_equal WHERE pair = 3 AND f4::text = '-0';
DELETE FROM public.full_equal WHERE pair = 4 AND n::text = '1.00';
UPDATE public.full_equal SET note = 'changed' WHERE pair = 5 AND n::text = '1.00';
DELETE FROM public.full_equal WHERE pair = 6 AND iv::text = '24:00:00';
UPDATE public.full_equal SET note = 'changed' WHERE pair = 7 AND iv::text = '24:00:00';
DELETE FROM public.full_equal WHERE pair = 8 AND ci::text = 'A';
UPDATE public.full_equal SET note = 'changed' WHERE pair = 9 AND ci::text = 'A';
DELETE FROM public.full_equal WHERE pair = 10 AND cs::text COLLATE "C" = 'A';
UPDATE public.full_equal SET note = 'changed' WHERE pair = 11 AND cs::text COLLATE "C" = 'A';
UPDATE public.full_equal SET note = 'changed' WHERE pair = 12 AND jb::text = '{"a": 1.00}';
DELETE FROM public.full_equal WHERE pair = 13 AND nr::text = '[1.00,2)';
UPDATE public.full_equal SET note = 'changed' WHERE pair = 14 AND af::text = '{-0}';
UPDATE public.full_equal SET note = 'changed'
  WHERE pair = 15 AND f8::text = '-0' AND n::text = '1.00' AND ci::text = 'A' AND cs::text COLLATE "C" = 'a';
DELETE FROM public.full_equal WHERE pair = 15 AND f8::text = '0' AND n::text = '1.0';
COMMIT;
UPDATE public.full_equal SET f8 = '0', note = 'changed twice' WHERE pair = 2 AND note = 'changed';

-- reg* values (printed with their schema whatever the decoding session's search_path).
INSERT INTO public.regs VALUES
  (2, E'public."new\nline"', 'public.hstore', 'public.audit_fn', 'public.audit_fn()', 'public.=(public.citext,public.citext)',
   'pg_catalog.english', 'public', 'postgres', ARRAY['"My Schema"."mood ""enum"""']::regtype[]),
  (3, '"My Schema"."tab""quote"', '"My Schema".posint', 'pg_catalog.now', 'pg_catalog.now()', 'pg_catalog.+(integer,integer)',
   '"My Schema".cfg', 'pg_catalog', 'postgres', '{}');
UPDATE public.regs SET c = '"My Schema"."Composite ""PK"""', t = '"My Schema"."mood ""enum"""[]' WHERE id = 1;
DELETE FROM public.regs WHERE id = 3;
UPDATE public.identity_nonkey SET id = DEFAULT, v = 'b' WHERE pk = 1;
UPDATE public.identity_nonkey SET v = 'c' WHERE pk = 2;
INSERT INTO public.regs_full VALUES ('public.regs', '"My Schema".cfg'::regconfig::oid::regtype, 'pg_catalog.now', '+(integer,integer)', 'english'),
                                    ('public.regs_full', 'int4', 'pg_catalog.now', '-(integer,integer)', '"My Schema".cfg');
UPDATE public.regs_full SET c = 'public.interleave' WHERE c = 'public.regs'::regclass;
DELETE FROM public.regs_full WHERE c = 'public.regs_full'::regclass;

---------------------------------------------------------------------------
-- DDL, carried by transactional scribe.ddl messages at its place in the
-- transaction: the changes after it must use the new shape and names.
-- Signed as pg_scribe's DDL capture signs them (HMAC-SHA256 under the key
-- the wal2sql slot created); unsigned ones are ignored.
---------------------------------------------------------------------------
-- The signed body: search_path, role and flags, then the statement.
CREATE FUNCTION pg_temp.ddl_body(statement text) RETURNS text LANGUAGE sql AS $body$
  SELECT format('S%s:%sR%s:%sFt', octet_length(current_setting('search_path')), current_setting('search_path'),
                octet_length(current_user::text), current_user) || E'\n' || statement
$body$;
CREATE FUNCTION pg_temp.emit_signed_ddl(statement text) RETURNS void LANGUAGE sql AS $fn$
  SELECT FROM pg_logical_emit_message(true, 'scribe.ddl',
    'scribe-ddl v1 hmac=' ||
    encode(hmac(convert_to((pg_current_xact_id()::text::bigint % 4294967296)::text || E'\n' || pg_temp.ddl_body(statement), 'UTF8'),
                pg_read_binary_file('pg_scribe/ddl_message.key'), 'sha256'), 'hex') ||
    E'\n' || pg_temp.ddl_body(statement))
$fn$;
BEGIN;
ALTER TABLE public.ddl_target ADD COLUMN added text DEFAULT 'dflt';
SELECT pg_temp.emit_signed_ddl($ddl$ALTER TABLE public.ddl_target ADD COLUMN added text DEFAULT 'dflt';$ddl$) IS NOT NULL AS ok \gset
INSERT INTO public.ddl_target VALUES (10, 10, 'after add column', 'explicit');
UPDATE public.ddl_target SET added = 'updated' WHERE id = 1;
COMMIT;

BEGIN;
ALTER TABLE public.ddl_target ALTER COLUMN n TYPE numeric USING n::numeric;
SELECT pg_temp.emit_signed_ddl('ALTER TABLE public.ddl_target ALTER COLUMN n TYPE numeric USING n::numeric') IS NOT NULL AS ok \gset
UPDATE public.ddl_target SET n = 1.5 WHERE id = 1;
INSERT INTO public.ddl_target VALUES (11, 'NaN', 'numeric now', NULL);
COMMIT;

BEGIN;
ALTER TABLE public.ddl_target DROP COLUMN v;
ALTER TABLE public.ddl_target RENAME COLUMN added TO "Added ""renamed""";
ALTER TABLE public.ddl_target RENAME TO "ddl target; renamed";
ALTER TABLE public."ddl target; renamed" REPLICA IDENTITY FULL;
SELECT pg_temp.emit_signed_ddl($ddl$
ALTER TABLE public.ddl_target DROP COLUMN v;
ALTER TABLE public.ddl_target RENAME COLUMN added TO "Added ""renamed""";
ALTER TABLE public.ddl_target RENAME TO "ddl target; renamed";
ALTER TABLE public."ddl target; renamed" REPLICA IDENTITY FULL;
$ddl$) IS NOT NULL AS ok \gset
INSERT INTO public."ddl target; renamed" VALUES (12, 12, 'after rename');
UPDATE public."ddl target; renamed" SET "Added ""renamed""" = 'full identity now' WHERE id = 2;
DELETE FROM public."ddl target; renamed" WHERE id = 3;
COMMIT;

BEGIN;
CREATE TABLE public.ddl_new (id int PRIMARY KEY, m "My Schema"."mood ""enum""");
ALTER TYPE "My Schema"."mood ""enum""" ADD VALUE 'added later';
SELECT pg_temp.emit_signed_ddl($ddl$CREATE TABLE public.ddl_new (id int PRIMARY KEY, m "My Schema"."mood ""enum""");
ALTER TYPE "My Schema"."mood ""enum""" ADD VALUE 'added later';$ddl$) IS NOT NULL AS ok \gset
INSERT INTO public.ddl_new VALUES (1, 'sad');
COMMIT;
INSERT INTO public.ddl_new VALUES (2, 'added later');
UPDATE public.ddl_new SET m = 'added later' WHERE id = 1;

---------------------------------------------------------------------------
-- Rolled back: none of this may appear in the decoded SQL.
---------------------------------------------------------------------------
BEGIN;
INSERT INTO public."select" VALUES ('ROLLBACK-MARKER-1', 0, NULL);
UPDATE public.all_types SET c_text = 'ROLLBACK-MARKER-2' WHERE id = 1000;
TRUNCATE public.nopk, public.all_types_full;
ROLLBACK;

BEGIN;
INSERT INTO public."select" VALUES ('savepoint kept 1', 1, NULL);
SAVEPOINT a;
INSERT INTO public."select" VALUES ('ROLLBACK-MARKER-3', 0, NULL);
DELETE FROM public.all_types WHERE id = 1001;
SAVEPOINT b;
UPDATE public.toasty SET note = 'ROLLBACK-MARKER-4' WHERE id = 1;
ROLLBACK TO SAVEPOINT a;
INSERT INTO public."select" VALUES ('savepoint kept 2', 2, NULL);
SAVEPOINT c;
INSERT INTO public."select" VALUES ('savepoint released', 3, NULL);
RELEASE SAVEPOINT c;
SAVEPOINT d;
UPDATE public."select" SET "column" = 'ROLLBACK-MARKER-5' WHERE "user" = 'savepoint kept 1';
ROLLBACK TO d;
COMMIT;

DO $$
BEGIN
  INSERT INTO public."select" VALUES ('ROLLBACK-MARKER-6', 0, NULL);
  PERFORM 1 / 0;
EXCEPTION WHEN division_by_zero THEN
  INSERT INTO public."select" VALUES ('after exception', 0, NULL);
END $$;

-- A transaction aborted by an error (its COMMIT is a rollback).
\set ON_ERROR_STOP 0
BEGIN;
INSERT INTO public."select" VALUES ('ROLLBACK-MARKER-7', 0, NULL);
INSERT INTO public."select" VALUES ('upsert', 0, 'duplicate key: error');
COMMIT;
\set ON_ERROR_STOP 1

---------------------------------------------------------------------------
-- Interleaved transactions: A starts first and commits last, and its
-- UPDATE sees what B committed in between. Replayed in commit order only.
---------------------------------------------------------------------------
SELECT dblink_connect('a', :'connstr') IS NOT NULL AS connected \gset
SELECT dblink_exec('a', 'BEGIN') IS NOT NULL AS ok \gset
SELECT dblink_exec('a', $$INSERT INTO public.interleave VALUES (1, 'A first', 1)$$) IS NOT NULL AS ok \gset
BEGIN;
INSERT INTO public.interleave VALUES (2, 'B', 2);
UPDATE public.interleave SET n = n + 10 WHERE id = 0;
COMMIT;
SELECT dblink_exec('a', $$UPDATE public.interleave SET n = n * 100, who = who || ' + A' WHERE id IN (0, 2)$$) IS NOT NULL AS ok \gset
SELECT dblink_exec('a', 'COMMIT') IS NOT NULL AS ok \gset
SELECT dblink_disconnect('a') IS NOT NULL AS ok \gset

-- Sabotage target (run.sh deletes this UPDATE from the decoded SQL).
UPDATE public."select" SET "column" = 'sabotage-update-target' WHERE "user" = '🙂';
