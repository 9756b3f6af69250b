//===- Fuse.cpp - form the fused ops the GPU lowering turns into kernels --===//

#include "optgraph/Dialect/Optim/IR/OptimOps.h"
#include "optgraph/Dialect/Optim/Transforms/Passes.h"
#include "optgraph/Utils/IfResults.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace optgraph::optim {
#define GEN_PASS_DEF_OPTIMFUSE
#include "optgraph/Dialect/Optim/Transforms/Passes.h.inc"
} // namespace optgraph::optim

using namespace mlir;
using namespace optgraph::optim;

namespace {

/// select(project(G, Q)) → project_select: the scores ride on the
/// projection's epilogue.
struct FuseProjectSelect : OpRewritePattern<SelectOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SelectOp select,
                                PatternRewriter &rewriter) const override {
    auto project = select.getProjected().getDefiningOp<ProjectOp>();
    if (!project || project.getIndices() ||
        project.getSide() != select.getSide())
      return failure();
    rewriter.setInsertionPoint(project);
    auto fused = ProjectSelectOp::create(
        rewriter, select.getLoc(),
        TypeRange{project.getType(), select.getType()}, project.getGrad(),
        project.getBasis(), select.getSideAttr(), select.getNormAttr());
    rewriter.replaceOp(select, fused.getIndices());
    rewriter.replaceOp(project, fused.getProjected());
    return success();
  }
};

/// adam(rotate(m, v, old → idx)?, gather(S, idx)) → gather_adam.
struct FuseGatherAdam : OpRewritePattern<AdamOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AdamOp adam,
                                PatternRewriter &rewriter) const override {
    auto gather = adam.getGrad().getDefiningOp<GatherOp>();
    if (!gather)
      return failure();
    Value expAvg = adam.getExpAvg(), expAvgSq = adam.getExpAvgSq();
    Value oldIndices;
    if (auto rotate = expAvg.getDefiningOp<RotateOp>()) {
      if (rotate.getNewExpAvgSq() != expAvgSq ||
          rotate.getNewIndices() != gather.getIndices() ||
          rotate.getSide() != gather.getSide())
        return failure();
      expAvg = rotate.getExpAvg();
      expAvgSq = rotate.getExpAvgSq();
      oldIndices = rotate.getOldIndices();
    } else if (expAvg.getDefiningOp<RotateOp>() ||
               expAvgSq.getDefiningOp<RotateOp>()) {
      return failure();
    }
    rewriter.replaceOpWithNewOp<GatherAdamOp>(
        adam, adam.getResultTypes(), gather.getProjected(),
        gather.getIndices(), expAvg, expAvgSq, adam.getStep(), oldIndices,
        gather.getSideAttr(), adam.getBeta1Attr(), adam.getBeta2Attr(),
        adam.getEpsAttr());
    return success();
  }
};

/// adam(m, v, a) where a (or the moments) come out of an `scf.if` → one
/// adam per branch, so that each branch's producer and the moment update can
/// fuse: on refresh steps with the gather and rotation, otherwise with
/// nothing (the skinny projection already made a).
struct SinkAdamIntoBranches : OpRewritePattern<AdamOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AdamOp adam,
                                PatternRewriter &rewriter) const override {
    auto ifOp = adam.getGrad().getDefiningOp<scf::IfOp>();
    if (!ifOp || ifOp.getElseRegion().empty())
      return failure();
    // Every operand must be an `if` result or visible inside the branches.
    for (Value operand : adam->getOperands())
      if (operand.getDefiningOp() != ifOp.getOperation() &&
          !operand.getParentRegion()->isProperAncestor(&ifOp.getThenRegion()))
        return failure();

    unsigned count = ifOp.getNumResults();
    FailureOr<scf::IfOp> newIf = optgraph::appendIfResults(
        rewriter, ifOp, adam.getResultTypes(),
        [&](scf::YieldOp yield) -> FailureOr<SmallVector<Value>> {
          IRMapping mapping;
          for (auto [result, yielded] :
               llvm::zip(ifOp.getResults(), yield.getOperands()))
            mapping.map(result, yielded);
          return SmallVector<Value>(rewriter.clone(*adam, mapping)->getResults());
        });
    if (failed(newIf))
      return failure();
    rewriter.replaceOp(adam, newIf->getResults().drop_front(count));
    return success();
  }
};

/// apply(W, project_back(u, Q, idx)) → project_back_apply: the update is the
/// back-projection's epilogue and U is never stored.
struct FuseProjectBackApply : OpRewritePattern<ApplyOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ApplyOp apply,
                                PatternRewriter &rewriter) const override {
    auto back = apply.getUpdate().getDefiningOp<ProjectBackOp>();
    if (!back || !back->hasOneUse())
      return failure();
    rewriter.replaceOpWithNewOp<ProjectBackApplyOp>(
        apply, apply.getType(), apply.getParam(), back.getDirection(),
        back.getBasis(), back.getIndices(), apply.getLrScale(), back.getSideAttr(),
        apply.getLrAttr(), apply.getWeightDecayAttr(), apply.getScaleAttr());
    return success();
  }
};

/// apply(W, adam(m, v, G).direction) with the full gradient → adamw: one
/// elementwise kernel for a full-rank parameter.
struct FuseAdamApply : OpRewritePattern<ApplyOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ApplyOp apply,
                                PatternRewriter &rewriter) const override {
    auto adam = apply.getUpdate().getDefiningOp<AdamOp>();
    if (!adam || !apply.getScale().isExactlyValue(1.0) ||
        !adam.getDirection().hasOneUse() ||
        adam.getGrad().getType() != apply.getParam().getType())
      return failure();
    auto adamw = AdamWOp::create(
        rewriter, apply.getLoc(), adam.getResultTypes(), apply.getParam(),
        adam.getGrad(), adam.getExpAvg(), adam.getExpAvgSq(), adam.getStep(),
        apply.getLrScale(), apply.getLrAttr(), adam.getBeta1Attr(),
        adam.getBeta2Attr(), adam.getEpsAttr(), apply.getWeightDecayAttr());
    rewriter.replaceOp(apply, adamw.getNewParam());
    rewriter.replaceAllUsesWith(adam.getNewExpAvg(), adamw.getNewExpAvg());
    rewriter.replaceAllUsesWith(adam.getNewExpAvgSq(), adamw.getNewExpAvgSq());
    rewriter.eraseOp(adam);
    return success();
  }
};

struct OptimFusePass
    : public optgraph::optim::impl::OptimFuseBase<OptimFusePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateOptimFusePatterns(patterns);
    scf::IfOp::getCanonicalizationPatterns(patterns, &getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void optgraph::optim::populateOptimFusePatterns(RewritePatternSet &patterns) {
  patterns.add<FuseProjectSelect, FuseGatherAdam, SinkAdamIntoBranches,
               FuseProjectBackApply, FuseAdamApply>(patterns.getContext());
}
