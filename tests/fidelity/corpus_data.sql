-- Stand-ins for the data files that the corpus's test_setup.sql loads with
-- server-side COPY (PostgreSQL's real files are not part of the corpus).
-- Same columns, same COPY text format, plausible values: unique1 a
-- permutation of 0..n-1 (7919 is prime to 1000 and 10000), unique2 the row
-- number, the other int columns derived from unique1 as in the real files.
-- Run with psql -v datadir=DIR (a directory the server may write to).

\set onek :datadir '/onek.data'
\set tenk :datadir '/tenk.data'
\set person :datadir '/person.data'
\set emp :datadir '/emp.data'
\set student :datadir '/student.data'
\set stud_emp :datadir '/stud_emp.data'
\set streets :datadir '/streets.data'

CREATE FUNCTION pg_temp.code(n int) RETURNS text LANGUAGE sql IMMUTABLE AS
$$ SELECT chr(65 + n % 26) || chr(65 + n / 26 % 26) || chr(65 + n / 676 % 26) || 'AAA' $$;

CREATE TEMP TABLE tenk_rows AS
SELECT u1 AS unique1, i AS unique2, u1 % 2 AS two, u1 % 4 AS four, u1 % 10 AS ten, u1 % 20 AS twenty,
       u1 % 100 AS hundred, u1 % 1000 AS thousand, u1 % 2000 AS twothousand, u1 % 5000 AS fivethous,
       u1 AS tenthous, (u1 % 100) * 2 + 1 AS odd, (u1 % 100) * 2 AS even,
       pg_temp.code(u1) AS stringu1, pg_temp.code(i) AS stringu2,
       repeat(substr('AHOV', i % 4 + 1, 1), 4) || 'xx' AS string4
  FROM (SELECT i, (i * 7919) % 10000 AS u1 FROM generate_series(0, 9999) i) s;

COPY (SELECT unique1 % 1000, unique2, two, four, ten, twenty, hundred, thousand, unique1 % 1000, unique1 % 1000,
             unique1 % 1000, odd, even, pg_temp.code(unique1 % 1000), stringu2, string4
        FROM tenk_rows WHERE unique2 < 1000 ORDER BY unique2) TO :'onek';
-- onek's unique1 must be a permutation of 0..999 too: (i * 7919) % 10000 % 1000 = (i * 919) % 1000 for i < 1000.
COPY (SELECT * FROM tenk_rows ORDER BY unique2) TO :'tenk';

CREATE TEMP TABLE people AS
SELECT i, 'name' || i AS name, 18 + i % 50 AS age, point(i * 1.5, -i * 2.25) AS location
  FROM generate_series(1, 60) i;
COPY (SELECT name, age, location FROM people WHERE i <= 15) TO :'person';
COPY (SELECT name, age, location, 1000 + i * 100, 'mgr' || i % 3 FROM people WHERE i BETWEEN 16 AND 30) TO :'emp';
COPY (SELECT name, age, location, 2.0 + (i % 20) / 10.0 FROM people WHERE i BETWEEN 31 AND 45) TO :'student';
COPY (SELECT name, age, location, 900 + i, 'mgr' || i % 3, 3.1, i % 100 FROM people WHERE i > 45) TO :'stud_emp';

COPY (SELECT CASE i % 3 WHEN 0 THEN 'I- ' || (500 + i) WHEN 1 THEN 'State Hwy ' || i ELSE 'Street ' || i END,
             format('[(%s,%s),(%s,%s)]', -122.0 - i / 100.0, 37.0 + i / 100.0, -122.01 - i / 100.0, 37.02 + i / 100.0)
        FROM generate_series(1, 300) i) TO :'streets';
