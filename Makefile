# pg_scribe: top-level PGXS build.
#   make              builds the core library (src/core/libscribe_core.a, its
#                     sources listed in src/core/sources.txt), then wal2sql.so,
#                     scribe.so and the pg_scribe client, which link it
#   make install      installs them with the scribe extension's SQL (pg_scribe
#                     next to pg_dump, in PostgreSQL's bindir)
#   make installcheck runs the pg_regress tests against a running server
#                     configured as tests/regress/*.conf say (wal_level =
#                     logical, scribe preloaded, wal2sql in
#                     output_plugin_libraries)
#   make installcheck-temp
#                     the same tests against a throwaway instance that
#                     pg_regress creates, starts and stops itself
#                     (--temp-instance, --temp-config tests/regress/*.conf, as
#                     contrib/test_decoding does); needs nothing prepared but
#                     make install. Run as root, it runs as the postgres OS
#                     user (initdb and postgres refuse root).
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

# The expected output names the superuser postgres (SET ROLE postgres): the
# instance's bootstrap superuser is the OS user pg_regress runs as, so root
# hands it to postgres and another user is refused. The instance listens on
# a socket in a directory of its own only: no port is shared with anything.
# Kept (with its log) in build/regress/tmp_check when a test fails.
temp_instance = $(CURDIR)/build/regress/tmp_check
temp_configs = --temp-config=$(CURDIR)/tests/regress/logical.conf \
	$(if $(shell '$(bindir)/postgres' --describe-config 2>/dev/null | grep '^output_plugin_libraries'),--temp-config=$(CURDIR)/tests/regress/output_plugins.conf)
as_postgres = $(if $(filter 0,$(shell id -u)),runuser -u postgres --)
.PHONY: installcheck-temp
installcheck-temp: | regress-dir
	@if [ "$$(id -u)" != 0 ] && [ "$$(id -un)" != postgres ]; then \
	  echo "make installcheck-temp: run it as root or as the postgres OS user (the expected output names the superuser postgres)" >&2; exit 2; fi
	rm -rf '$(temp_instance)'
	$(if $(as_postgres),chown -R postgres: build/regress)
	$(as_postgres) env LC_ALL=C.UTF-8 $(MAKE) installcheck PG_CONFIG='$(PG_CONFIG)' \
	  EXTRA_REGRESS_OPTS="--temp-instance='$(temp_instance)' $(temp_configs) $(EXTRA_REGRESS_OPTS)"

.PHONY: all-subdirs install-subdirs clean-subdirs regress-dir
# The core static library first: the others link it.
all-subdirs:
	$(MAKE) -C src/core all
	$(MAKE) -C wal2sql all
	$(MAKE) -C scribe all
	$(MAKE) -C cli all
# After the build: under make -j, install's own `all` would otherwise build
# the same directories in parallel with it.
install-subdirs: all-subdirs
	$(MAKE) -C wal2sql install
	$(MAKE) -C scribe install
	$(MAKE) -C cli install
clean-subdirs:
	$(MAKE) -C src/core clean
	$(MAKE) -C wal2sql clean
	$(MAKE) -C scribe clean
	$(MAKE) -C cli clean
	rm -rf build/regress
regress-dir:
	mkdir -p build/regress
