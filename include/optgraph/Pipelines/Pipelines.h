//===- Pipelines.h - named end-to-end pipelines -----------------*- C++ -*-===//

#ifndef OPTGRAPH_PIPELINES_PIPELINES_H
#define OPTGRAPH_PIPELINES_PIPELINES_H

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

/// Registers `optgraph-cpu-pipeline`.
void registerPipelines();

} // namespace optgraph

#endif // OPTGRAPH_PIPELINES_PIPELINES_H
