#!/usr/bin/env bash
# Build matmul_bench.cpp against Debian's Halide 14 and PyPI's Halide 21 and run both.
# Usage: bench/halide_matmul/run.sh [H21_PREFIX]   (default: build-halide/venv wheel)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=${OUT:-/tmp/halide_matmul_bench}
H21=${1:-$ROOT/build-halide/venv/lib/python3.11/site-packages/halide}
mkdir -p "$OUT"
g++ -O2 -march=native -pthread "$HERE/fma_peak.cpp" -o "$OUT/fma_peak"
t0=$(date +%s.%N)
g++ -std=c++17 -O2 "$HERE/matmul_bench.cpp" -I/usr/include/halide14 -lHalide14 -lpthread -ldl -o "$OUT/bench14"
t1=$(date +%s.%N)
g++ -std=c++17 -O2 "$HERE/matmul_bench.cpp" -I"$H21/include" -L"$H21/lib64" -lHalide \
    -Wl,-rpath,"$H21/lib64" -lpthread -ldl -o "$OUT/bench21"
t2=$(date +%s.%N)
echo "# build (g++ -O2 of the bench): halide14 $(echo "$t1-$t0" | bc)s halide21 $(echo "$t2-$t1" | bc)s"
grep -m1 'model name' /proc/cpuinfo; uptime
"$OUT/fma_peak" 2
SHAPES="128 768 768 128 3072 768"
for thr in 1 2; do
  for v in 14 21; do
    HL_NUM_THREADS=$thr "$OUT/bench$v" $SHAPES
  done
done
uptime
"$OUT/fma_peak" 2   # load sentinel: must match the first peak, else discard the run
