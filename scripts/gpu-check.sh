#!/usr/bin/env bash
# The CUDA backend's device check (issue 17, part 6), in two halves:
#
#   scripts/gpu-check.sh prepare [--minilm DIR] [--bundle DIR]
#       on the development machine (needs build/bin/bertc and bert-run):
#       compiles the CUDA libraries into build/gpu-bundle (bert-tiny's
#       tiny-bmax golden, bert-base at max batch 32 / seq 128, both also with
#       --precision bf16 and f16, bert-large at 32 / 128, and all-MiniLM-L6-v2 when
#       --minilm names a directory with its config.json and model.safetensors,
#       carried as F16; --minilm demo: the copy `make demo` installs under
#       build/venv; bert-base in fp32, bf16 and f16 again with
#       --cuda-gemm=cublaslt), with bert-run and a manifest. A few MiB (about
#       50 with MiniLM), under the 64 MiB a device run may carry.
#
#   scripts/gpu-check.sh run [--bundle DIR] [--out FILE] [--dry-run]
#       on the machine with the GPU (nvcc, torch + CUDA, transformers; no
#       MLIR, Halide or network): per-kernel numerics of every generated
#       kernel against a float64 reference, each model end to end against
#       transformers on the same GPU (bf16 and f16 builds: no worse than
#       torch's bf16 / fp16 run), and bert-base b1/b8/b32 s128 (fp32, bf16, f16) and
#       bert-large b32 timings, CUDA graphs on and off, against torch fp16
#       (and bf16) eager with SDPA and torch.compile (--torch-compile MODE,
#       time-boxed by --compile-budget-s), and bert-base's ragged b32 (lengths
#       16..128) packed against padded; cuBLASLt: which GELU its GELU_BIAS
#       epilogue computes (erf or tanh) and its BIAS epilogue's numerics, the
#       cublaslt builds timed next to ours; JSON to
#       FILE (default gpu-check.json). --dry-run runs everything that needs
#       no GPU (bundle and kernel parsing, weights, inputs, the references
#       on the CPU) and records the GPU steps as skipped.
#
# Python: $PYTHON, else python3.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
python="${PYTHON:-python3}"

usage() {
  sed -n '2,30p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  exit 2
}

[ $# -ge 1 ] || usage
cmd="$1"
shift
case "$cmd" in
prepare | run) ;;
-h | --help) usage ;;
*)
  echo "gpu-check: unknown command '$cmd' (expected prepare or run)" >&2
  exit 2
  ;;
esac

exec "$python" "$here/gpu/check.py" "$cmd" --repo "$repo" "$@"
