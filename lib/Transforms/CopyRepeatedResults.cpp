//===- CopyRepeatedResults.cpp - one buffer per returned result -----------===//

#include "optgraph/Transforms/Passes.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace optgraph {
#define GEN_PASS_DEF_OPTGRAPHCOPYREPEATEDRESULTS
#include "optgraph/Transforms/Passes.h.inc"
} // namespace optgraph

using namespace mlir;

namespace {

/// A copy of `source` in a new allocation of the same type.
Value copyOf(OpBuilder &b, Location loc, Value source) {
  auto type = cast<MemRefType>(source.getType());
  SmallVector<Value> dynamicSizes;
  for (auto [dim, size] : llvm::enumerate(type.getShape()))
    if (ShapedType::isDynamic(size))
      dynamicSizes.push_back(memref::DimOp::create(b, loc, source, dim));
  auto allocType = MemRefType::get(type.getShape(), type.getElementType(),
                                   MemRefLayoutAttrInterface(),
                                   type.getMemorySpace());
  Value copy = memref::AllocOp::create(b, loc, allocType, dynamicSizes);
  memref::CopyOp::create(b, loc, source, copy);
  if (allocType != type)
    copy = memref::CastOp::create(b, loc, type, copy);
  return copy;
}

struct CopyRepeatedResultsPass
    : public optgraph::impl::OptgraphCopyRepeatedResultsBase<
          CopyRepeatedResultsPass> {
  void runOnOperation() override {
    getOperation().walk([](func::ReturnOp ret) {
      llvm::SmallDenseSet<Value> returned;
      OpBuilder b(ret);
      for (OpOperand &operand : ret->getOpOperands())
        if (isa<MemRefType>(operand.get().getType()) &&
            !returned.insert(operand.get()).second)
          operand.set(copyOf(b, ret.getLoc(), operand.get()));
    });
  }
};

} // namespace
