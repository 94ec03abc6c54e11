#!/usr/bin/env bash
# Adds sentence-transformers (test/tools/requirements-st.txt, --no-deps) to a venv that
# test/tools/setup-venv.sh made (torch, transformers):   test/tools/install-st.sh VENV_DIR
# Exits 0 when `import sentence_transformers` works afterwards, 1 otherwise (the callers then
# skip what needs it and say why). Nothing is installed outside VENV_DIR.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${1:?usage: install-st.sh VENV_DIR}"
py="$venv/bin/python"
check='from sentence_transformers import SentenceTransformer'
if "$py" -c "$check" 2>/dev/null; then
  exit 0
fi
echo "install-st: installing test/tools/requirements-st.txt into $venv (--no-deps)"
"$py" -m pip --disable-pip-version-check install --quiet --no-deps -r "$here/requirements-st.txt" ||
  echo "install-st: pip failed" >&2
"$py" -c "$check"
