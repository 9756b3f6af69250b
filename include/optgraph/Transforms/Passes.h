//===- Passes.h - optgraph code generation passes ---------------*- C++ -*-===//

#ifndef OPTGRAPH_TRANSFORMS_PASSES_H
#define OPTGRAPH_TRANSFORMS_PASSES_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Pass/Pass.h"

namespace optgraph {

#define GEN_PASS_DECL
#include "optgraph/Transforms/Passes.h.inc"

/// optgraph-tile-and-vectorize's tile sizes (M, N, K) when none are given:
/// 8 rows of 16-wide FMAs over 64 steps of K.
inline constexpr int64_t kDefaultMatmulTileSizes[3] = {8, 16, 64};

#define GEN_PASS_REGISTRATION
#include "optgraph/Transforms/Passes.h.inc"

} // namespace optgraph

#endif // OPTGRAPH_TRANSFORMS_PASSES_H
