//===- StepLibrary.h - compile a step function to a shared library -*- C++ -*-//
//
// A compiled step is a shared library with a flat C ABI (see
// include/optgraph/Runtime/StepABI.h) and a JSON manifest naming its
// arguments. This header is the compiler side: describe the step function,
// lower it and write the library.
//
//===----------------------------------------------------------------------===//

#ifndef OPTGRAPH_TARGET_STEPLIBRARY_H
#define OPTGRAPH_TARGET_STEPLIBRARY_H

#include "optgraph/Pipelines/Pipelines.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"

#include <string>
#include <vector>

namespace optgraph {

/// One argument or result of a step function, as the manifest lists it.
struct StepTensor {
  std::string name;  // file stem: NAME.npy
  std::string role;  // param, grad, state, step (or input/output)
  std::string dtype; // NumPy dtype string: "<f4" or "<i8"
  std::vector<int64_t> shape;
  /// For index tensors: values must lie in [0, indexBound). 0 when unbounded.
  int64_t indexBound = 0;
};

enum class StepTarget;

struct StepSignature {
  std::string entry;
  std::vector<StepTensor> inputs;
  std::vector<StepTensor> outputs;
};

/// Reads the signature of `entry` (or of the module's only public function
/// when empty) from its `optim.name` / `optim.role` argument and result
/// attributes, checking that it can be compiled to the step ABI. Emits a
/// diagnostic at the offending function or argument on failure.
mlir::FailureOr<StepSignature> analyzeStepFunction(mlir::ModuleOp module,
                                                   llvm::StringRef entry);

/// The manifest: {"abi": 2, "target": "cpu"|"cuda", "entry": ...,
/// "inputs": [...], "outputs": [...]}; each tensor says whether it lives in
/// host or device memory.
std::string renderManifest(const StepSignature &signature, StepTarget target);

enum class StepTarget { Cpu, Cuda };

/// How optgraph-compile compiles a step; each default is the target's.
struct StepLibraryOptions {
  StepTarget target = StepTarget::Cpu;
  /// The host CPU the library's host code is compiled for (both targets):
  /// "native" or an LLVM CPU name.
  std::string hostCpu = "native";
  CpuTargetOptions cpu;
  CudaTargetOptions cuda;
  /// CUDA: write the generated gpu.module (what ptxas and the emulator
  /// compile) to this file; empty: don't.
  std::string emitKernelsPath;
  /// CUDA: compile the gpu.module of this file instead of the generated one
  /// (a hand-edited kernel); it must define every kernel the step launches.
  std::string kernelsPath;
};

/// Where the library at `libraryPath` keeps its kernels for the emulated
/// CUDA driver: X.so → X.emu.so.
std::string emulationLibraryPath(llvm::StringRef libraryPath);

/// Lowers the step with the target's pipeline and writes a shared library to
/// `outputPath` and its manifest to `manifestPath`, through temporary files
/// renamed at the end: on failure neither path is touched.
mlir::LogicalResult compileStepLibrary(mlir::ModuleOp module,
                                       const StepSignature &signature,
                                       llvm::StringRef outputPath,
                                       llvm::StringRef manifestPath,
                                       const StepLibraryOptions &options);

} // namespace optgraph

#endif // OPTGRAPH_TARGET_STEPLIBRARY_H
