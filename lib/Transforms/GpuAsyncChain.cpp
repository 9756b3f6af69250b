//===- GpuAsyncChain.cpp - one stream per function, one synchronization ---===//

#include "optgraph/Utils/IfResults.h"
#include "optgraph/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/PatternMatch.h"

namespace optgraph {
#define GEN_PASS_DEF_OPTGRAPHGPUASYNCCHAIN
#include "optgraph/Transforms/Passes.h.inc"
} // namespace optgraph

using namespace mlir;
using namespace optgraph;

namespace {

bool holdsGpuWork(Operation *op) {
  return op
      ->walk([](gpu::AsyncOpInterface) { return WalkResult::interrupt(); })
      .wasInterrupted();
}

struct AsyncChain {
  RewriterBase &rewriter;
  Type tokenType;

  /// `op` made to depend on `token`; returns its own token.
  Value chain(gpu::AsyncOpInterface asyncOp, Value token) {
    Operation *op = asyncOp.getOperation();
    asyncOp.addAsyncDependency(token);
    if (Value own = asyncOp.getAsyncToken())
      return own;
    // A synchronous op: rebuild it with a token result.
    SmallVector<Type> types(op->getResultTypes());
    types.push_back(tokenType);
    OperationState state(op->getLoc(), op->getName(), op->getOperands(), types,
                         op->getAttrs(), op->getSuccessors());
    state.propertiesAttr = op->getPropertiesAsAttribute();
    rewriter.setInsertionPoint(op);
    Operation *async = rewriter.create(state);
    rewriter.replaceOp(op, async->getResults().drop_back());
    return async->getResults().back();
  }

  /// Threads `token` through `block`; returns the token after its last op.
  FailureOr<Value> thread(Block &block, Value token) {
    for (Operation &op : llvm::make_early_inc_range(block)) {
      if (op.getNumResults() == 1 && op.getResult(0) == token)
        continue; // the chain's start
      if (isa<gpu::WaitOp>(op))
        return op.emitOpError("is already asynchronous; run "
                              "-optgraph-gpu-async-chain on synchronous code");
      if (auto asyncOp = dyn_cast<gpu::AsyncOpInterface>(op)) {
        token = chain(asyncOp, token);
        continue;
      }
      if (op.getNumRegions() == 0 || !holdsGpuWork(&op))
        continue;
      auto ifOp = dyn_cast<scf::IfOp>(op);
      if (!ifOp)
        return op.emitOpError("holds GPU work in a region the async chain "
                              "does not handle");
      FailureOr<Value> next = threadIf(ifOp, token);
      if (failed(next))
        return failure();
      token = *next;
    }
    return token;
  }

  /// Both branches continue the chain and yield their last token.
  FailureOr<Value> threadIf(scf::IfOp ifOp, Value token) {
    FailureOr<scf::IfOp> newIf = appendIfResults(
        rewriter, ifOp, tokenType,
        [&](scf::YieldOp yield) -> FailureOr<SmallVector<Value>> {
          FailureOr<Value> last = thread(*yield->getBlock(), token);
          if (failed(last))
            return failure();
          return SmallVector<Value>{*last};
        });
    if (failed(newIf))
      return failure();
    return newIf->getResults().back();
  }
};

struct OptgraphGpuAsyncChainPass
    : public optgraph::impl::OptgraphGpuAsyncChainBase<
          OptgraphGpuAsyncChainPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isDeclaration() || !holdsGpuWork(func))
      return;
    if (!func.getBody().hasOneBlock()) {
      func.emitOpError("has unstructured control flow around GPU work");
      return signalPassFailure();
    }
    IRRewriter rewriter(&getContext());
    Type tokenType = gpu::AsyncTokenType::get(&getContext());
    Block &body = func.getBody().front();
    rewriter.setInsertionPointToStart(&body);
    Value start = gpu::WaitOp::create(rewriter, func.getLoc(), tokenType,
                                      ValueRange())
                      .getAsyncToken();
    AsyncChain chain{rewriter, tokenType};
    FailureOr<Value> last = chain.thread(body, start);
    if (failed(last))
      return signalPassFailure();
    rewriter.setInsertionPoint(body.getTerminator());
    gpu::WaitOp::create(rewriter, func.getLoc(), Type(), ValueRange{*last});
  }
};

} // namespace
