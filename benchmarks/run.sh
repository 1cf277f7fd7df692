#!/usr/bin/env bash
# hmc against ONNX Runtime (CPU, onnxruntime-node) and PyTorch eager.
#
#   bash benchmarks/run.sh [--quick] [--workloads a,b] [--threads 1,2]
#                          [--lengths 256,1024] [--hmc PATH] [--out DIR]
#
# Installs the pinned onnxruntime-node into benchmarks/node/node_modules on
# first use (npm; its native CPU library ships inside the package), then runs
# benchmarks/harness.py with Debian's Python (/usr/bin/python3: torch, onnx,
# numpy, matplotlib). See benchmarks/README.md for the method.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# Exit status 77 (skipped, for ctest's smoke test) when a tool is missing.
for tool in node npm cc /usr/bin/python3; do
  if ! command -v "$tool" >/dev/null; then
    echo "benchmarks: $tool is missing" >&2
    exit 77
  fi
done

ort_package="$here/node/node_modules/onnxruntime-node/package.json"
if [ ! -f "$ort_package" ] || ! grep -q '"version": "1.30.0"' "$ort_package"; then
  echo "benchmarks: installing onnxruntime-node 1.30.0 into benchmarks/node" >&2
  # No registry reachable is a missing tool too, not a benchmark failure.
  if ! (cd "$here/node" &&
    ONNXRUNTIME_NODE_INSTALL=skip npm install --no-audit --no-fund --loglevel=error); then
    echo "benchmarks: npm could not install onnxruntime-node" >&2
    exit 77
  fi
fi

exec /usr/bin/python3 "$here/harness.py" "$@"
