//===- OptimToLinalg.h - optim to linalg conversion -------------*- C++ -*-===//

#ifndef OPTGRAPH_CONVERSION_OPTIMTOLINALG_OPTIMTOLINALG_H
#define OPTGRAPH_CONVERSION_OPTIMTOLINALG_OPTIMTOLINALG_H

#include "mlir/Pass/Pass.h"

namespace mlir {
class RewritePatternSet;
} // namespace mlir

namespace optgraph {

#define GEN_PASS_DECL_CONVERTOPTIMTOLINALG
#include "optgraph/Conversion/Passes.h.inc"

/// Patterns lowering every optim primitive to linalg, tensor, arith, math
/// and scf on tensors.
void populateOptimToLinalgConversionPatterns(mlir::RewritePatternSet &patterns);

} // namespace optgraph

#endif // OPTGRAPH_CONVERSION_OPTIMTOLINALG_OPTIMTOLINALG_H
