//===- Passes.h - optgraph code generation passes ---------------*- C++ -*-===//

#ifndef OPTGRAPH_TRANSFORMS_PASSES_H
#define OPTGRAPH_TRANSFORMS_PASSES_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"

namespace optgraph {

#define GEN_PASS_DECL
#include "optgraph/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "optgraph/Transforms/Passes.h.inc"

} // namespace optgraph

#endif // OPTGRAPH_TRANSFORMS_PASSES_H
