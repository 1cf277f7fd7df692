#!/usr/bin/env bash
# hmc's CUDA libraries on a machine with an NVIDIA GPU (no network needed):
# the end-to-end numerical tests with every model compiled for the GPU
# (relative L2 <= 1e-4 against the float64 PyTorch references), then the
# HyperMixer NLU classifiers and the HyperConformer encoder against PyTorch on
# the same GPU at the lengths of benchmarks/workloads.py.
#
#   bash benchmarks/gpu/run.sh [--quick] [--skip-tests] [--skip-bench]
#                              [--target host-cuda-cuda_capability_86]
#                              [--build DIR] [--work DIR]
#   bash benchmarks/gpu/run.sh --bundle bundle.tar.xz [--work DIR]
#
# With --bundle, hmc is not needed on the GPU machine: the libraries, inputs
# and float64 references come from `bundle.py prepare` on the build machine,
# and benchmarks/gpu/bundle.py check runs and times them (see its --help).
#
# hmc comes from the build folder (default build/, e.g. carried over from the
# machine that built it; it needs the same Debian packages at run time:
# libHalide14, LLVM 19 is linked statically) or, if that has no working
# bin/hmc and cmake is here, is built from source with scripts/build.sh.
# Python: $PYTHON (default /usr/bin/python3) must import torch (a CUDA build
# for the benchmark), onnx and numpy. Exits 2 when there is no usable GPU.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

TARGET=host-cuda-cuda_capability_86
BUILD=$ROOT/build
WORK=$ROOT/benchmarks/results/gpu-$(date +%Y%m%d-%H%M%S)
PYTHON=${PYTHON:-/usr/bin/python3}
QUICK=0 TESTS=1 BENCH=1 BUNDLE=
while [ $# -gt 0 ]; do
  case $1 in
    --quick) QUICK=1 ;;
    --skip-tests) TESTS=0 ;;
    --skip-bench) BENCH=0 ;;
    --target) TARGET=$2; shift ;;
    --build) BUILD=$(realpath "$2"); shift ;;
    --work) WORK=$(realpath -m "$2"); shift ;;
    --bundle) BUNDLE=$(realpath "$2"); shift ;;
    -h|--help) sed -n '2,23p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument $1 (see --help)" >&2; exit 1 ;;
  esac
  shift
done

die() { echo "run.sh: $1" >&2; exit "${2:-1}"; }
step() { echo; echo "== $* =="; }

# ---- 1. A GPU, seen by the driver and by PyTorch --------------------------
step "GPU"
command -v nvidia-smi >/dev/null ||
  die "no nvidia-smi: this machine has no NVIDIA driver (run.sh needs a GPU)" 2
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader ||
  die "nvidia-smi finds no GPU" 2
PYTHON=$(command -v "$PYTHON") || die "no Python at ${PYTHON} (set PYTHON=...)"
"$PYTHON" -c 'import torch, onnx, numpy' ||
  die "$PYTHON cannot import torch, onnx and numpy"
"$PYTHON" - <<'PY' || die "PyTorch sees no CUDA device (a CUDA build of torch is needed)" 2
import torch, sys
if not torch.cuda.is_available():
    sys.exit(1)
print(f"torch {torch.__version__}, CUDA {torch.version.cuda}: {torch.cuda.get_device_name(0)}")
PY

# ---- A prepared bundle: no hmc here ---------------------------------------
if [ -n "$BUNDLE" ]; then
  step "bundle $BUNDLE"
  mkdir -p "$WORK/bundle"
  tar -xJf "$BUNDLE" -C "$WORK/bundle"
  exec "$PYTHON" benchmarks/gpu/bundle.py check "$WORK/bundle" --results "$WORK"
fi

# ---- 2. hmc --------------------------------------------------------------
step "hmc"
HMC=$BUILD/bin/hmc
if ! { [ -x "$HMC" ] && "$HMC" --help >/dev/null 2>&1 &&
       [ -x "$BUILD/bin/hmc-halide" ]; }; then
  [ -x "$HMC" ] && { echo "$HMC does not run here:"; "$HMC" --help || true; }
  command -v cmake >/dev/null ||
    die "no working $HMC and no cmake to build one: carry a build folder (--build DIR)"
  echo "building hmc from source (scripts/build.sh)"
  bash scripts/build.sh
  HMC=$ROOT/build/bin/hmc
fi
echo "hmc: $HMC"
mkdir -p "$WORK/bin"
# A wrapper that compiles every model for the GPU target, so the e2e scripts
# run unchanged; hmc still finds hmc-halide next to the real binary.
cat >"$WORK/bin/hmc" <<SH
#!/usr/bin/env bash
if [ "\${1:-}" = compile ]; then shift; exec "$HMC" compile --target "$TARGET" "\$@"; fi
exec "$HMC" "\$@"
SH
chmod +x "$WORK/bin/hmc"
# One library on the GPU first: a clear message if create cannot open it.
"$WORK/bin/hmc" compile examples/hypermixing_layer/hypermixing_layer.onnx \
  -o "$WORK/smoke"
"$HMC" run "$WORK/smoke/libhypermixing_layer.so" \
  --input x=examples/hypermixing_layer/x.npy \
  --input mask=examples/hypermixing_layer/mask.npy --output-dir "$WORK/smoke/out" ||
  die "the smoke library does not run on this GPU (see the message above)"
"$PYTHON" - "$WORK/smoke/out/y.npy" examples/hypermixing_layer/y_ref.npy <<'PY'
import sys, numpy as np
y, ref = (np.load(p).astype(np.float64) for p in sys.argv[1:3])
err = np.linalg.norm(y - ref) / np.linalg.norm(ref)
print(f"smoke: hypermixing_layer on the GPU, relative L2 {err:.2e}")
sys.exit(0 if err <= 1e-4 else 1)
PY

# ---- 3. End-to-end numerics on the GPU -----------------------------------
status=0
run_test() {
  local name=$1; shift
  echo "-- $name"
  if "$PYTHON" "$@"; then echo "-- $name: PASS"; else echo "-- $name: FAIL"; status=1; fi
}
if [ $TESTS = 1 ]; then
  step "end-to-end tests, every model compiled for $TARGET"
  E2E=test/e2e
  quick=(); [ $QUICK = 1 ] && quick=(--quick)
  run_test hypermixing $E2E/run_e2e.py --hmc "$WORK/bin/hmc" \
    --work "$WORK/e2e/hypermixing" --tol 1e-4 "${quick[@]}"
  run_test hypermixing-two-phase $E2E/run_e2e.py --hmc "$WORK/bin/hmc" \
    --work "$WORK/e2e/two-phase" --tol 1e-4 --models a_h8,b_mask,c_h8,d_h4 \
    --opsets 17 --compile-arg=--hypermix-algorithm=two_phase
  run_test nlu $E2E/run_nlu.py --hmc "$WORK/bin/hmc" --work "$WORK/e2e/nlu" "${quick[@]}"
  asr=(); [ $QUICK = 1 ] && asr=(--models hyperconformer_8m_l2 --frames 100,401)
  run_test asr $E2E/run_asr.py --hmc "$WORK/bin/hmc" --work "$WORK/e2e/asr" "${asr[@]}"
  run_test misc-ops $E2E/run_misc_ops.py --hmc "$WORK/bin/hmc" --work "$WORK/e2e/misc"
  run_test cross-mixing $E2E/run_cross_mixing.py --hmc "$WORK/bin/hmc" \
    --work "$WORK/e2e/cross-mixing" --tol 1e-4
fi

# ---- 4. Against PyTorch on the same GPU ----------------------------------
if [ $BENCH = 1 ]; then
  step "benchmark: hmc ($TARGET) against PyTorch eager on the GPU"
  lengths=(); [ $QUICK = 1 ] && lengths=(--lengths 256 --repeat 10)
  "$PYTHON" benchmarks/gpu/bench_gpu.py --hmc "$HMC" --target "$TARGET" \
    --work "$WORK/bench" "${lengths[@]}" || status=1
  echo "results: $WORK/bench/results.csv"
fi

step "done"
[ $status = 0 ] && echo "all GPU checks passed" || echo "some GPU checks FAILED (above)"
exit $status
