#!/usr/bin/env bash
# The venv `make docs` builds the guide in:   scripts/setup-docs-venv.sh [VENV_DIR]  (default build/docs-venv)
#  - docs/guide/requirements.txt (MkDocs, Material, pymdown-extensions, matplotlib, NumPy; the
#    complete pinned closure) from PyPI into VENV_DIR, with --no-deps;
#  - Debian's libjs-katex through apt-get when /usr/share/javascript/katex is missing: the site
#    serves KaTeX itself (no CDN). It is not in scripts/install-deps.sh because nothing but the
#    docs needs it.
# Idempotent: VENV_DIR/.docs-stamp holds the hash of the requirements; when it matches, pip is
# not run. Nothing is installed outside VENV_DIR except the Debian package.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${1:-$root/build/docs-venv}"
req="$root/docs/guide/requirements.txt"

if [ ! -f /usr/share/javascript/katex/katex.min.js ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "setup-docs-venv: installing libjs-katex (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q && $SUDO apt-get install -y -q --no-install-recommends libjs-katex
fi

want="$(sha256sum "$req" | cut -d' ' -f1)"
if [ -f "$venv/.docs-stamp" ] && [ "$(cat "$venv/.docs-stamp")" = "$want" ]; then
  echo "setup-docs-venv: $venv up to date"
  exit 0
fi
[ -x "$venv/bin/python" ] || /usr/bin/python3 -m venv "$venv"
echo "setup-docs-venv: installing docs/guide/requirements.txt into $venv"
"$venv/bin/python" -m pip --disable-pip-version-check install -q --no-deps -r "$req"
echo "$want" > "$venv/.docs-stamp"
