# Throwaway PostgreSQL clusters for tests and demos. Source this file.
#
#   cluster_start DIR [PORT]   initdb + start a cluster in DIR (created), on a
#                              loopback port and a socket in DIR, configured
#                              for logical decoding with wal2sql
#   cluster_stop DIR           stop it (immediately) and remove DIR
#   CLUSTER_EXTRA_CONF         extra postgresql.conf lines for cluster_start
#   as_pg CMD...               run CMD as the postgres OS user when we are root
#                              (initdb and postgres refuse to run as root)
#
# After cluster_start, PGHOST, PGPORT and PGUSER point at the cluster.

PG_BINDIR=${PG_BINDIR:-$(pg_config --bindir)}
# The test servers' settings (tests/regress/*.conf), shared with
# make installcheck-temp.
cluster_conf_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/../regress" && pwd)

as_pg() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

cluster_start() {
  local dir=$1 port=${2:-$((20000 + RANDOM % 20000))}
  mkdir -p "$dir"
  chmod 755 "$dir"
  if [ "$(id -u)" = 0 ]; then chown postgres: "$dir"; fi
  as_pg "$PG_BINDIR/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; return 1; }
  cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
CONF
  # The settings of make installcheck-temp's instance: logical decoding,
  # scribe preloaded, and the plugins that slots may name where the server
  # has that setting (a server refuses to start on a setting it does not
  # know).
  cat "$cluster_conf_dir/logical.conf" >>"$dir/data/postgresql.conf"
  # (grep without -q reads to the end: under pipefail an early close fails postgres)
  if "$PG_BINDIR/postgres" --describe-config 2>/dev/null | grep '^output_plugin_libraries' >/dev/null; then
    cat "$cluster_conf_dir/output_plugins.conf" >>"$dir/data/postgresql.conf"
  fi
  # Test-specific settings; later lines win.
  if [ -n "${CLUSTER_EXTRA_CONF:-}" ]; then printf '%s\n' "$CLUSTER_EXTRA_CONF" >>"$dir/data/postgresql.conf"; fi
  as_pg "$PG_BINDIR/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null ||
    { cat "$dir/server.log" >&2; return 1; }
  export PGHOST=$dir PGPORT=$port PGUSER=postgres
}

cluster_stop() {
  local dir=$1
  [ -d "$dir/data" ] && as_pg "$PG_BINDIR/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1
  rm -rf "$dir"
}

# start_throwaway_cluster [NAME]: a work directory $work (world-readable, so
# the postgres OS user reaches it) holding a started cluster in
# $work/cluster; both are removed when the script exits. PATH gets the
# server's binaries first.
start_throwaway_cluster() {
  work=$(mktemp -d "/tmp/pg_scribe_${1:-test}.XXXXXX")
  chmod 755 "$work"
  # shellcheck disable=SC2064 # expand $work now
  trap "cluster_stop '$work/cluster'; rm -rf '$work'" EXIT
  cluster_start "$work/cluster"
  export PATH="$PG_BINDIR:$PATH"
}
