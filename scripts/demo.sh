#!/usr/bin/env bash
# pg_scribe demo, for a fresh Debian bookworm machine (run as root or with
# sudo): installs the dependencies (SKIP_DEPS=1 skips apt-get), builds and
# installs pg_scribe (SKIP_BUILD=1 uses the one installed, e.g. by the
# Debian package: scripts/package-check.sh), starts a throwaway cluster,
# creates a database "shop", backs it up with scribe.init() while the background worker streams every
# later change (DML and DDL) as SQL, seals the stream with
# scribe.rotate_diff(), restores the backup with psql alone into
# "shop_restored" and with pg_scribe --restore into "shop_fast", and
# compares each with the source by pg_dump output and by a checksum of
# every table's rows. Exits non-zero if they differ.
# Everything is removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" = 0 ] && [ "${SKIP_DEPS:-0}" != 1 ]; then
  echo "== installing dependencies (apt-get)"
  bash scripts/install-deps.sh >/dev/null
fi
export PG_CONFIG=${PG_CONFIG:-$(command -v /usr/lib/postgresql/15/bin/pg_config || command -v pg_config)}
if [ "${SKIP_BUILD:-0}" = 1 ]; then
  echo "== using the installed pg_scribe ($($PG_CONFIG --bindir)/pg_scribe, $($PG_CONFIG --pkglibdir)/scribe.so)"
else
  echo "== building and installing"
  make -s -j2 PG_CONFIG="$PG_CONFIG"
  make -s install PG_CONFIG="$PG_CONFIG" >/dev/null
fi

# shellcheck source=tests/lib/cluster.sh
source tests/lib/cluster.sh
# shellcheck source=tests/lib/compare.sh
source tests/lib/compare.sh
work=
start_throwaway_cluster demo   # sets $work, removed at exit
echo "== throwaway cluster on port $PGPORT ($work)"
psql() { command psql -X -q -v ON_ERROR_STOP=1 "$@"; }
# Query output, indented.
show() { psql -d shop -P footer=off "$@" | sed '/^$/d; s/^/   /'; }

# The zstd command-line tool reads the compressed files back; gzip is the
# fallback where it is not installed.
if command -v zstd >/dev/null; then compression=zstd; else compression=gzip; fi
unpack="$compression -dc"

# The backup files belong to the postgres OS user (the server writes them),
# mode 0600 in 0700 directories: read them as that user.
backup=$work/backups/shop
mkdir -p "$work/backups"
if [ "$(id -u)" = 0 ]; then chown postgres: "$work/backups"; fi
read_backup_file() {
  case $1 in
    *.zst | *.gz) as_pg "$compression" -dc "$1" ;;
    *) as_pg cat "$1" ;;
  esac
}

echo "== creating database shop with some data"
createdb shop
psql -d shop <<'SQL'
CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL, email text, since timestamptz DEFAULT now());
CREATE TABLE products (id serial PRIMARY KEY, title text NOT NULL, price numeric(10,2), tags text[], image bytea);
CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                     customer int REFERENCES customers, product int REFERENCES products,
                     total numeric(12,2), items jsonb, note text);
CREATE TABLE events (at timestamptz, kind text, payload json);   -- no key: rows found by all their columns
ALTER TABLE events REPLICA IDENTITY FULL;
INSERT INTO customers VALUES (1, 'Alice', 'alice@example.com', '2026-01-01 10:00+00'),
                             (2, 'Bob O''Brien', NULL, '2026-02-03 04:05:06.789+01');
INSERT INTO products (title, price, tags, image)
  VALUES ('Tea "Earl Grey"', 4.50, '{tea,black}', '\x89504e47'),
         (E'Mug\nwith two lines', 9.99, '{}', NULL);
INSERT INTO orders (customer, product, total, items, note)
  SELECT 1 + g % 2, 1 + g % 2, g * 10.25, jsonb_build_object('sku', g, 'qty', g % 4), E'line one\nline two \\ backslash'
  FROM generate_series(1, 20) g;
SQL

echo "== CREATE EXTENSION scribe; SELECT * FROM scribe.init('$backup', compression => '$compression')"
psql -d shop -c "CREATE EXTENSION scribe"
show -c "SELECT * FROM scribe.init('$backup', compression => '$compression')"

echo "== writing to shop: inserts, updates, deletes, a rolled-back transaction"
psql -d shop <<'SQL'
INSERT INTO customers VALUES (3, 'Robert''); DROP TABLE customers; --', 'bobby@tables.example', now());
INSERT INTO orders (customer, product, total, items, note)
  SELECT 1 + g % 3, 1 + g % 2, g * 3.5, jsonb_build_object('sku', g), E'it''s\ttabbed'
  FROM generate_series(21, 60) g;
INSERT INTO products (title, price) VALUES ('Kettle', 29.00);
UPDATE orders SET total = total * 1.1 WHERE customer = 2;
DELETE FROM orders WHERE id % 7 = 0;
UPDATE customers SET email = 'bob@example.com' WHERE id = 2;
INSERT INTO events VALUES ('2026-11-21 12:00+00', 'login', '{"ip": "127.0.0.1"}'),
                          ('2026-11-21 12:00+00', 'login', '{"ip": "127.0.0.1"}');
DELETE FROM events WHERE ctid = (SELECT min(ctid) FROM events);   -- one of two identical rows
BEGIN; INSERT INTO customers VALUES (99, 'never committed'); ROLLBACK;
SQL
echo "== SELECT * FROM scribe.rotate_diff()   -- seals the first differential"
show -x -c "SELECT * FROM scribe.rotate_diff()"

echo "== more writes, with DDL: ALTER TABLE ... ADD COLUMN, CREATE TABLE"
psql -d shop <<'SQL'
ALTER TABLE customers ADD COLUMN vip boolean NOT NULL DEFAULT false;
UPDATE customers SET vip = true WHERE id = 1;
CREATE TABLE reviews (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
                      product int REFERENCES products, stars smallint CHECK (stars BETWEEN 1 AND 5), body text);
INSERT INTO reviews (product, stars, body) VALUES (1, 5, E'Lovely.\nWould "buy" again'), (2, 2, 'Chipped; sent back');
DELETE FROM products WHERE title = 'Kettle';
SQL
echo "== SELECT * FROM scribe.rotate_diff()   -- seals the second one"
show -x -c "SELECT * FROM scribe.rotate_diff()"

echo "== SELECT ... FROM scribe.status"
show -c "SELECT database, slot_name, state, current_chain, compression, diffs_in_chain, lag_bytes, warnings FROM scribe.status"
echo "== SELECT ... FROM scribe.chains()"
show -c "SELECT file, kind, bytes, start_lsn, end_lsn, transactions FROM scribe.chains()"
chain_dir=$(psql -d shop -At -c "SELECT backup_dir || '/chain-' || current_chain FROM scribe.status WHERE database = 'shop'")

echo "== restoring with psql alone into shop_restored"
echo "   psql -f globals.sql   (roles; errors for roles that already exist are expected)"
read_backup_file "$chain_dir/globals.sql" | command psql -X -q -d postgres >"$work/globals.log" 2>&1 || true
createdb -T template0 shop_restored
base=$(as_pg ls "$chain_dir" | grep '^base\.sql')
echo "   $unpack $base | psql -v ON_ERROR_STOP=1 -d shop_restored"
read_backup_file "$chain_dir/$base" | psql -d shop_restored >/dev/null
for diff in $(as_pg ls "$chain_dir" | grep '^diff-' | LC_ALL=C sort); do
  echo "   $unpack $diff | psql -v ON_ERROR_STOP=1 -d shop_restored"
  read_backup_file "$chain_dir/$diff" | psql -d shop_restored >/dev/null
done

echo "== comparing shop and shop_restored"
if compare_databases shop shop_restored "$work"; then
  sed 's/^/   /; s/|/  md5 of rows: /' "$work/shop.sums"
  echo "demo: the psql-only restore equals the source (pg_dump and per-table checksums)"
else
  echo "demo: restored database DIFFERS from the source (see above)" >&2
  exit 1
fi

pg_scribe=$(pg_config --bindir)/pg_scribe
echo "== pg_scribe --verify --backup-dir $backup"
"$pg_scribe" --verify --backup-dir "$backup" 2>&1 | sed 's/^/   /'
echo "== pg_scribe --restore --backup-dir $backup -d shop_fast --create --no-globals"
"$pg_scribe" --restore --backup-dir "$backup" -d shop_fast --create --no-globals 2>&1 | sed 's/^/   /'
echo "== comparing shop and shop_fast"
if compare_databases shop shop_fast "$work"; then
  echo "demo: restored database equals the source (pg_dump and per-table checksums)"
else
  echo "demo: pg_scribe --restore DIFFERS from the source (see above)" >&2
  exit 1
fi
