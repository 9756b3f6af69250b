# -*- Python -*-
import os
import shutil
import sys

import lit.formats
from lit.llvm import llvm_config

config.name = "OPTGRAPH"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test", ".py", ".c"]
config.excludes = ["lit.cfg.py", "lit.site.cfg.py", "Inputs"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.optgraph_obj_root, "test")

python = config.python_executable or sys.executable
config.substitutions.append(("%python", python))
config.substitutions.append(("%optgraph_obj_root", config.optgraph_obj_root))
config.substitutions.append(("%mlir_dir", config.mlir_dir))
config.substitutions.append(("%mlir_include", config.mlir_include_dir))
config.substitutions.append(("%optgraph_src_root",
                             os.path.dirname(config.test_source_root)))
config.environment["PYTHONPATH"] = config.optgraph_python_dir
config.environment["OPTGRAPH_TOOLS_DIR"] = config.optgraph_tools_dir

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.add_tool_substitutions(
    ["optgraph-opt", "optgraph-compile", "optgraph-run", "optgraph-capi-test"],
    [config.optgraph_tools_dir])

# A sanitized or fuzzing build (scripts/fuzz.sh): its static libraries need
# clang's sanitizer runtimes, so an out-of-tree consumer cannot link them.
if config.optgraph_sanitizers or config.optgraph_fuzzers in ("ON", "TRUE", "1"):
    config.available_features.add("sanitized")

# A GPU is present where the CUDA driver answers.
if shutil.which("nvidia-smi") and os.system("nvidia-smi -L > /dev/null 2>&1") == 0:
    config.available_features.add("cuda")

# ptxas from the CUDA toolkit turns kernels into cubins: every CUDA test that
# compiles runs wherever it is, GPU or not.
cuda_root = os.environ.get("CUDA_ROOT", "/usr/local/cuda")
config.substitutions.append(("%cuda_root", cuda_root))
if shutil.which("ptxas") or os.path.exists(os.path.join(cuda_root, "bin", "ptxas")):
    config.available_features.add("ptxas")
    llvm_config.with_environment("PATH", os.path.join(cuda_root, "bin"),
                                 append_path=True)

# The emulated CUDA driver (lib/Runtime/CudaEmulator): with
# LD_LIBRARY_PATH=%cuda_emu_dir a CUDA step runs its kernels on the host.
# `lit -Dcuda_emu_dir=DIR` tests another build of it (a mutant, say).
cuda_emu_dir = lit_config.params.get(
    "cuda_emu_dir", os.path.join(config.optgraph_obj_root, "lib", "cuda-emu"))
config.substitutions.append(("%cuda_emu_dir", cuda_emu_dir))
if os.path.exists(os.path.join(cuda_emu_dir, "libcuda.so.1")):
    config.available_features.add("cuda-emu")
# The system C compiler, for test programs (test/Runtime/Inputs), and the
# sanitizer runtimes it ships, preloaded into uninstrumented test programs.
import subprocess
cc = shutil.which("cc") or "cc"
config.substitutions.append(("%cc", cc))
for runtime in ("asan", "tsan"):
    try:
        found = subprocess.run([cc, "-print-file-name=lib%s.so" % runtime],
                               capture_output=True, text=True).stdout.strip()
    except OSError:
        found = ""
    if os.path.isabs(found) and os.path.exists(found):
        config.available_features.add("%s-runtime" % runtime)
        config.substitutions.append(("%%lib%s" % runtime, found))

# Sanitizer-instrumented emulated kernels (optgraph-compile
# --emulation-sanitizer) need the runtime of the LLVM that instrumented
# them, clang-22's, preloaded into the uninstrumented optgraph-run.
# %emu_asan / %emu_tsan prefix a command that runs CUDA steps on the
# emulator under that runtime (TSan with one OS thread per GPU thread).
clang_runtimes = os.path.join(os.path.dirname(config.llvm_tools_dir), "lib",
                              "clang", "22", "lib", "linux")
asan_runtime = os.path.join(clang_runtimes, "libclang_rt.asan-x86_64.so")
tsan_runtime = os.path.join(clang_runtimes, "libclang_rt.tsan-x86_64.so")
config.substitutions.append(
    ("%emu_asan", "env LD_PRELOAD=%s ASAN_OPTIONS=detect_leaks=0 "
     "LD_LIBRARY_PATH=%s" % (asan_runtime, cuda_emu_dir)))
config.substitutions.append(
    ("%emu_tsan", "env LD_PRELOAD=%s OPTGRAPH_CUDA_EMU_THREADS=1 "
     "TSAN_OPTIONS=halt_on_error=1 LD_LIBRARY_PATH=%s"
     % (tsan_runtime, cuda_emu_dir)))
if os.path.exists(asan_runtime):
    config.available_features.add("emu-asan")
if os.path.exists(tsan_runtime) and \
        config.optgraph_emulator_tsan.upper() in ("ON", "TRUE", "1", "YES"):
    config.available_features.add("emu-tsan")
