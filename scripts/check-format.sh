#!/usr/bin/env bash
# Every C/C++ file of the project formatted as .clang-format says: names each
# file clang-format would change and fails; passes silently otherwise.
#
#   scripts/check-format.sh          check (tests/run.sh's first suite, "format")
#   scripts/check-format.sh --diff   check, and show what would change
#   scripts/check-format.sh --fix    reformat those files in place
#
# The project's files are those git knows (tracked, or new and not ignored):
# build directories are ignored, and nothing vendored is kept in the tree.
# The reference is Debian bookworm's clang-format (14, the clang-format
# package, as CI installs it); other versions may format some lines
# otherwise. CLANG_FORMAT names another binary.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=check
case "${1:-}" in
  "") ;;
  --diff) mode="diff" ;;
  --fix) mode="fix" ;;
  *) echo "usage: scripts/check-format.sh [--diff | --fix]" >&2; exit 2 ;;
esac
clang_format=${CLANG_FORMAT:-clang-format}
command -v "$clang_format" >/dev/null ||
  { echo "check-format: no $clang_format here (apt-get install clang-format)" >&2; exit 2; }
[ -f .clang-format ] || { echo "check-format: no .clang-format in $(pwd)" >&2; exit 2; }

sources='\.(c|cc|cpp|cxx|h|hh|hpp|hxx)$'
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t files < <(git ls-files --cached --others --exclude-standard | grep -E "$sources" | sort -u)
else
  mapfile -t files < <(find . -path ./build -prune -o -type f -print | sed 's|^\./||' | grep -E "$sources" | sort)
fi
[ ${#files[@]} -gt 0 ] || { echo "check-format: no C/C++ file found" >&2; exit 2; }

changed=()
for f in "${files[@]}"; do
  [ -f "$f" ] || continue  # deleted, not yet committed
  # (Under pipefail a clang-format that fails, or that cmp stops early at
  # a first difference, fails the test too: either way the file is named.)
  "$clang_format" --style=file "$f" | cmp -s - "$f" || changed+=("$f")
done

if [ ${#changed[@]} = 0 ]; then
  echo "check-format: ${#files[@]} files formatted as .clang-format says ($("$clang_format" --version | grep -o 'version [0-9.]*'))"
  exit 0
fi
if [ "$mode" = fix ]; then
  "$clang_format" --style=file -i "${changed[@]}"
  printf 'reformatted %s\n' "${changed[@]}"
  exit 0
fi
for f in "${changed[@]}"; do
  echo "check-format: $f would change (scripts/check-format.sh --fix rewrites it)" >&2
  if [ "$mode" = diff ]; then "$clang_format" --style=file "$f" | diff -u --label "$f" --label "$f (clang-format)" "$f" - >&2 || true; fi
done
echo "check-format: ${#changed[@]} of ${#files[@]} files are not formatted as .clang-format says" >&2
exit 1
