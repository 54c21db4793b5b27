#!/usr/bin/env bash
# Installs what pg_scribe needs to build and test on Debian bookworm (root).
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2046
apt-get install -y -q --no-install-recommends $(grep -v '^#' scripts/packages.txt)
bash scripts/setup-locale.sh
