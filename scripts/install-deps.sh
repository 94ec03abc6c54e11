#!/usr/bin/env bash
# Installs everything bertc needs to build and test on Debian 12 (bookworm):
#  - Debian packages (LLVM/MLIR 22 from bookworm-security, the rest from main);
#  - Halide 21, from PyPI's `halide` wheel, into a virtual environment under the build
#    tree (BUILD_DIR/_deps/halide-venv; never system-wide). Why 21 and not Debian's
#    Halide 14: bench/halide-choice.md.
# Idempotent: what is already present is skipped; apt-get and pip run only when something
# is missing. Usage: scripts/install-deps.sh [BUILD_DIR]   (default: build)
set -euo pipefail

BUILD_DIR=${1:-build}
HALIDE_VERSION=21.0.0
HALIDE_VENV="$BUILD_DIR/_deps/halide-venv"

PACKAGES=(
  build-essential cmake ninja-build pkg-config
  llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools
  clang-22 libclang-rt-22-dev
  clang-format clang-tidy
  libhalide14-0-dev
  libfmt-dev libgtest-dev libutf8proc-dev
  zlib1g-dev libzstd-dev libedit-dev libxml2-dev libcurl4-openssl-dev
  graphviz python3 python3-numpy python3-venv
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} Debian packages present"
else
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Halide: the wheel carries Halide.h, libHalide.so (LLVM linked in statically, with
# hidden symbols) and the standalone runtime. Only bertc needs it; libraries that
# bertc generates do not.
stamp="$HALIDE_VENV/.halide-$HALIDE_VERSION"
if [ -f "$stamp" ]; then
  echo "install-deps: Halide $HALIDE_VERSION present in $HALIDE_VENV"
else
  echo "install-deps: installing Halide $HALIDE_VERSION into $HALIDE_VENV"
  rm -rf "$HALIDE_VENV"
  mkdir -p "$(dirname "$HALIDE_VENV")"
  /usr/bin/python3 -m venv "$HALIDE_VENV"
  "$HALIDE_VENV/bin/pip" install -q --disable-pip-version-check --no-deps \
    "halide==$HALIDE_VERSION"
  touch "$stamp"
fi
