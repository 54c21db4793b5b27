-- Every row of every user table, one line each: table <TAB> row text, with
-- backslashes and newlines escaped; sorted. Only used to show what differs
-- when the checksums (checksums.sql, same settings) do not match.
\ir neutral_session.sql

SELECT format($q$SELECT %L || E'\t' || replace(replace(r, '\', '\\'), E'\n', '\n')
                 FROM (SELECT roundtrip_row_alias::text AS r FROM %I.%I roundtrip_row_alias) s
                 ORDER BY r COLLATE "C"$q$,
              replace(replace(format('%I.%I', n.nspname, c.relname), '\', '\\'), E'\n', '\n'),
              n.nspname, c.relname)
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r'
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname !~ '^pg_(toast|temp_|toast_temp_)'
ORDER BY n.nspname COLLATE "C", c.relname COLLATE "C"
\gexec
