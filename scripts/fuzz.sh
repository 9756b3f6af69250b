#!/usr/bin/env bash
# Builds optgraph with AddressSanitizer, UndefinedBehaviorSanitizer and
# libFuzzer coverage (clang-22) into build-fuzz/, then runs every fuzzer:
#
#   optgraph-ir-fuzzer   libFuzzer: parse, verify, CPU and CUDA pipelines
#   fuzz/fuzz_ir.py      mutated IR through optgraph-opt / optgraph-compile
#   fuzz/fuzz_run.py     mutated .npy files, manifests, output folders
#   fuzz/fuzz_stepgen.py mutated parameter lists and destinations
#
#   bash scripts/fuzz.sh           short fixed-seed run (CI: about 3 minutes)
#   bash scripts/fuzz.sh --long    an hour of libFuzzer, 4,000 cases each
#
# Findings are kept under build-fuzz/findings/; the script fails if there
# is any. Minimize a libFuzzer crash with
#   build-fuzz/bin/optgraph-ir-fuzzer -minimize_crash=1 -runs=10000 FILE
# and add it as a regression test.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:---quick}
# Cases per Python fuzzer (ir, run, stepgen): stepgen's cost a Python
# start-up each, the others' a tool start-up.
case "$mode" in
  --quick) fuzz_runs=1500 cases=(1000 1000 400) seed=1 ;;
  --long) fuzz_runs=-1 cases=(4000 4000 4000) seed=$RANDOM ;;
  *) echo "usage: $0 [--quick|--long]" >&2; exit 2 ;;
esac

bash scripts/setup.sh >/dev/null
LAUNCHER=()
command -v ccache >/dev/null && LAUNCHER=(-DCMAKE_C_COMPILER_LAUNCHER=ccache
                                          -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
if [ ! -f build-fuzz/build.ninja ]; then
  cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DCMAKE_CXX_FLAGS=-gline-tables-only \
    -DOPTGRAPH_SANITIZERS=address,undefined -DOPTGRAPH_BUILD_FUZZERS=ON \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
    -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit \
    -DPython3_EXECUTABLE="$(command -v python3)" \
    -DCMAKE_EXE_LINKER_FLAGS=-fuse-ld=lld \
    -DCMAKE_SHARED_LINKER_FLAGS=-fuse-ld=lld \
    -DCMAKE_MODULE_LINKER_FLAGS=-fuse-ld=lld \
    "${LAUNCHER[@]}" >/dev/null
fi
cmake --build build-fuzz --target optgraph-ir-fuzzer optgraph-opt \
  optgraph-compile optgraph-run

findings=build-fuzz/findings
rm -rf "$findings" build-fuzz/corpus
mkdir -p "$findings/libfuzzer" build-fuzz/corpus/seeds build-fuzz/corpus/new
python3 -c 'import sys; sys.path.insert(0, "fuzz"); import fuzz_ir
fuzz_ir.write_corpus(sys.argv[1])' build-fuzz/corpus/seeds
# Leak reports at exit come from MLIR's global registries, not from the
# input: leaks are not findings here. A manifest may declare 2^40 elements;
# malloc then returns null, which optgraph-run reports, where ASan's
# allocator would abort. allow_user_poisoning=0: LLVM's inline
# BumpPtrAllocator code in our instrumented binaries poisons the slabs it
# starts, Debian's uninstrumented libMLIR/libLLVM hand out memory from them
# without unpoisoning, and any read of it is a false use-after-poison
# (docs/Fuzzing.md, fuzz/regressions/README.md).
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=0:allocator_may_return_null=1:allow_user_poisoning=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

status=0
# Past findings first, each run once. Only detect_leaks=0 here, so that the
# fuzzer's own ASan defaults (__asan_default_options) are what is tested.
echo "fuzz: optgraph-ir-fuzzer on fuzz/regressions/"
ASAN_OPTIONS=detect_leaks=0 build-fuzz/bin/optgraph-ir-fuzzer \
  fuzz/regressions/*.mlir > build-fuzz/regressions.log 2>&1 || {
  status=1; grep -E "ERROR|SUMMARY" build-fuzz/regressions.log >&2 || true; }
limit=(-runs="$fuzz_runs")
[ "$fuzz_runs" = -1 ] && limit=(-max_total_time=3600)
echo "fuzz: optgraph-ir-fuzzer ${limit[*]} -seed=$seed"
build-fuzz/bin/optgraph-ir-fuzzer "${limit[@]}" -seed="$seed" \
  -max_len=16384 -timeout=120 -rss_limit_mb=6144 -dict=fuzz/optim.dict \
  -print_final_stats=1 -artifact_prefix="$findings/libfuzzer/" \
  build-fuzz/corpus/new build-fuzz/corpus/seeds \
  > build-fuzz/libfuzzer.log 2>&1 || status=1
grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb)|ERROR|^==" \
  build-fuzz/libfuzzer.log || true

export OPTGRAPH_TOOLS_DIR=$PWD/build-fuzz/bin
fuzzers=(ir run stepgen)
for i in 0 1 2; do
  python3 "fuzz/fuzz_${fuzzers[$i]}.py" --cases "${cases[$i]}" --seed "$seed" \
    --jobs 2 --findings "$findings/${fuzzers[$i]}" || status=1
done
[ $status = 0 ] && echo "fuzz: no findings" ||
  echo "fuzz: FINDINGS, reproducers under $findings" >&2
exit $status
