# pg_scribe: top-level PGXS build.
#   make              builds wal2sql.so, scribe.so and the pg_scribe client
#   make install      installs them with the scribe extension's SQL (pg_scribe
#                     next to pg_dump, in PostgreSQL's bindir)
#   make installcheck runs the pg_regress tests against a running server
#                     (wal_level = logical, wal2sql in output_plugin_libraries;
#                     tests/run.sh starts such a server)
EXTENSION = scribe
DATA = sql/scribe--0.1.sql sql/scribe--0.2.sql sql/scribe--0.1--0.2.sql sql/scribe--0.3.sql sql/scribe--0.2--0.3.sql

REGRESS = wal2sql_options wal2sql_types wal2sql_identity wal2sql_toast wal2sql_truncate \
	wal2sql_partitions wal2sql_generated wal2sql_messages wal2sql_filters wal2sql_names \
	wal2sql_transactions wal2sql_schema_changes wal2sql_domains wal2sql_unreadable wal2sql_triggers \
	ddl_capture ddl_rows ddl_nontransactional ddl_rewrites ddl_replica_identity \
	ddl_temporary ddl_without_event_trigger ddl_partition_bounds ddl_large_objects extension_upgrade \
	wal2sql_globals_order
REGRESS_OPTS = --inputdir=$(CURDIR) --outputdir=$(CURDIR)/build/regress


PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

all: all-subdirs
install: install-subdirs
clean: clean-subdirs
installcheck: | regress-dir

.PHONY: all-subdirs install-subdirs clean-subdirs regress-dir
# One after the other: they compile the shared core objects.
all-subdirs:
	$(MAKE) -C wal2sql all
	$(MAKE) -C scribe all
	$(MAKE) -C cli all
install-subdirs:
	$(MAKE) -C wal2sql install
	$(MAKE) -C scribe install
	$(MAKE) -C cli install
clean-subdirs:
	$(MAKE) -C wal2sql clean
	$(MAKE) -C scribe clean
	$(MAKE) -C cli clean
	rm -rf build/regress
regress-dir:
	mkdir -p build/regress
