//===- GPUToHostEmulation.h - GPU kernels as host functions -----*- C++ -*-===//
//
// The kernels of a gpu.module compiled into host functions that the emulated
// CUDA driver runs, one call per GPU thread (see
// include/optgraph/Runtime/CudaEmulation.h for the calling contract).
//
//===----------------------------------------------------------------------===//

#ifndef OPTGRAPH_CONVERSION_GPUTOHOSTEMULATION_GPUTOHOSTEMULATION_H
#define OPTGRAPH_CONVERSION_GPUTOHOSTEMULATION_GPUTOHOSTEMULATION_H

#include "mlir/Pass/Pass.h"

namespace mlir {
class ModuleOp;
namespace gpu {
class GPUModuleOp;
} // namespace gpu
} // namespace mlir

namespace optgraph {

#define GEN_PASS_DECL_OPTGRAPHGPUTOHOSTEMULATION
#include "optgraph/Conversion/Passes.h.inc"

/// Replaces `gpuModule` by its kernels as host functions, their wrappers and
/// info tables, and its globals, all inserted into `module`, which holds it.
mlir::LogicalResult
lowerGpuModuleToHostEmulation(mlir::gpu::GPUModuleOp gpuModule,
                              mlir::ModuleOp module);

} // namespace optgraph

#endif // OPTGRAPH_CONVERSION_GPUTOHOSTEMULATION_GPUTOHOSTEMULATION_H
