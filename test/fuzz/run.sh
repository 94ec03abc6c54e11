#!/usr/bin/env bash
# Builds every libFuzzer target test/fuzz/fuzz_*.c and fuzz_*.cpp with
# clang (-fsanitize=fuzzer,address,undefined) and runs each for a budget.
#
#   test/fuzz/run.sh [BUILD_DIR] [SECONDS] [TARGET...]
#
# Targets link the runtime (runtime/src/**/*.c, as an archive: only what a
# target calls); C++ targets also link the compiler's config reader and
# LLVM 22. A target that needs more libraries lists linker arguments in
# test/fuzz/fuzz_<name>.ldflags (one line). Seeds come from
# test/fuzz/corpus/<target> (without the fuzz_ prefix), read-only; what the
# fuzzer finds goes to BUILD_DIR/corpus/<target>, crashes to
# BUILD_DIR/artifacts. Exits non-zero when a target finds anything.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-build-fuzz}
SECONDS_PER_TARGET=${2:-60}
shift $(( $# > 2 ? 2 : $# ))
ONLY=("$@")

LLVM=/usr/lib/llvm-22
CC=${FUZZ_CC:-$LLVM/bin/clang}
CXX=${FUZZ_CXX:-$LLVM/bin/clang++}
if [ ! -x "$CC" ]; then
  echo "fuzz: $CC not found (scripts/install-deps.sh installs clang-22)" >&2
  exit 1
fi
SAN="-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all"
# The library objects: instrumented for coverage, without libFuzzer's main.
LIBSAN="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all"
CFLAGS="-g -O1 -std=c99 -D_POSIX_C_SOURCE=200809L -Iruntime/src -Iruntime/include"
# LLVM is built with RTTI, but UBSan's vptr check needs it on every class;
# leave that one check out rather than rebuild LLVM.
CXXFLAGS="-g -O1 -std=c++17 -I. -Iruntime/include -Iruntime/src -I$LLVM/include -fno-exceptions -fno-sanitize=vptr"

# The tokenizer in runtime/src/tokenizer uses utf8proc; linked as needed.
LIBS="$(pkg-config --libs libutf8proc 2>/dev/null || echo -lutf8proc) -lpthread -lm"

mkdir -p "$OUT/obj" "$OUT/bin" "$OUT/artifacts"
# Runtime objects, rebuilt when a source is newer, in one archive.
objs=()
while IFS= read -r src; do
  obj="$OUT/obj/$(echo "${src%.c}" | tr / _).o"
  if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ]; then
    $CC $CFLAGS $LIBSAN -c "$src" -o "$obj"
  fi
  objs+=("$obj")
done < <(find runtime/src -name '*.c' | sort)
rm -f "$OUT/libbertrt-fuzz.a"
ar rcs "$OUT/libbertrt-fuzz.a" "${objs[@]}"
# The compiler sources the C++ targets exercise.
cxxobjs=()
for src in compiler/frontend/ConfigReader.cpp support/ReadFile.cpp \
    support/ScheduleCache.cpp support/TargetRegistry.cpp; do
  obj="$OUT/obj/$(echo "${src%.cpp}" | tr / _).o"
  if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ]; then
    $CXX $CXXFLAGS $LIBSAN -c "$src" -o "$obj"
  fi
  cxxobjs+=("$obj")
done

status=0
for src in test/fuzz/fuzz_*.c test/fuzz/fuzz_*.cpp; do
  [ -e "$src" ] || continue
  base=$(basename "$src"); base=${base%.*}
  name=${base#fuzz_}
  if [ ${#ONLY[@]} -gt 0 ] && [[ ! " ${ONLY[*]} " =~ " $name " ]]; then
    continue
  fi
  bin="$OUT/bin/$base"
  extra=()
  [ -f "test/fuzz/$base.ldflags" ] && read -r -a extra < "test/fuzz/$base.ldflags"
  case "$src" in
    *.c) $CC $CFLAGS $SAN "$src" "$OUT/libbertrt-fuzz.a" "${extra[@]}" \
           $LIBS -o "$bin" ;;
    *.cpp) $CXX $CXXFLAGS $SAN "$src" "${cxxobjs[@]}" "$OUT/libbertrt-fuzz.a" \
             "${extra[@]}" -L$LLVM/lib -Wl,-rpath,$LLVM/lib -lLLVM $LIBS \
             -o "$bin" ;;
  esac
  mkdir -p "$OUT/corpus/$name" "test/fuzz/corpus/$name"
  # Seeds in a model file format are generated, not tracked in git.
  [ "$name" = safetensors ] && python3 test/fuzz/safetensors_seeds.py "$OUT/corpus/$name"
  dict=()
  [ -f "test/fuzz/$name.dict" ] && dict=("-dict=test/fuzz/$name.dict")
  echo "== fuzz $name for ${SECONDS_PER_TARGET}s"
  if ! "$bin" "${dict[@]}" -max_total_time="$SECONDS_PER_TARGET" \
      -print_final_stats=1 -artifact_prefix="$OUT/artifacts/$name-" \
      "$OUT/corpus/$name" "test/fuzz/corpus/$name" 2>"$OUT/$name.log"; then
    echo "fuzz: $name found a problem; see $OUT/$name.log and $OUT/artifacts" >&2
    status=1
  fi
  grep -E "^#[0-9]+.*DONE|stat::number_of_executed_units|stat::average_exec_per_sec|stat::new_units_added|stat::peak_rss_mb" "$OUT/$name.log" || true
done
exit $status
