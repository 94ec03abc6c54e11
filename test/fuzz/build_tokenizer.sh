#!/usr/bin/env bash
# Builds the tokenizer's libFuzzer target on its own (test/fuzz/run.sh builds it
# with the others) and runs it:
#   test/fuzz/build_tokenizer.sh [OUT_DIR] [SECONDS]      (default build-fuzz-tok, 60)
# clang with -fsanitize=fuzzer,address,undefined (FUZZ_CC, default: clang-22's, else
# Debian's clang). Seeds: test/fuzz/corpus/tokenizer (read-only); new inputs go to
# OUT_DIR/corpus, findings to OUT_DIR/artifacts. One process (no -jobs), niced: the machine is
# shared. Exits non-zero on a finding.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-build-fuzz-tok}
SECS=${2:-60}
CC=${FUZZ_CC:-}
if [ -z "$CC" ]; then
  for c in /usr/lib/llvm-22/bin/clang clang; do
    if command -v "$c" >/dev/null 2>&1; then CC=$c; break; fi
  done
fi
[ -n "$CC" ] || { echo "fuzz: no clang found" >&2; exit 1; }
mkdir -p "$OUT/corpus" "$OUT/artifacts"
# shellcheck disable=SC2046
"$CC" -g -O1 -std=c99 -D_POSIX_C_SOURCE=200809L \
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
  -Iruntime/include -Iruntime/src \
  test/fuzz/fuzz_tokenizer.c runtime/src/json.c runtime/src/file.c \
  $(ls runtime/src/tokenizer/*.c) \
  -lutf8proc -o "$OUT/fuzz_tokenizer"
nice -n 10 "$OUT/fuzz_tokenizer" -max_total_time="$SECS" \
  -print_final_stats=1 -artifact_prefix="$OUT/artifacts/" \
  "$OUT/corpus" test/fuzz/corpus/tokenizer
