# shellcheck shell=bash
# What the demos (scripts/demo.sh, scripts/demo-bert-base.sh) share, sourced
# after `set -euo pipefail`: the build they use (BUILD_DIR, their first
# argument; the tools in BUILD_DIR/bin), the source tree, how they stop on an
# error, and the check that the tools they run are built.
BUILD_DIR=${1:-build}
SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN="$BUILD_DIR/bin"

die() {
  echo "demo: error: $*" >&2
  exit 1
}

# need_tools TOOL...: stops unless each TOOL is built in BIN.
need_tools() {
  local tool
  for tool in "$@"; do
    [[ -x $BIN/$tool ]] || die "$BIN/$tool not found (build first: make build)"
  done
}
