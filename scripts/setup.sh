#!/usr/bin/env bash
# Installs hmc's build and test dependencies from Debian 12's apt (and
# nothing else). Safe to re-run: apt skips what is already installed.
set -euo pipefail

packages=(
  # MLIR / LLVM 19 (find_package(MLIR) needs all of these) and lit/FileCheck
  libmlir-19-dev mlir-19-tools llvm-19-dev llvm-19-tools clang-19
  # build basics; cc also links the generated libraries
  cmake ninja-build g++ gcc ccache
  # Halide 14 (kernels), ONNX 1.12 + protobuf (importer)
  libhalide14-0-dev libonnx-dev libprotobuf-dev protobuf-compiler
  # C++ libraries
  libfmt-dev libcli11-dev nlohmann-json3-dev libgtest-dev libgmock-dev
  # references and model export in tests and examples
  python3 python3-torch python3-onnx python3-numpy
  # benchmarks: the sgemm ceiling (OpenBLAS) and the plots
  libopenblas0-pthread libopenblas-dev python3-matplotlib
  # ONNX backend node tests (test/conformance)
  libonnx-testdata
  # libFuzzer and the sanitizer runtimes for clang (fuzz/, docs/testing.md)
  libclang-rt-19-dev
)

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null; then
    echo "hmc setup: run as root (or install sudo) to install packages" >&2
    exit 1
  fi
  sudo="sudo"
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "hmc setup: installing ${missing[*]}"
  $sudo apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${missing[@]}"
fi
