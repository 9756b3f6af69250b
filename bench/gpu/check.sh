#!/usr/bin/env bash
# The whole GPU check in two halves, because the GPU machine has no MLIR.
#
#   bash bench/gpu/check.sh build   # here: optgraph-run and every CUDA step
#                                   # library into gpu-artifacts/ (ignored)
#   bash bench/gpu/check.sh run     # on the GPU machine, in the repo root:
#                                   # the GPU integration cases against the
#                                   # numpy reference and, bit for bit,
#                                   # against the emulated driver's outputs,
#                                   # then the benchmark
#
# From a session with a GPU, after `build`, one device call does it all:
#   run(command="bash bench/gpu/check.sh run", carry=["gpu-artifacts"])
# Results are printed and, when $OUT is set, written to $OUT/gpu-check.log.
set -euo pipefail
cd "$(dirname "$0")/../.."
artifacts=gpu-artifacts
cases="right-side left-side full-rank"

case "${1:-}" in
build)
  bash scripts/setup.sh >/dev/null
  rm -rf "$artifacts" && mkdir -p "$artifacts/bin"
  cp build/bin/optgraph-run "$artifacts/bin/"
  for c in $cases layer; do
    spec=test/Integration/CPU/Inputs/$c.json
    [ "$c" = layer ] && spec=bench/gpu/layer.json
    mkdir -p "$artifacts/$c"
    PYTHONPATH=python python3 -m optgraph.stepgen "$spec" \
      -o "$artifacts/$c/step.mlir"
    # The GPU machine's CPU may differ from this one: no -march=native.
    build/bin/optgraph-compile "$artifacts/$c/step.mlir" --target=cuda \
      --cpu=x86-64-v2 -o "$artifacts/$c/step.so"
  done
  # The emulated driver's outputs, for a bitwise comparison on the GPU
  # (same seed, same inputs; no atomics, fixed-order reductions and .rn
  # arithmetic, so they should be identical).
  for c in $cases; do
    LD_LIBRARY_PATH=build/lib/cuda-emu PYTHONPATH=python python3 -m \
      optgraph.check "test/Integration/CPU/Inputs/$c.json" "$artifacts/$c/emu" \
      --library "$artifacts/$c/step.so" >/dev/null
    rm -rf "$artifacts/$c"/emu/in*
  done
  du -sh "$artifacts"
  ;;
run)
  log=${OUT:+$OUT/gpu-check.log}
  log=${log:-$artifacts/gpu-check.log}
  {
    nvidia-smi -L
    # The fatbins hold an sm_90 cubin and PTX 8.0 (JIT for drivers from
    # CUDA 12.0 on); the driver version says which one loads.
    nvidia-smi --query-gpu=driver_version,compute_cap --format=csv
    status=0
    for c in $cases; do
      echo "== $c"
      PYTHONPATH=python OPTGRAPH_TOOLS_DIR="$artifacts/bin" python3 -m \
        optgraph.check "test/Integration/CPU/Inputs/$c.json" "/tmp/gpu-$c" \
        --library "$artifacts/$c/step.so" || status=1
      PYTHONPATH=python python3 bench/gpu/compare_outputs.py \
        "$artifacts/$c/emu" "/tmp/gpu-$c" || status=1
    done
    echo "== benchmark"
    PYTHONPATH=python python3 bench/gpu/bench.py \
      --library "$artifacts/layer/step.so" || status=1
    exit $status
  } 2>&1 | tee "$log"
  ;;
*)
  echo "usage: bash bench/gpu/check.sh build|run" >&2
  exit 2
  ;;
esac
