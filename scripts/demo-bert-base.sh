#!/usr/bin/env bash
# bertc end to end on random weights, in one short screen (`make demo-bert-base`):
#  1. compile examples/bert-base/config.json into BUILD_DIR/demo/bert-base/
#     (--max-batch 1 --max-seq 128, to keep it quick);
#  2. write random weights with Hugging Face names (seed 0), unless present;
#  3. build examples/run_bert.c against the static libbert_base.a and run it on one
#     sequence; then time the library with `bert-run --bench 20`.
# It prints a summary of the compiled IR (from the compiler's progress lines, the
# generated header's #defines and init-weights' report), the compile time, the first
# pooled values and the latency. Any failing step stops the demo with its output.
# Usage: scripts/demo-bert-base.sh [BUILD_DIR]   (default: build; the tools in BUILD_DIR/bin)
set -euo pipefail

# shellcheck source=scripts/demo-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/demo-common.sh"
CONFIG="$SRC_DIR/examples/bert-base/config.json"
OUT="$BUILD_DIR/demo/bert-base"
NAME=bert_base
IDS=(101 7592 1010 2088 999 102) # "[CLS] hello , world ! [SEP]"
CC=${CC:-cc}

# step LOG CMD...: runs CMD with its output in LOG; on failure shows LOG and stops.
step() {
  local log=$1
  shift
  local rc=0
  "$@" >"$log" 2>&1 || rc=$?
  if ((rc != 0)); then
    echo "demo: error: '$*' failed (exit $rc); its output ($log):" >&2
    sed 's/^/  /' "$log" >&2
    exit 1
  fi
}

# define NAME: the value of `#define BERT_BASE_<NAME>` in the generated header.
define() {
  local v
  v=$(sed -n "s/^#define BERT_BASE_$1 \([0-9]*\)\$/\1/p" "$OUT/$NAME.h")
  [[ -n $v ]] || die "$OUT/$NAME.h: no #define BERT_BASE_$1"
  echo "$v"
}

# field LOG SED-REGEX [N]: capture N (default 1) of the regex's first match in LOG,
# or a loud failure.
field() {
  local v
  v=$(sed -n "s/$2/\\${3:-1}/p" "$1" | head -n 1)
  [[ -n $v ]] || die "$1: no line matching '$2'"
  echo "$v"
}

need_tools bertc bert-run
mkdir -p "$OUT"
echo "bertc demo: $CONFIG -> $OUT/"

# 1. Compile, and summarize what the compiler built.
step "$OUT/compile.log" "$BIN/bertc" compile "$CONFIG" --name "$NAME" \
  --max-batch 1 --max-seq 128 -o "$OUT/"
plan='^\[1\/4\] plan: \([0-9]*\) kernel calls, \([0-9]*\) distinct kernels,.*'
calls=$(field "$OUT/compile.log" "$plan")
kernels=$(field "$OUT/compile.log" "$plan" 2)
compile_s=$(field "$OUT/compile.log" "^compiled '$NAME' in \([0-9.]* s\)$")
arena=$(define ARENA_BYTES)
echo "  compiled  lib$NAME.{so,a} in $compile_s (max batch 1, max seq 128)"
echo "  IR        $(define NUM_LAYERS) layers, hidden $(define HIDDEN_SIZE)," \
  "$(define NUM_HEADS) heads; $kernels distinct kernels, $calls kernel calls," \
  "$(define NUM_WEIGHT_TENSORS) weight slots"
echo "  arena     $arena bytes" \
  "($(awk -v b="$arena" 'BEGIN { printf "%.2f MiB", b / 1048576 }')) of scratch per bert_run call"

# 2. Weights: written once, through temporary names, so that an interrupted run
#    never leaves a partial file that looks present.
weights_note="kept from an earlier run"
if [[ ! -f $OUT/model.safetensors || ! -f $OUT/init-weights.log ]]; then
  weights_note="written now"
  step "$OUT/init-weights.log.tmp" "$BIN/bertc" init-weights "$CONFIG" \
    -o "$OUT/model.safetensors.tmp" --seed 0
  mv "$OUT/model.safetensors.tmp" "$OUT/model.safetensors"
  mv "$OUT/init-weights.log.tmp" "$OUT/init-weights.log"
fi
tensors=$(field "$OUT/init-weights.log" '.*wrote \([0-9]*\) tensors.*')
params=$(field "$OUT/init-weights.log" '.*(\([0-9]*\) float32 parameters.*')
echo "  weights   $tensors tensors, $params parameters ($(awk -v p="$params" 'BEGIN { printf "%.1f M", p / 1e6 }'));" \
  "random (seed 0), $weights_note"

# 3. Build the example against the static library and run it on one sequence.
step "$OUT/cc.log" "$CC" -std=c99 -O2 -Wall -I "$OUT" "$SRC_DIR/examples/run_bert.c" \
  "$OUT/lib$NAME.a" -lpthread -ldl -lm -o "$OUT/run_bert"
step "$OUT/run_bert.log" "$OUT/run_bert" "$OUT/model.safetensors" "${IDS[@]}"
echo "run_bert (examples/run_bert.c linked with lib$NAME.a):"
sed 's/^/  /' "$OUT/run_bert.log"

# 4. Benchmark the shared library on the same ids.
ids_csv=$(IFS=, && echo "${IDS[*]}")
step "$OUT/bench.log" "$BIN/bert-run" "$OUT/lib$NAME.so" "$OUT/model.safetensors" \
  --ids "$ids_csv" --bench 20
echo "bert-run --bench 20 (lib$NAME.so):"
sed 's/^/  /' "$OUT/bench.log"
echo "demo done in ${SECONDS} s"
