#!/usr/bin/env bash
# Creates the venv that `make bench` runs in:   bench/setup-venv.sh [VENV_DIR]   (default build/bench-venv)
#
# 1. test/tools/setup-venv.sh VENV_DIR: torch (CPU use only, CUDA stub libraries instead of the
#    nvidia-* wheels), transformers, safetensors, numpy; the same pins as the test tooling, so the
#    reference outputs come from the same transformers as the goldens.
# 2. The peers of bench/requirements.txt, one block ("# [name]") at a time with --no-deps: a block
#    that fails to install is reported and skipped, the others still install, and the harness
#    leaves out the systems that need it. Only step 1 failing is fatal.
#
# Idempotent: VENV_DIR/.bench-stamp holds the hash of bench/requirements.txt when every block
# installed; when it matches, nothing is done. Nothing is installed outside VENV_DIR.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
venv="${1:-$root/build/bench-venv}"
case "$venv" in /*) ;; *) venv="$PWD/$venv" ;; esac
req="$here/requirements.txt"

"$root/test/tools/setup-venv.sh" "$venv" || { echo "bench/setup-venv: base venv failed" >&2; exit 1; }

want="$(sha256sum "$req" | cut -d' ' -f1)"
stamp="$venv/.bench-stamp"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "bench/setup-venv: peers up to date (stamp matches)"
  exit 0
fi

t0=$(date +%s)
pip=("$venv/bin/python" -m pip --disable-pip-version-check install --no-deps --quiet)
failed=()
block="" pkgs=()
flush() {
  [ ${#pkgs[@]} -eq 0 ] && return
  echo "bench/setup-venv: installing [$block] ${pkgs[*]}"
  if ! "${pip[@]}" "${pkgs[@]}"; then
    echo "bench/setup-venv: WARNING: [$block] failed to install; the harness will skip what needs it" >&2
    failed+=("$block")
  fi
  pkgs=()
}
while IFS= read -r line; do
  case "$line" in
    "# ["*"]"*) flush; block="${line#\# [}"; block="${block%%]*}" ;;
    "#"* | "") ;;
    *) pkgs+=("$line") ;;
  esac
done < "$req"
flush

"$venv/bin/python" - <<'PY'
import importlib
vers = []
for mod in ("torch", "transformers", "numpy", "onnx", "onnxruntime", "openvino", "matplotlib",
            "nncf"):
    try:
        vers.append(f"{mod} {importlib.import_module(mod).__version__}")
    except Exception as e:  # reported, not fatal: the harness skips the peer
        vers.append(f"{mod} UNAVAILABLE ({type(e).__name__}: {e})")
print("bench/setup-venv: " + ", ".join(vers))
PY
if [ ${#failed[@]} -eq 0 ]; then
  echo "$want" > "$stamp"
else
  echo "bench/setup-venv: blocks that failed: ${failed[*]} (will retry next time)" >&2
fi
echo "bench/setup-venv: done in $(( $(date +%s) - t0 ))s; venv size $(du -sh "$venv" | cut -f1)"
