//===- IfResults.h - grow an scf.if by results ------------------*- C++ -*-===//

#ifndef OPTGRAPH_UTILS_IFRESULTS_H
#define OPTGRAPH_UTILS_IFRESULTS_H

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/PatternMatch.h"

namespace optgraph {

/// Replaces `ifOp` by an `scf.if` that also yields values of `extraTypes`
/// after its own results (an absent else branch is created). In each
/// branch, `extraYields` is called with the insertion point before the
/// branch's yield and returns the values to append to it. Returns the new
/// op; its leading results replace the old op's.
mlir::FailureOr<mlir::scf::IfOp> appendIfResults(
    mlir::RewriterBase &rewriter, mlir::scf::IfOp ifOp,
    mlir::TypeRange extraTypes,
    llvm::function_ref<
        mlir::FailureOr<llvm::SmallVector<mlir::Value>>(mlir::scf::YieldOp)>
        extraYields);

} // namespace optgraph

#endif // OPTGRAPH_UTILS_IFRESULTS_H
