//===- Decompose.cpp - expand composite optim ops -------------------------===//

#include "optgraph/Dialect/Optim/IR/OptimOps.h"
#include "optgraph/Dialect/Optim/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace optgraph::optim {
#define GEN_PASS_DEF_OPTIMDECOMPOSE
#include "optgraph/Dialect/Optim/Transforms/Passes.h.inc"
} // namespace optgraph::optim

using namespace mlir;
using namespace optgraph::optim;

namespace {

struct DecomposeAdamW : OpRewritePattern<AdamWOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AdamWOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Type type = op.getParam().getType();
    auto adam = AdamOp::create(rewriter, loc, TypeRange{type, type, type},
                               op.getExpAvg(), op.getExpAvgSq(), op.getGrad(),
                               op.getStep(), op.getBeta1Attr(),
                               op.getBeta2Attr(), op.getEpsAttr());
    auto apply =
        ApplyOp::create(rewriter, loc, type, op.getParam(), adam.getDirection(),
                        op.getLrScale(), op.getLrAttr(),
                        op.getWeightDecayAttr(), rewriter.getF64FloatAttr(1.0));
    rewriter.replaceOp(op, ValueRange{apply.getNewParam(), adam.getNewExpAvg(),
                                      adam.getNewExpAvgSq()});
    return success();
  }
};

struct DecomposeLowRankAdamW : OpRewritePattern<LowRankAdamWOp> {
  using OpRewritePattern::OpRewritePattern;

  /// The subspace after this step's choice and the moments expressed in it.
  struct Subspace {
    Value indices, lowRankGrad, expAvg, expAvgSq;
  };

  /// Refresh: S = G·Q (or Qᵀ·G), pick the top-r, read a out of S, and move
  /// the moments along when rotating.
  static Subspace refresh(OpBuilder &b, Location loc, LowRankAdamWOp op,
                          Value basis, Side side) {
    Value projected = ProjectOp::create(b, loc, op.getGrad().getType(),
                                        op.getGrad(), basis, Value(), side);
    Value indices = SelectOp::create(b, loc, op.getIndices().getType(),
                                     projected, side, op.getNorm());
    Value lowRankGrad = GatherOp::create(b, loc, op.getExpAvg().getType(),
                                         projected, indices, side);
    Subspace result{indices, lowRankGrad, op.getExpAvg(), op.getExpAvgSq()};
    if (op.getRotate()) {
      Type momentType = op.getExpAvg().getType();
      auto rotate = RotateOp::create(b, loc, TypeRange{momentType, momentType},
                                     op.getExpAvg(), op.getExpAvgSq(),
                                     op.getIndices(), indices, side);
      result.expAvg = rotate.getNewExpAvg();
      result.expAvgSq = rotate.getNewExpAvgSq();
    }
    return result;
  }

  LogicalResult matchAndRewrite(LowRankAdamWOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Side side = op.getResolvedSide();
    ArrayRef<int64_t> shape = op.getParam().getType().getShape();
    int64_t size = side == Side::right ? shape[1] : shape[0];
    auto basisType = RankedTensorType::get({size, size}, rewriter.getF32Type());
    Value basis = DctBasisOp::create(rewriter, loc, basisType, op.getBasis());

    Subspace subspace;
    if (op.getInterval() == 1) {
      subspace = refresh(rewriter, loc, op, basis, side);
    } else {
      Value step = op.getStep();
      Type i64 = rewriter.getI64Type();
      auto constant = [&](int64_t value) -> Value {
        return arith::ConstantOp::create(rewriter, loc,
                                         rewriter.getIntegerAttr(i64, value));
      };
      Value isFirst = arith::CmpIOp::create(
          rewriter, loc, arith::CmpIPredicate::eq, step, constant(1));
      Value phase = arith::RemSIOp::create(rewriter, loc, step,
                                           constant(op.getInterval()));
      Value onInterval = arith::CmpIOp::create(
          rewriter, loc, arith::CmpIPredicate::eq, phase, constant(0));
      Value isRefresh =
          arith::OrIOp::create(rewriter, loc, isFirst, onInterval);

      // Result types are inferred from the yields.
      auto ifOp = scf::IfOp::create(
          rewriter, loc, isRefresh,
          [&](OpBuilder &b, Location loc) {
            Subspace s = refresh(b, loc, op, basis, side);
            SmallVector<Value> yielded = {s.indices, s.lowRankGrad};
            if (op.getRotate())
              yielded.append({s.expAvg, s.expAvgSq});
            scf::YieldOp::create(b, loc, yielded);
          },
          [&](OpBuilder &b, Location loc) {
            // Keep the subspace: only the skinny projection onto it.
            Value lowRankGrad =
                ProjectOp::create(b, loc, op.getExpAvg().getType(),
                                  op.getGrad(), basis, op.getIndices(), side);
            SmallVector<Value> yielded = {op.getIndices(), lowRankGrad};
            if (op.getRotate())
              yielded.append({op.getExpAvg(), op.getExpAvgSq()});
            scf::YieldOp::create(b, loc, yielded);
          });
      subspace = Subspace{ifOp.getResult(0), ifOp.getResult(1), op.getExpAvg(),
                          op.getExpAvgSq()};
      if (op.getRotate()) {
        subspace.expAvg = ifOp.getResult(2);
        subspace.expAvgSq = ifOp.getResult(3);
      }
    }

    Type momentType = op.getExpAvg().getType();
    auto adam = AdamOp::create(
        rewriter, loc, TypeRange{momentType, momentType, momentType},
        subspace.expAvg, subspace.expAvgSq, subspace.lowRankGrad, op.getStep(),
        op.getBeta1Attr(), op.getBeta2Attr(), op.getEpsAttr());
    Value update = ProjectBackOp::create(rewriter, loc, op.getParam().getType(),
                                         adam.getDirection(), basis,
                                         subspace.indices, side);
    auto apply =
        ApplyOp::create(rewriter, loc, op.getParam().getType(), op.getParam(),
                        update, op.getLrScale(), op.getLrAttr(),
                        op.getWeightDecayAttr(), op.getScaleAttr());
    rewriter.replaceOp(op, ValueRange{apply.getNewParam(), adam.getNewExpAvg(),
                                      adam.getNewExpAvgSq(), subspace.indices});
    return success();
  }
};

struct OptimDecomposePass
    : public optgraph::optim::impl::OptimDecomposeBase<OptimDecomposePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateOptimDecomposePatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void optgraph::optim::populateOptimDecomposePatterns(
    RewritePatternSet &patterns) {
  patterns.add<DecomposeAdamW, DecomposeLowRankAdamW>(patterns.getContext());
}
