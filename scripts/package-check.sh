#!/usr/bin/env bash
# CI's package stage (root, Debian bookworm; run before any `make install`):
# builds the Debian package from debian/ (pg_buildext, one
# postgresql-<version>-scribe per installed server version listed in
# debian/pgversions: 15 here), checks its file list, installs it with
# apt-get, runs the README's demo (scripts/demo.sh) against the installed
# files, and removes the package again, so that what runs after it sees
# only what `make install` puts there.
#
# The package is built from a copy of the tree in a temporary directory:
# dpkg-buildpackage writes the .deb files into the parent of the source
# directory and pg_buildext builds in place. The .deb files are kept in
# build/package/.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
start=$SECONDS
echo "== installing the package's build dependencies (debian/control)"
apt-get build-dep -y -q --no-install-recommends ./ >/dev/null

tmp=$(mktemp -d /tmp/package-check.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/pg-scribe"
tar -c --exclude=./.git --exclude=./build --exclude='*.o' --exclude='*.so' --exclude='*.a' \
  --exclude=./cli/pg_scribe . | tar -x -C "$tmp/pg-scribe"
echo "== dpkg-buildpackage -us -uc -b"
(cd "$tmp/pg-scribe" && dpkg-buildpackage -us -uc -b -j2 >"$tmp/build.log" 2>&1) || {
  tail -40 "$tmp/build.log" >&2
  echo "package-check: dpkg-buildpackage failed" >&2
  exit 1
}
rm -rf build/package
mkdir -p build/package
cp "$tmp"/*.deb build/package/
deb=$(ls build/package/postgresql-15-scribe_*.deb)
echo "== $deb"
dpkg -c "$deb" | awk '{print "   " $NF}'
contents=$(dpkg -c "$deb" | awk '{print $NF}')
# The libraries, the client, the control file and every SQL script the
# Makefile's DATA lists.
expected=(/usr/lib/postgresql/15/lib/scribe.so /usr/lib/postgresql/15/lib/wal2sql.so
  /usr/lib/postgresql/15/bin/pg_scribe /usr/share/postgresql/15/extension/scribe.control)
for f in $(sed -n 's/^DATA = //p' Makefile); do expected+=("/usr/share/postgresql/15/extension/${f##*/}"); done
for f in "${expected[@]}"; do
  grep -qxF ".$f" <<<"$contents" || {
    echo "package-check: $f is not in $deb" >&2
    exit 1
  }
done

echo "== apt-get install ./$deb"
apt-get install -y -q "./$deb" >/dev/null
SKIP_DEPS=1 SKIP_BUILD=1 PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config PG_BINDIR=/usr/lib/postgresql/15/bin \
  bash scripts/demo.sh
echo "== apt-get remove postgresql-15-scribe"
apt-get remove -y -q postgresql-15-scribe >/dev/null
echo "package stage: $((SECONDS - start)) s"
