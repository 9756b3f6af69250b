//===- OptimToGPU.h - optim to GPU kernels conversion -----------*- C++ -*-===//

#ifndef OPTGRAPH_CONVERSION_OPTIMTOGPU_OPTIMTOGPU_H
#define OPTGRAPH_CONVERSION_OPTIMTOGPU_OPTIMTOGPU_H

#include "mlir/Pass/Pass.h"

namespace mlir {
class RewritePatternSet;
} // namespace mlir

namespace optgraph {

#define GEN_PASS_DECL_CONVERTOPTIMTOGPU
#define GEN_PASS_DECL_OPTGRAPHGPUHOSTLOWERING
#include "optgraph/Conversion/Passes.h.inc"

/// The `gpu.module` the patterns emit their kernels into (created on first
/// use in the module it is constructed on).
class KernelLibrary;

/// Patterns lowering the fused optim ops (and optim.adam, optim.apply,
/// optim.adamw, optim.project) to `optim.launch`es of kernels in `library`.
void populateOptimToGPUPatterns(mlir::RewritePatternSet &patterns,
                                KernelLibrary &library);

} // namespace optgraph

#endif // OPTGRAPH_CONVERSION_OPTIMTOGPU_OPTIMTOGPU_H
