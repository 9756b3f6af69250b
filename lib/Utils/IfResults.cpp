//===- IfResults.cpp - grow an scf.if by results --------------------------===//

#include "optgraph/Utils/IfResults.h"

using namespace mlir;

FailureOr<scf::IfOp> optgraph::appendIfResults(
    RewriterBase &rewriter, scf::IfOp ifOp, TypeRange extraTypes,
    function_ref<FailureOr<SmallVector<Value>>(scf::YieldOp)> extraYields) {
  SmallVector<Type> types(ifOp.getResultTypes());
  llvm::append_range(types, extraTypes);
  rewriter.setInsertionPoint(ifOp);
  auto newIf = scf::IfOp::create(rewriter, ifOp.getLoc(), types,
                                 ifOp.getCondition(), /*withElse=*/true);
  for (auto [from, to] :
       {std::pair{&ifOp.getThenRegion(), &newIf.getThenRegion()},
        {&ifOp.getElseRegion(), &newIf.getElseRegion()}}) {
    rewriter.eraseBlock(&to->front());
    if (from->empty()) {
      rewriter.createBlock(to);
      scf::YieldOp::create(rewriter, ifOp.getLoc());
    } else {
      rewriter.inlineRegionBefore(*from, *to, to->end());
    }
    auto yield = cast<scf::YieldOp>(to->front().getTerminator());
    rewriter.setInsertionPoint(yield);
    FailureOr<SmallVector<Value>> extra = extraYields(yield);
    if (failed(extra))
      return failure();
    SmallVector<Value> yielded(yield.getOperands());
    llvm::append_range(yielded, *extra);
    rewriter.setInsertionPoint(yield);
    rewriter.replaceOpWithNewOp<scf::YieldOp>(yield, yielded);
  }
  rewriter.replaceOp(ifOp,
                     newIf.getResults().take_front(ifOp.getNumResults()));
  return newIf;
}
