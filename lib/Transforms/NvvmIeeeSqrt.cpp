//===- NvvmIeeeSqrt.cpp - math.sqrt as PTX's sqrt.rn.f32 ------------------===//

#include "optgraph/Transforms/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/PatternMatch.h"

namespace optgraph {
#define GEN_PASS_DEF_OPTGRAPHNVVMIEEESQRT
#include "optgraph/Transforms/Passes.h.inc"
} // namespace optgraph

using namespace mlir;

namespace {

struct NvvmIeeeSqrtPass
    : public optgraph::impl::OptgraphNvvmIeeeSqrtBase<NvvmIeeeSqrtPass> {
  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    getOperation().walk([&](math::SqrtOp sqrt) {
      if (!sqrt.getType().isF32())
        return;
      rewriter.setInsertionPoint(sqrt);
      auto asmOp = LLVM::InlineAsmOp::create(
          rewriter, sqrt.getLoc(), sqrt.getType(),
          ValueRange{sqrt.getOperand()},
          rewriter.getStringAttr("sqrt.rn.f32 $0, $1;"),
          rewriter.getStringAttr("=f,f"), UnitAttr(), UnitAttr(),
          LLVM::TailCallKindAttr::get(&getContext(), LLVM::TailCallKind::None),
          LLVM::AsmDialectAttr(), ArrayAttr());
      rewriter.replaceOp(sqrt, asmOp.getResult(0));
    });
  }
};

} // namespace
