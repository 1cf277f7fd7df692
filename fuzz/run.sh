#!/usr/bin/env bash
# Builds the libFuzzer targets in a clang-19 build of their own (ASan +
# UBSan + coverage) and runs them for a bounded time (see README.md here).
#
#   fuzz/run.sh [--build-dir DIR] [--seconds N] [--build-only | --no-build]
#               [--jobs J] [TARGET...]        TARGET: onnx npy dsl safetensors wav
#
# Each run first replays fuzz/corpus/TARGET (seeds and the regression inputs
# of fixed crashes), then mutates them; new inputs go to DIR/corpus/TARGET,
# crash reproducers to DIR/artifacts/. Exits non-zero on any crash, leak,
# timeout or sanitizer report.
set -euo pipefail
src="$(cd "$(dirname "$0")/.." && pwd)"
build="$src/build-fuzz"
seconds=60
jobs=1
mode=all
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
  --build-dir) build="$2"; shift 2 ;;
  --seconds) seconds="$2"; shift 2 ;;
  --jobs) jobs="$2"; shift 2 ;;
  --build-only) mode=build; shift ;;
  --no-build) mode=run; shift ;;
  -h | --help) sed -n '2,12p' "$0"; exit 0 ;;
  -*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
  *) targets+=("$1"); shift ;;
  esac
done
[ ${#targets[@]} -gt 0 ] || targets=(onnx npy dsl safetensors wav)

if [ "$mode" != run ]; then
  launcher=()
  if command -v ccache >/dev/null; then
    launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  fi
  # -O1 -g without NDEBUG: hmc's own assertions stay on while fuzzing.
  cmake -G Ninja -S "$src" -B "$build" -DHMC_FUZZ=ON \
    -DHMC_SANITIZE=address,undefined \
    -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g" \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" "${launcher[@]}" >/dev/null
  cmake --build "$build" --target $(printf 'fuzz-%s ' "${targets[@]}")
fi
[ "$mode" != build ] || exit 0

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
parallel=()
[ "$jobs" -le 1 ] || parallel=(-jobs="$jobs" -workers="$jobs")
status=0
for t in "${targets[@]}"; do
  bin="$build/bin/fuzz-$t"
  [ -x "$bin" ] || { echo "run.sh: $bin is not built" >&2; exit 2; }
  mkdir -p "$build/corpus/$t" "$build/artifacts"
  echo "== fuzz-$t: ${seconds} s"
  if ! "$bin" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=3072 \
      "${parallel[@]}" -print_final_stats=1 \
      -artifact_prefix="$build/artifacts/$t-" \
      "$build/corpus/$t" "$src/fuzz/corpus/$t"; then
    echo "fuzz-$t FAILED: reproducer in $build/artifacts/ (run $bin FILE)" >&2
    status=1
  fi
done
exit $status
