#!/usr/bin/env bash
# The soak (issue 19): compiles bert-tiny with BUILD_DIR's bertc (max batch 4,
# max seq 64), writes seeded weights, links test/soak/soak.c against the
# static library and runs it.
#
#   test/soak/run.sh [BUILD_DIR] [SECONDS] [THREADS]
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
SECONDS_TOTAL=${2:-600}
THREADS=${3:-4}
WORK="$BUILD/soak"
rm -rf "$WORK"
mkdir -p "$WORK"
"$BUILD/bin/bertc" compile examples/bert-tiny/config.json --name soak \
  --max-batch 4 --max-seq 64 -o "$WORK/lib/" 2> "$WORK/compile.log"
"$BUILD/bin/bertc" init-weights examples/bert-tiny/config.json \
  -o "$WORK/model.safetensors" --seed 11 --std 0.2 > /dev/null
cc -std=c99 -O2 -Wall -Wextra -I "$WORK/lib" test/soak/soak.c \
  "$WORK/lib/libsoak.a" -lpthread -ldl -lm -o "$WORK/soak"
"$WORK/soak" "$WORK/model.safetensors" "$THREADS" "$SECONDS_TOTAL"
