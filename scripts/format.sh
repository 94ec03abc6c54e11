#!/usr/bin/env bash
# Formats the project's C, C++ and CUDA sources with Debian's clang-format
# (the version .ci/run checks with), or with --check only reports the files
# that differ and fails. Generated files, test inputs and fuzz corpora are
# not sources. Usage: scripts/format.sh [--check]
set -euo pipefail
cd "$(dirname "$0")/.."
CLANG_FORMAT=${CLANG_FORMAT:-clang-format}
mapfile -t files < <(git ls-files '*.c' '*.h' '*.cpp' '*.cu' |
  grep -v -e '^test/.*/Inputs/' -e '^test/fuzz/corpus/' -e '_tables\.h$')
if [[ ${1:-} == --check ]]; then
  bad=()
  for f in "${files[@]}"; do
    if ! "$CLANG_FORMAT" --dry-run --Werror "$f" >/dev/null 2>&1; then
      bad+=("$f")
    fi
  done
  if ((${#bad[@]})); then
    echo "format: ${#bad[@]} file(s) differ from $("$CLANG_FORMAT" --version | head -n1):" >&2
    printf '  %s\n' "${bad[@]}" >&2
    echo "format: run scripts/format.sh (or make format) and commit the result" >&2
    exit 1
  fi
  echo "format: ${#files[@]} files formatted"
else
  "$CLANG_FORMAT" -i "${files[@]}"
fi
