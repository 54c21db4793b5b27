-- One line per user table: name <TAB> row count <TAB> md5 of all rows.
-- The rows' text forms are sorted (byte order) and joined, so duplicates
-- count and physical order does not. The session settings are fixed here so
-- that both databases print every value the same exact way.
\ir neutral_session.sql
\pset fieldsep '\t'

SELECT format($q$SELECT %L, count(*), coalesce(md5(string_agg(r, E'\n' ORDER BY r COLLATE "C")), '-')
                 FROM (SELECT roundtrip_row_alias::text AS r FROM %I.%I roundtrip_row_alias) s$q$,
              replace(replace(format('%I.%I', n.nspname, c.relname), '\', '\\'), E'\n', '\n'),
              n.nspname, c.relname)
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname !~ '^pg_(toast|temp_|toast_temp_)'
ORDER BY n.nspname COLLATE "C", c.relname COLLATE "C"
\gexec
