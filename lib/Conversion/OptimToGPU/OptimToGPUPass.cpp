//===- OptimToGPUPass.cpp - the -convert-optim-to-gpu pass ----------------===//

#include "KernelBuilder.h"
#include "KernelLibrary.h"
#include "optgraph/Conversion/OptimToGPU/OptimToGPU.h"
#include "optgraph/Dialect/Optim/IR/OptimOps.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"
#include "llvm/ADT/TypeSwitch.h"

namespace optgraph {
#define GEN_PASS_DEF_CONVERTOPTIMTOGPU
#include "optgraph/Conversion/Passes.h.inc"
} // namespace optgraph

using namespace mlir;
using namespace optgraph;
using namespace optgraph::optim;

namespace {

/// The basis size of an op that has a basis.
std::optional<int64_t> basisSizeOf(Operation *op) {
  return llvm::TypeSwitch<Operation *, std::optional<int64_t>>(op)
      .Case<DctBasisOp>(
          [](DctBasisOp basis) { return basis.getType().getDimSize(0); })
      .Case<ProjectSelectOp, ProjectOp, ProjectBackApplyOp, ProjectBackOp>(
          [](auto projection) {
            return projection.getBasis().getType().getDimSize(0);
          })
      .Default([](Operation *) { return std::nullopt; });
}

/// The operand number of the basis of an op with one.
unsigned basisOperandIndex(Operation *op) {
  return llvm::TypeSwitch<Operation *, unsigned>(op)
      .Case<ProjectSelectOp, ProjectOp, ProjectBackApplyOp, ProjectBackOp>(
          [](auto projection) {
            return projection.getBasisMutable().getOperandNumber();
          });
}

/// Ops that -optim-decompose and -optim-fuse turn into ones with a lowering.
bool needsDecomposeAndFuse(Operation *op) {
  return isa<LowRankAdamWOp, SelectOp, GatherOp, RotateOp, ProjectBackOp,
             DctBasisOp>(op);
}

struct ConvertOptimToGPUPass
    : public optgraph::impl::ConvertOptimToGPUBase<ConvertOptimToGPUPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    // The kernels' phase arithmetic k·(2j+1) mod 4N is 32-bit and the
    // cosine table a global of 4N floats: check N on every op with a basis.
    // Kernels never read the basis operand: they generate the entries of
    // the optim.dct_basis that defines it, so any other basis is an error,
    // not a silent DCT.
    WalkResult unsupported = module.walk([](Operation *op) {
      std::optional<int64_t> size = basisSizeOf(op);
      if (!size)
        return WalkResult::advance();
      if (*size > gpukernels::kMaxBasisSize) {
        op->emitOpError("basis of size ")
            << *size << " exceeds the " << gpukernels::kMaxBasisSize
            << " that the GPU kernels support";
        return WalkResult::interrupt();
      }
      if (!isa<DctBasisOp>(op) &&
          !op->getOperand(basisOperandIndex(op)).getDefiningOp<DctBasisOp>()) {
        op->emitOpError("needs its basis from optim.dct_basis: the GPU "
                        "kernels generate DCT bases and cannot read one");
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    if (unsupported.wasInterrupted())
      return signalPassFailure();
    KernelLibrary library(module);
    RewritePatternSet patterns(&getContext());
    populateOptimToGPUPatterns(patterns, library);
    // The walk driver, not a dialect conversion: the bases must outlive
    // their users' rewrites, and the check below words what is left over.
    walkAndApplyPatterns(module, std::move(patterns));
    // Kernels generate the basis; a basis nothing else reads goes away.
    module.walk([](DctBasisOp op) {
      if (op->use_empty())
        op->erase();
    });
    // Of the optim dialect only the launches may remain.
    ConversionTarget target(getContext());
    target.addIllegalDialect<OptimDialect>();
    target.addLegalOp<LaunchOp>();
    WalkResult leftover = module.walk([&](Operation *op) {
      if (!target.isIllegal(op))
        return WalkResult::advance();
      op->emitOpError("has no GPU lowering")
          << (needsDecomposeAndFuse(op)
                  ? "; run -optim-decompose and -optim-fuse first"
                  : "");
      return WalkResult::interrupt();
    });
    if (leftover.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
