//===- OptimToLinalg.cpp - lower optim primitives to linalg ---------------===//

#include "optgraph/Conversion/OptimToLinalg/OptimToLinalg.h"
#include "optgraph/Conversion/StepFactors.h"
#include "optgraph/Dialect/Optim/IR/OptimOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/DialectConversion.h"

#include <cmath>

namespace optgraph {
#define GEN_PASS_DEF_CONVERTOPTIMTOLINALG
#include "optgraph/Conversion/Passes.h.inc"
} // namespace optgraph

using namespace mlir;
using namespace optgraph::optim;

namespace {

//===----------------------------------------------------------------------===//
// Builders shared by the patterns
//===----------------------------------------------------------------------===//

Value f32Constant(OpBuilder &b, Location loc, double value) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(value));
}

Value f64Constant(OpBuilder &b, Location loc, double value) {
  return arith::ConstantOp::create(b, loc, b.getF64FloatAttr(value));
}

Value i64Constant(OpBuilder &b, Location loc, int64_t value) {
  return arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(value));
}

/// A tensor of `shape` filled with `value`.
Value filledTensor(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                   Value value) {
  Value empty = tensor::EmptyOp::create(b, loc, shape, value.getType());
  return linalg::FillOp::create(b, loc, value, empty).getResult(0);
}

SmallVector<utils::IteratorType> parallel(unsigned rank) {
  return SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel);
}

/// C = op(A)·op(B) where op transposes when asked; C is n×m in f32.
Value matmul(OpBuilder &b, Location loc, Value lhs, Value rhs,
             bool transposeLhs, bool transposeRhs) {
  auto lhsType = cast<RankedTensorType>(lhs.getType());
  auto rhsType = cast<RankedTensorType>(rhs.getType());
  int64_t rows = lhsType.getDimSize(transposeLhs ? 1 : 0);
  int64_t cols = rhsType.getDimSize(transposeRhs ? 0 : 1);
  Value init = filledTensor(b, loc, {rows, cols}, f32Constant(b, loc, 0.0));
  if (!transposeLhs && !transposeRhs)
    return linalg::MatmulOp::create(b, loc, ValueRange{lhs, rhs}, init)
        .getResult(0);
  MLIRContext *ctx = b.getContext();
  AffineExpr i, j, k;
  bindDims(ctx, i, j, k);
  auto map = [&](AffineExpr d0, AffineExpr d1) {
    return AffineMapAttr::get(AffineMap::get(3, 0, {d0, d1}, ctx));
  };
  ArrayAttr maps =
      b.getArrayAttr({transposeLhs ? map(k, i) : map(i, k),
                      transposeRhs ? map(j, k) : map(k, j), map(i, j)});
  return linalg::MatmulOp::create(
             b, loc, TypeRange{init.getType()}, ValueRange{lhs, rhs},
             ValueRange{init},
             ArrayRef<NamedAttribute>{b.getNamedAttr("indexing_maps", maps)})
      .getResult(0);
}

/// The index into a low-rank slice's selection axis: the column of an n×r
/// (right) slice, the row of an r×m (left) one.
unsigned selectionDim(Side side) { return side == Side::right ? 1 : 0; }

/// A tensor of `type` whose element at position p (as i64 indices) is
/// `element(p)`: a linalg.generic with no inputs.
Value generateTensor(
    OpBuilder &b, Location loc, RankedTensorType type,
    function_ref<Value(OpBuilder &, Location, ValueRange)> element) {
  unsigned rank = type.getRank();
  Value init =
      tensor::EmptyOp::create(b, loc, type.getShape(), type.getElementType());
  return linalg::GenericOp::create(
             b, loc, TypeRange{type}, ValueRange{}, ValueRange{init},
             SmallVector<AffineMap>{b.getMultiDimIdentityMap(rank)},
             parallel(rank),
             [&](OpBuilder &nb, Location nl, ValueRange) {
               SmallVector<Value> position;
               for (unsigned d = 0; d < rank; ++d)
                 position.push_back(arith::IndexCastOp::create(
                     nb, nl, nb.getI64Type(),
                     linalg::IndexOp::create(nb, nl, d)));
               linalg::YieldOp::create(nb, nl, element(nb, nl, position));
             })
      .getResult(0);
}

/// cos(π·p/(2N)) for p in [0, 4N), in f64. Every basis entry is one of these
/// times its row's norm, so a basis costs 4N cosines, not N².
Value cosineTable(OpBuilder &b, Location loc, int64_t size) {
  auto type = RankedTensorType::get({4 * size}, b.getF64Type());
  return generateTensor(
      b, loc, type, [&](OpBuilder &nb, Location nl, ValueRange position) {
        Value angle = arith::MulFOp::create(
            nb, nl,
            arith::UIToFPOp::create(nb, nl, nb.getF64Type(), position[0]),
            f64Constant(nb, nl, M_PI / (2.0 * size)));
        return math::CosOp::create(nb, nl, angle).getResult();
      });
}

/// Q[row, col] of the N×N basis `kind`, for i64 `row` and `col`, in f32.
/// D[k, j] = c_k·sqrt(2/N)·cos(π·k·(2j+1)/(2N)); Q = D (dct3) or Dᵀ (dct2).
/// The phase k·(2j+1) is reduced modulo 4N exactly in integers and looks
/// its cosine up in `table` (cosineTable), so no angle loses precision
/// whatever N is.
Value dctEntry(OpBuilder &b, Location l, Value table, Value row, Value col,
               int64_t size, BasisKind kind) {
  Value k = kind == BasisKind::dct2 ? col : row;
  Value j = kind == BasisKind::dct2 ? row : col;
  Value twoJPlusOne = arith::AddIOp::create(
      b, l, arith::MulIOp::create(b, l, j, i64Constant(b, l, 2)),
      i64Constant(b, l, 1));
  Value phase =
      arith::RemUIOp::create(b, l, arith::MulIOp::create(b, l, k, twoJPlusOne),
                             i64Constant(b, l, 4 * size));
  Value cosine = tensor::ExtractOp::create(
      b, l, table,
      ValueRange{arith::IndexCastOp::create(b, l, b.getIndexType(), phase)});
  Value isFirst = arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, k,
                                        i64Constant(b, l, 0));
  Value norm = arith::SelectOp::create(
      b, l, isFirst, f64Constant(b, l, std::sqrt(1.0 / size)),
      f64Constant(b, l, std::sqrt(2.0 / size)));
  Value value = arith::MulFOp::create(b, l, norm, cosine);
  return arith::TruncFOp::create(b, l, b.getF32Type(), value);
}

/// result[i, k] = src[i, idx[k]] (dim 1) or result[k, j] = src[idx[k], j]
/// (dim 0) over a result of `shape`: optim.gather and the selected basis
/// columns.
Value gatherSlices(OpBuilder &b, Location loc, Value src, Value indices,
                   ArrayRef<int64_t> shape, unsigned dim) {
  MLIRContext *ctx = b.getContext();
  Value init = tensor::EmptyOp::create(
      b, loc, shape, cast<RankedTensorType>(src.getType()).getElementType());
  SmallVector<AffineMap> maps = {
      AffineMap::get(2, 0, {getAffineDimExpr(dim, ctx)}, ctx),
      AffineMap::getMultiDimIdentityMap(2, ctx)};
  return linalg::GenericOp::create(
             b, loc, TypeRange{init.getType()}, ValueRange{indices},
             ValueRange{init}, maps, parallel(2),
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               SmallVector<Value, 2> pos = {linalg::IndexOp::create(nb, nl, 0),
                                            linalg::IndexOp::create(nb, nl, 1)};
               pos[dim] = arith::IndexCastOp::create(nb, nl, nb.getIndexType(),
                                                     args[0]);
               Value value = tensor::ExtractOp::create(nb, nl, src, pos);
               linalg::YieldOp::create(nb, nl, value);
             })
      .getResult(0);
}

/// Q[:, idx]: the selected basis vectors as the columns of an N×r matrix.
/// When Q is a DCT basis, only these N·r entries are computed: steps that
/// keep their subspace never materialise the N×N basis.
Value selectedBasisColumns(OpBuilder &b, Location loc, Value basis,
                           Value indices) {
  int64_t size = cast<RankedTensorType>(basis.getType()).getDimSize(0);
  int64_t rank = cast<RankedTensorType>(indices.getType()).getDimSize(0);
  auto dct = basis.getDefiningOp<DctBasisOp>();
  if (!dct)
    return gatherSlices(b, loc, basis, indices, {size, rank}, /*dim=*/1);
  MLIRContext *ctx = b.getContext();
  Value init = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{size, rank},
                                       b.getF32Type());
  SmallVector<AffineMap> maps = {
      AffineMap::get(2, 0, {getAffineDimExpr(1, ctx)}, ctx),
      AffineMap::getMultiDimIdentityMap(2, ctx)};
  BasisKind kind = dct.getKind();
  Value table = cosineTable(b, loc, size);
  return linalg::GenericOp::create(
             b, loc, TypeRange{init.getType()}, ValueRange{indices},
             ValueRange{init}, maps, parallel(2),
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               Value row = arith::IndexCastOp::create(
                   nb, nl, nb.getI64Type(), linalg::IndexOp::create(nb, nl, 0));
               linalg::YieldOp::create(
                   nb, nl, dctEntry(nb, nl, table, row, args[0], size, kind));
             })
      .getResult(0);
}

//===----------------------------------------------------------------------===//
// Patterns
//===----------------------------------------------------------------------===//

struct DctBasisLowering : OpRewritePattern<DctBasisOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DctBasisOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = op.getType();
    int64_t size = type.getDimSize(0);
    Value table = cosineTable(rewriter, loc, size);
    Value basis =
        generateTensor(rewriter, loc, type,
                       [&](OpBuilder &b, Location l, ValueRange position) {
                         return dctEntry(b, l, table, position[0], position[1],
                                         size, op.getKind());
                       });
    rewriter.replaceOp(op, basis);
    return success();
  }
};

struct ProjectLowering : OpRewritePattern<ProjectOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ProjectOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value basis = op.getBasis();
    if (op.getIndices())
      basis = selectedBasisColumns(rewriter, loc, basis, op.getIndices());
    // right: G·Q[:, idx]; left: Q[:, idx]ᵀ·G.
    Value result =
        op.getSide() == Side::right
            ? matmul(rewriter, loc, op.getGrad(), basis, false, false)
            : matmul(rewriter, loc, basis, op.getGrad(), true, false);
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct ProjectBackLowering : OpRewritePattern<ProjectBackOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ProjectBackOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value columns =
        selectedBasisColumns(rewriter, loc, op.getBasis(), op.getIndices());
    // right: u·Q[:, idx]ᵀ; left: Q[:, idx]·u.
    Value result =
        op.getSide() == Side::right
            ? matmul(rewriter, loc, op.getDirection(), columns, false, true)
            : matmul(rewriter, loc, columns, op.getDirection(), false, false);
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct GatherLowering : OpRewritePattern<GatherOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(GatherOp op,
                                PatternRewriter &rewriter) const override {
    rewriter.replaceOp(op,
                       gatherSlices(rewriter, op.getLoc(), op.getProjected(),
                                    op.getIndices(), op.getType().getShape(),
                                    selectionDim(op.getSide())));
    return success();
  }
};

struct SelectLowering : OpRewritePattern<SelectOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SelectOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Side side = op.getSide();
    unsigned basisDim = side == Side::right ? 1 : 0;
    int64_t size = op.getProjected().getType().getDimSize(basisDim);
    int64_t rank = op.getType().getDimSize(0);
    Type i64 = rewriter.getI64Type();

    // Scores: Σ|s| (l1) or Σs² (l2, the square of the norm: same order).
    SmallVector<utils::IteratorType> reduceOther = parallel(2);
    reduceOther[1 - basisDim] = utils::IteratorType::reduction;
    Value scoresInit =
        filledTensor(rewriter, loc, {size}, f32Constant(rewriter, loc, 0.0));
    bool l1 = op.getNorm() == ScoreNorm::l1;
    Value scores =
        linalg::GenericOp::create(
            rewriter, loc, TypeRange{scoresInit.getType()},
            ValueRange{op.getProjected()}, ValueRange{scoresInit},
            SmallVector<AffineMap>{
                AffineMap::getMultiDimIdentityMap(2, ctx),
                AffineMap::get(2, 0, {getAffineDimExpr(basisDim, ctx)}, ctx)},
            reduceOther,
            [&](OpBuilder &b, Location l, ValueRange args) {
              Value term = l1 ? math::AbsFOp::create(b, l, args[0]).getResult()
                              : arith::MulFOp::create(b, l, args[0], args[0])
                                    .getResult();
              linalg::YieldOp::create(
                  b, l, arith::AddFOp::create(b, l, args[1], term).getResult());
            })
            .getResult(0);
    scores = linalg::GenericOp::create(
                 rewriter, loc, TypeRange{scoresInit.getType()},
                 ValueRange{scores}, ValueRange{scoresInit},
                 SmallVector<AffineMap>(2, AffineMap::getMultiDimIdentityMap(
                                               1, ctx)),
                 parallel(1),
                 [&](OpBuilder &b, Location l, ValueRange args) {
                   linalg::YieldOp::create(b, l,
                                           optgraph::selectionScore(b, l, args[0]));
                 })
                 .getResult(0);

    // Rank of each score: how many scores beat it, a tie going to the
    // smaller index. Selected iff rank < r; with NaN counted as +inf the
    // ranks are a permutation, so exactly r are selected.
    Value ranksInit =
        filledTensor(rewriter, loc, {size}, i64Constant(rewriter, loc, 0));
    AffineExpr j, i;
    bindDims(ctx, j, i);
    Value ranks =
        linalg::GenericOp::create(
            rewriter, loc, TypeRange{ranksInit.getType()},
            ValueRange{scores, scores}, ValueRange{ranksInit},
            SmallVector<AffineMap>{AffineMap::get(2, 0, {j}, ctx),
                                   AffineMap::get(2, 0, {i}, ctx),
                                   AffineMap::get(2, 0, {j}, ctx)},
            {utils::IteratorType::parallel, utils::IteratorType::reduction},
            [&](OpBuilder &b, Location l, ValueRange args) {
              Value self = linalg::IndexOp::create(b, l, 0);
              Value other = linalg::IndexOp::create(b, l, 1);
              Value greater = arith::CmpFOp::create(
                  b, l, arith::CmpFPredicate::OGT, args[1], args[0]);
              Value equal = arith::CmpFOp::create(
                  b, l, arith::CmpFPredicate::OEQ, args[1], args[0]);
              Value before = arith::CmpIOp::create(
                  b, l, arith::CmpIPredicate::ult, other, self);
              Value beats = arith::OrIOp::create(
                  b, l, greater, arith::AndIOp::create(b, l, equal, before));
              Value count = arith::AddIOp::create(
                  b, l, args[2], arith::ExtUIOp::create(b, l, i64, beats));
              linalg::YieldOp::create(b, l, count);
            })
            .getResult(0);

    // Ordered scan: write the selected indices in ascending order.
    Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
    Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
    Value rankIndex = arith::ConstantIndexOp::create(rewriter, loc, rank);
    Value rankI64 = i64Constant(rewriter, loc, rank);
    Value indicesInit =
        filledTensor(rewriter, loc, {rank}, i64Constant(rewriter, loc, 0));
    auto scan = scf::ForOp::create(
        rewriter, loc, zero,
        arith::ConstantIndexOp::create(rewriter, loc, size), one,
        ValueRange{indicesInit, zero},
        [&](OpBuilder &b, Location l, Value iv, ValueRange iterArgs) {
          Value indices = iterArgs[0], count = iterArgs[1];
          Value rankOfIv = tensor::ExtractOp::create(b, l, ranks, iv);
          Value selected = arith::AndIOp::create(
              b, l,
              arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, rankOfIv,
                                    rankI64),
              arith::CmpIOp::create(b, l, arith::CmpIPredicate::ult, count,
                                    rankIndex));
          auto ifOp = scf::IfOp::create(
              b, l, selected,
              [&](OpBuilder &tb, Location tl) {
                Value column = arith::IndexCastOp::create(tb, tl, i64, iv);
                Value updated =
                    tensor::InsertOp::create(tb, tl, column, indices, count);
                Value next = arith::AddIOp::create(tb, tl, count, one);
                scf::YieldOp::create(tb, tl, ValueRange{updated, next});
              },
              [&](OpBuilder &eb, Location el) {
                scf::YieldOp::create(eb, el, ValueRange{indices, count});
              });
          scf::YieldOp::create(b, l, ifOp.getResults());
        });
    rewriter.replaceOp(op, scan.getResult(0));
    return success();
  }
};

struct RotateLowering : OpRewritePattern<RotateOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(RotateOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    int64_t rank = op.getOldIndices().getType().getDimSize(0);
    Type i64 = rewriter.getI64Type();

    // source[k] = the old position of basis column new[k], or -1.
    Value sourceInit =
        filledTensor(rewriter, loc, {rank}, i64Constant(rewriter, loc, -1));
    AffineExpr k, j;
    bindDims(ctx, k, j);
    Value source =
        linalg::GenericOp::create(
            rewriter, loc, TypeRange{sourceInit.getType()},
            ValueRange{op.getNewIndices(), op.getOldIndices()},
            ValueRange{sourceInit},
            SmallVector<AffineMap>{AffineMap::get(2, 0, {k}, ctx),
                                   AffineMap::get(2, 0, {j}, ctx),
                                   AffineMap::get(2, 0, {k}, ctx)},
            {utils::IteratorType::parallel, utils::IteratorType::reduction},
            [&](OpBuilder &b, Location l, ValueRange args) {
              Value same = arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq,
                                                 args[0], args[1]);
              Value position = arith::IndexCastOp::create(
                  b, l, i64, linalg::IndexOp::create(b, l, 1));
              linalg::YieldOp::create(
                  b, l,
                  arith::SelectOp::create(b, l, same, position, args[2])
                      .getResult());
            })
            .getResult(0);

    // Move both moments in one pass; columns with no source start at zero.
    unsigned dim = selectionDim(op.getSide());
    RankedTensorType type = op.getExpAvg().getType();
    Value init = tensor::EmptyOp::create(rewriter, loc, type.getShape(),
                                         type.getElementType());
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{type, type}, ValueRange{source},
        ValueRange{init, init},
        SmallVector<AffineMap>{
            AffineMap::get(2, 0, {getAffineDimExpr(dim, ctx)}, ctx),
            AffineMap::getMultiDimIdentityMap(2, ctx),
            AffineMap::getMultiDimIdentityMap(2, ctx)},
        parallel(2), [&](OpBuilder &b, Location l, ValueRange args) {
          Value zeroI64 = i64Constant(b, l, 0);
          Value kept = arith::CmpIOp::create(b, l, arith::CmpIPredicate::sge,
                                             args[0], zeroI64);
          Value from = arith::IndexCastOp::create(
              b, l, b.getIndexType(),
              arith::MaxSIOp::create(b, l, args[0], zeroI64));
          SmallVector<Value, 2> pos = {linalg::IndexOp::create(b, l, 0),
                                       linalg::IndexOp::create(b, l, 1)};
          pos[dim] = from;
          Value zeroF = f32Constant(b, l, 0.0);
          SmallVector<Value> moved;
          for (Value moment : {op.getExpAvg(), op.getExpAvgSq()}) {
            Value value = tensor::ExtractOp::create(b, l, moment, pos);
            moved.push_back(arith::SelectOp::create(b, l, kept, value, zeroF));
          }
          linalg::YieldOp::create(b, l, moved);
        });
    rewriter.replaceOp(op, generic.getResults());
    return success();
  }
};

struct AdamLowering : OpRewritePattern<AdamOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AdamOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    double beta1 = op.getBeta1().convertToDouble();
    double beta2 = op.getBeta2().convertToDouble();
    double eps = op.getEps().convertToDouble();

    Value scale1 = optgraph::inverseBiasCorrection(rewriter, loc, op.getStep(),
                                                   beta1);
    Value scale2 = optgraph::inverseBiasCorrection(rewriter, loc, op.getStep(),
                                                   beta2);

    RankedTensorType type = op.getGrad().getType();
    Value init = tensor::EmptyOp::create(rewriter, loc, type.getShape(),
                                         type.getElementType());
    unsigned rank = type.getRank();
    AffineMap identity = rewriter.getMultiDimIdentityMap(rank);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{type, type, type},
        ValueRange{op.getExpAvg(), op.getExpAvgSq(), op.getGrad()},
        ValueRange{init, init, init}, SmallVector<AffineMap>(6, identity),
        parallel(rank), [&](OpBuilder &b, Location l, ValueRange args) {
          Value m = args[0], v = args[1], a = args[2];
          auto mul = [&](Value x, Value y) -> Value {
            return arith::MulFOp::create(b, l, x, y);
          };
          auto add = [&](Value x, Value y) -> Value {
            return arith::AddFOp::create(b, l, x, y);
          };
          Value newM = add(mul(f32Constant(b, l, beta1), m),
                           mul(f32Constant(b, l, 1.0 - beta1), a));
          Value newV = add(mul(f32Constant(b, l, beta2), v),
                           mul(f32Constant(b, l, 1.0 - beta2), mul(a, a)));
          Value denom = add(math::SqrtOp::create(b, l, mul(newV, scale2)),
                            f32Constant(b, l, eps));
          Value direction =
              arith::DivFOp::create(b, l, mul(newM, scale1), denom);
          linalg::YieldOp::create(b, l, ValueRange{newM, newV, direction});
        });
    rewriter.replaceOp(op, generic.getResults());
    return success();
  }
};

struct ApplyLowering : OpRewritePattern<ApplyOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ApplyOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value decay, step;
    std::tie(decay, step) = optgraph::updateFactors(
        rewriter, loc, op.getLrScale(), op.getLr().convertToDouble(),
        op.getWeightDecay().convertToDouble(), op.getScale().convertToDouble());
    RankedTensorType type = op.getParam().getType();
    unsigned rank = type.getRank();
    AffineMap identity = rewriter.getMultiDimIdentityMap(rank);
    Value init = tensor::EmptyOp::create(rewriter, loc, type.getShape(),
                                         type.getElementType());
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{type},
        ValueRange{op.getParam(), op.getUpdate()}, ValueRange{init},
        SmallVector<AffineMap>(3, identity), parallel(rank),
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value decayed = arith::MulFOp::create(b, l, args[0], decay);
          Value delta = arith::MulFOp::create(b, l, args[1], step);
          linalg::YieldOp::create(
              b, l, arith::SubFOp::create(b, l, decayed, delta).getResult());
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

struct ConvertOptimToLinalgPass
    : public optgraph::impl::ConvertOptimToLinalgBase<
          ConvertOptimToLinalgPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    WalkResult composites = getOperation()->walk([](Operation *op) {
      if (!isa<AdamWOp, LowRankAdamWOp>(op))
        return WalkResult::advance();
      op->emitOpError("is a composite; run -optim-decompose before "
                      "-convert-optim-to-linalg");
      return WalkResult::interrupt();
    });
    if (composites.wasInterrupted())
      return signalPassFailure();
    ConversionTarget target(*ctx);
    target.addLegalDialect<arith::ArithDialect, linalg::LinalgDialect,
                           math::MathDialect, scf::SCFDialect,
                           tensor::TensorDialect>();
    target.addIllegalDialect<OptimDialect>();
    // Bases last: while they are still optim.dct_basis, projections onto
    // selected columns generate those columns instead of reading a full
    // basis (see selectedBasisColumns).
    target.addLegalOp<DctBasisOp>();
    FrozenRewritePatternSet patterns = [&] {
      RewritePatternSet set(ctx);
      optgraph::populateOptimToLinalgConversionPatterns(set);
      return FrozenRewritePatternSet(std::move(set));
    }();
    if (failed(applyPartialConversion(getOperation(), target, patterns)))
      return signalPassFailure();
    getOperation()->walk([](DctBasisOp op) {
      if (op->use_empty())
        op->erase();
    });
    target.addIllegalOp<DctBasisOp>();
    if (failed(applyPartialConversion(getOperation(), target, patterns)))
      signalPassFailure();
  }
};

} // namespace

void optgraph::populateOptimToLinalgConversionPatterns(
    RewritePatternSet &patterns) {
  patterns.add<DctBasisLowering, ProjectLowering, ProjectBackLowering,
               GatherLowering, SelectLowering, RotateLowering, AdamLowering,
               ApplyLowering>(patterns.getContext());
}
