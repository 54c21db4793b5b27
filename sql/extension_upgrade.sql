-- ALTER EXTENSION scribe UPDATE from every earlier version gives the same
-- objects, with the same definitions, as CREATE EXTENSION of the current one.
\pset format unaligned
\pset tuples_only on
SET client_min_messages = warning;
CREATE TEMP TABLE definitions (how text, what text, definition text);
CREATE FUNCTION pg_temp.extension_objects() RETURNS TABLE (what text, definition text) LANGUAGE sql AS $$
  SELECT pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid),
         CASE d.classid
           WHEN 'pg_catalog.pg_proc'::pg_catalog.regclass THEN pg_catalog.pg_get_functiondef(d.objid)
           WHEN 'pg_catalog.pg_class'::pg_catalog.regclass THEN
             coalesce(pg_catalog.pg_get_viewdef(d.objid), '') || ' acl=' || coalesce((SELECT relacl::text FROM pg_catalog.pg_class WHERE oid = d.objid), '')
           WHEN 'pg_catalog.pg_event_trigger'::pg_catalog.regclass THEN
             (SELECT evtevent || ' ' || evtenabled::text || ' ' || evtfoid::regproc::text FROM pg_catalog.pg_event_trigger WHERE oid = d.objid)
           ELSE '' END
    FROM pg_catalog.pg_depend d
   WHERE d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass
     AND d.refobjid = (SELECT oid FROM pg_catalog.pg_extension WHERE extname = 'scribe')
     AND d.deptype = 'e'
$$;
CREATE EXTENSION scribe VERSION '0.1';
ALTER EXTENSION scribe UPDATE;
SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'scribe';
INSERT INTO definitions SELECT 'updated', * FROM pg_temp.extension_objects();
DROP EXTENSION scribe;
CREATE EXTENSION scribe;
INSERT INTO definitions SELECT 'installed', * FROM pg_temp.extension_objects();
DROP EXTENSION scribe;
-- Nothing only on one side.
SELECT how, what FROM definitions d
 WHERE NOT EXISTS (SELECT 1 FROM definitions e
                    WHERE e.how <> d.how AND e.what = d.what AND e.definition IS NOT DISTINCT FROM d.definition)
 ORDER BY 2, 1;
SELECT count(*) >= 20 AS compared FROM definitions WHERE how = 'installed';
