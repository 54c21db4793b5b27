#!/usr/bin/env bash
# Generates de_DE.UTF-8, the non-C locale the round-trip test decodes and
# replays money values under (root; needs the locales package).
set -euo pipefail
if locale -a 2>/dev/null | grep -qix 'de_DE\.utf-\?8'; then exit 0; fi
sed -i 's/^# *\(de_DE.UTF-8 UTF-8\)/\1/' /etc/locale.gen
grep -q '^de_DE.UTF-8 UTF-8' /etc/locale.gen || echo 'de_DE.UTF-8 UTF-8' >>/etc/locale.gen
locale-gen >/dev/null
