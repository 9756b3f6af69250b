//===- Pipelines.h - named end-to-end pipelines -----------------*- C++ -*-===//

#ifndef OPTGRAPH_PIPELINES_PIPELINES_H
#define OPTGRAPH_PIPELINES_PIPELINES_H

#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

namespace optgraph {

struct CpuPipelineOptions
    : public mlir::PassPipelineOptions<CpuPipelineOptions> {
  Option<bool> vectorize{*this, "vectorize",
                         llvm::cl::desc("Tile and vectorize the matmuls"),
                         llvm::cl::init(true)};
  ListOption<int64_t> matmulTileSizes{
      *this, "matmul-tile-sizes",
      llvm::cl::desc("Tile sizes (M, N, K) of the vectorized matmuls")};
};

/// optim → linalg → bufferized loops → LLVM dialect, for the host CPU.
void buildCpuPipeline(mlir::OpPassManager &pm,
                      const CpuPipelineOptions &options);

struct CudaPipelineOptions
    : public mlir::PassPipelineOptions<CudaPipelineOptions> {
  Option<std::string> chip{*this, "chip",
                           llvm::cl::desc("GPU architecture (sm_80, sm_90)"),
                           llvm::cl::init("sm_90")};
  Option<std::string> features{
      *this, "features",
      llvm::cl::desc("PTX features; sm_90 needs PTX 7.8 or later"),
      llvm::cl::init("+ptx80")};
  Option<std::string> cudaPath{
      *this, "cuda-path",
      llvm::cl::desc("CUDA toolkit (ptxas, libdevice); default: $CUDA_ROOT, "
                     "$CUDA_HOME or /usr/local/cuda")};
  Option<int> optLevel{*this, "opt-level",
                       llvm::cl::desc("Optimization level of the kernels"),
                       llvm::cl::init(3)};
  Option<bool> serialize{
      *this, "serialize",
      llvm::cl::desc("Serialize the kernels to cubins with ptxas; false "
                     "keeps them in the NVVM dialect (no CUDA toolkit)"),
      llvm::cl::init(true)};
};

/// optim → fused kernels → cubins embedded in host code in the LLVM dialect
/// that calls the mgpu* runtime (lib/Runtime/CudaRuntime).
void buildCudaPipeline(mlir::OpPassManager &pm,
                       const CudaPipelineOptions &options);

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
