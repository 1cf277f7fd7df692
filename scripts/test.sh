#!/usr/bin/env bash
# README command 2 (and CI): install, build, run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
bash scripts/build.sh
ctest --test-dir build --output-on-failure -j2
