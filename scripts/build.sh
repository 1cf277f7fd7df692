#!/usr/bin/env bash
# Configures and builds hmc into build/ (Release, Ninja, ccache when present).
set -euo pipefail
cd "$(dirname "$0")/.."

launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
cmake -G Ninja -S . -B build -DCMAKE_BUILD_TYPE=Release "${launcher[@]}"
cmake --build build
