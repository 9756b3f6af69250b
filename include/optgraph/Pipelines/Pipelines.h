//===- Pipelines.h - named end-to-end pipelines -----------------*- C++ -*-===//

#ifndef OPTGRAPH_PIPELINES_PIPELINES_H
#define OPTGRAPH_PIPELINES_PIPELINES_H

#include "optgraph/Transforms/Passes.h"

#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"
#include "llvm/ADT/SmallVector.h"

#include <string>

namespace optgraph {

/// Everything that configures the CPU target, with the only defaults:
/// the pipeline's options, optgraph-compile's flags and the step library
/// compiler read them from here.
struct CpuTargetOptions {
  /// Tile and vectorize the matmuls.
  bool vectorize = true;
  /// Tile sizes (M, N, K) of the vectorized matmuls.
  llvm::SmallVector<int64_t, 3> matmulTileSizes{
      std::begin(kDefaultMatmulTileSizes), std::end(kDefaultMatmulTileSizes)};
};

/// Everything that configures the CUDA target, with the only defaults.
/// A sanitizer for the emulated kernels: AddressSanitizer sees device,
/// shared and constant memory (all host memory in emulation),
/// ThreadSanitizer races between the threads of a block (with the driver's
/// OS-thread mode, OPTGRAPH_CUDA_EMU_THREADS=1).
enum class EmulationSanitizer { None, Address, Thread };

struct CudaTargetOptions {
  /// GPU architecture of the kernels.
  std::string chip = "sm_90";
  /// PTX features; sm_90 needs PTX 7.8 or later.
  std::string ptxFeatures = "+ptx80";
  /// The toolkit whose ptxas and libdevice serialize the kernels; empty:
  /// $CUDA_ROOT, $CUDA_HOME, $CUDA_PATH or /usr/local/cuda.
  std::string cudaPath;
  /// Optimization level of the kernels.
  int optLevel = 3;
  /// Serialize the kernels to cubins with ptxas; false keeps them in the
  /// NVVM dialect (no toolkit needed).
  bool serialize = true;
  /// Step libraries only: also write the kernels as host code, the side-car
  /// X.emu.so that the emulated driver (build/lib/cuda-emu) runs.
  bool emulationLibrary = true;
  /// Step libraries only: instrument the side-car's kernels with a
  /// sanitizer (the process then needs that sanitizer's runtime).
  EmulationSanitizer emulationSanitizer = EmulationSanitizer::None;
};

/// `optgraph-cpu-pipeline{...}`: CpuTargetOptions as pipeline options.
struct CpuPipelineOptions
    : public mlir::PassPipelineOptions<CpuPipelineOptions> {
  Option<bool> vectorize{*this, "vectorize",
                         llvm::cl::desc("Tile and vectorize the matmuls"),
                         llvm::cl::init(CpuTargetOptions().vectorize)};
  ListOption<int64_t> matmulTileSizes{
      *this, "matmul-tile-sizes",
      llvm::cl::desc("Tile sizes (M, N, K) of the vectorized matmuls "
                     "(default 8,16,64)")};

  CpuTargetOptions getTargetOptions() const;
};

/// `optgraph-cuda-pipeline{...}`: CudaTargetOptions as pipeline options.
struct CudaPipelineOptions
    : public mlir::PassPipelineOptions<CudaPipelineOptions> {
  Option<std::string> chip{*this, "chip",
                           llvm::cl::desc("GPU architecture (sm_80, sm_90)"),
                           llvm::cl::init(CudaTargetOptions().chip)};
  Option<std::string> ptxFeatures{
      *this, "ptx-features",
      llvm::cl::desc("PTX features; sm_90 needs PTX 7.8 or later"),
      llvm::cl::init(CudaTargetOptions().ptxFeatures)};
  Option<std::string> cudaPath{
      *this, "cuda-path",
      llvm::cl::desc("CUDA toolkit (ptxas, libdevice); default: $CUDA_ROOT, "
                     "$CUDA_HOME, $CUDA_PATH or /usr/local/cuda")};
  Option<int> optLevel{*this, "opt-level",
                       llvm::cl::desc("Optimization level of the kernels"),
                       llvm::cl::init(CudaTargetOptions().optLevel)};
  Option<bool> serialize{
      *this, "serialize",
      llvm::cl::desc("Serialize the kernels to cubins with ptxas; false "
                     "keeps them in the NVVM dialect (no CUDA toolkit)"),
      llvm::cl::init(CudaTargetOptions().serialize)};

  CudaTargetOptions getTargetOptions() const;
};

/// optim → linalg → bufferized loops → LLVM dialect, for the host CPU.
void buildCpuPipeline(mlir::OpPassManager &pm, const CpuTargetOptions &options);

/// optim → fused kernels → cubins embedded in host code in the LLVM dialect
/// that calls the mgpu* runtime (lib/Runtime/CudaRuntime).
void buildCudaPipeline(mlir::OpPassManager &pm,
                       const CudaTargetOptions &options);

/// The two halves of buildCudaPipeline: optim → kernels in a gpu.module and
/// host code on device buffers; then the kernels → cubins and everything →
/// the LLVM dialect. Between them, the gpu.module is what the emulator runs.
void addCudaKernelGeneration(mlir::OpPassManager &pm);
void addCudaKernelSerialization(mlir::OpPassManager &pm,
                                const CudaTargetOptions &options);

/// A module holding a gpu.module (cloned out between the two halves above)
/// → host functions for the emulated CUDA driver, in the LLVM dialect.
void buildGpuEmulationPipeline(mlir::OpPassManager &pm);

/// One-shot bufferization with results as out-parameters, then
/// deallocation; shared by both pipelines. `unknownTypeConversion` is the
/// layout of buffers whose layout nothing fixes (scf.if results, ...).
void addBufferization(
    mlir::OpPassManager &pm,
    mlir::bufferization::LayoutMapOption unknownTypeConversion);

/// Host code (scf already lowered) → LLVM dialect; shared by both pipelines.
void addHostToLLVM(mlir::OpPassManager &pm);

/// Registers `optgraph-cpu-pipeline` and `optgraph-cuda-pipeline`.
void registerPipelines();

} // namespace optgraph

#endif // OPTGRAPH_PIPELINES_PIPELINES_H
