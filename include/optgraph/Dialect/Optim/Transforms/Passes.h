//===- Passes.h - optim dialect transformation passes -----------*- C++ -*-===//

#ifndef OPTGRAPH_DIALECT_OPTIM_TRANSFORMS_PASSES_H
#define OPTGRAPH_DIALECT_OPTIM_TRANSFORMS_PASSES_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir {
class RewritePatternSet;
} // namespace mlir

namespace optgraph::optim {

#define GEN_PASS_DECL
#include "optgraph/Dialect/Optim/Transforms/Passes.h.inc"

/// Patterns that expand optim.adamw and optim.lowrank_adamw into primitives.
void populateOptimDecomposePatterns(mlir::RewritePatternSet &patterns);

/// Patterns that form the fused ops of the GPU lowering (project_select,
/// gather_adam, project_back_apply, adamw) out of primitives.
void populateOptimFusePatterns(mlir::RewritePatternSet &patterns);

#define GEN_PASS_REGISTRATION
#include "optgraph/Dialect/Optim/Transforms/Passes.h.inc"

} // namespace optgraph::optim

#endif // OPTGRAPH_DIALECT_OPTIM_TRANSFORMS_PASSES_H
