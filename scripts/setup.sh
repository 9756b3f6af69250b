#!/usr/bin/env bash
# Installs what optgraph needs (Debian packages, Python packages) when it is
# missing, then configures and builds into build/. Safe to run again: a
# second run only rebuilds what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

# clang-22 and its runtimes build the sanitized fuzzing build
# (scripts/fuzz.sh).
APT_PACKAGES=(llvm-22-dev libmlir-22-dev mlir-22-tools llvm-22-tools lld-22
              clang-22 libclang-rt-22-dev cmake ninja-build ccache g++)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

PYTHON=${PYTHON:-$(command -v python3)}
if ! "$PYTHON" -c "import numpy, scipy" 2>/dev/null; then
  echo "setup: installing numpy and scipy for $PYTHON"
  # pip where the interpreter allows it; Debian's own packages for Debian's
  # externally managed python3.
  "$PYTHON" -m pip install -q numpy scipy ||
    { SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
      $SUDO apt-get install -y -q python3-numpy python3-scipy; }
  "$PYTHON" -c "import numpy, scipy" ||
    { echo "setup: numpy and scipy are missing for $PYTHON" >&2; exit 1; }
fi

LAUNCHER=()
command -v ccache >/dev/null && LAUNCHER=(-DCMAKE_C_COMPILER_LAUNCHER=ccache
                                          -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
if [ ! -f build/build.ninja ]; then
  cmake -S . -B build -G Ninja \
    -DCMAKE_BUILD_TYPE=Release \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
    -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit \
    -DPython3_EXECUTABLE="$PYTHON" \
    "-DCMAKE_EXE_LINKER_FLAGS=-B/usr/lib/llvm-22/bin -fuse-ld=lld" \
    "-DCMAKE_MODULE_LINKER_FLAGS=-B/usr/lib/llvm-22/bin -fuse-ld=lld" \
    "${LAUNCHER[@]}"
fi
cmake --build build
