#!/usr/bin/env bash
# README command 1: install, build, compile the bundled HyperMixing layer
# into a shared library, run it, print the output summary and the latency.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
bash scripts/build.sh

example=examples/hypermixing_layer
out=build/demo
rm -rf "$out"
echo "== hmc compile $example/hypermixing_layer.onnx -o $out"
build/bin/hmc compile "$example/hypermixing_layer.onnx" -o "$out"
ls -l "$out"
echo "== hmc run $out/libhypermixing_layer.so (batch 2, 50 tokens, second row padded)"
build/bin/hmc run "$out/libhypermixing_layer.so" \
  --input x="$example/x.npy" --input mask="$example/mask.npy" \
  --output-dir "$out/results" --repeat 100
/usr/bin/python3 "$example/make_model.py" --check "$out/results/y.npy"
