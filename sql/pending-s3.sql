-- The SQL API additions of the object-store repository (issue 20), as the
-- 0.2 -> 0.3 upgrade script sql/scribe--0.2--0.3.sql has them (and
-- sql/scribe--0.3.sql, the full 0.3 install script). The integrator may
-- fold these into whatever 0.3 becomes.
\i sql/scribe--0.2--0.3.sql
