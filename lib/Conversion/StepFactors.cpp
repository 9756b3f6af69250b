//===- StepFactors.cpp - per-step scalars shared by the lowerings ---------===//

#include "optgraph/Conversion/StepFactors.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;

static Value constant(OpBuilder &b, Location loc, FloatAttr value) {
  return arith::ConstantOp::create(b, loc, value);
}

Value optgraph::inverseBiasCorrection(OpBuilder &b, Location loc, Value step,
                                      double beta) {
  Value t = arith::SIToFPOp::create(b, loc, b.getF64Type(), step);
  Value power =
      math::PowFOp::create(b, loc, constant(b, loc, b.getF64FloatAttr(beta)), t);
  Value one = constant(b, loc, b.getF64FloatAttr(1.0));
  Value correction = arith::SubFOp::create(b, loc, one, power);
  Value inverse = arith::DivFOp::create(b, loc, one, correction);
  return arith::TruncFOp::create(b, loc, b.getF32Type(), inverse);
}

std::pair<Value, Value> optgraph::updateFactors(OpBuilder &b, Location loc,
                                                Value lrScale, double lr,
                                                double weightDecay,
                                                double scale) {
  double lrDecay = lr * weightDecay;
  double lrStep = lr * scale;
  if (!lrScale)
    return {constant(b, loc, b.getF32FloatAttr(1.0 - lrDecay)),
            constant(b, loc, b.getF32FloatAttr(lrStep))};
  // One statement per op: argument evaluation order is unspecified, and the
  // IR must not depend on the host compiler.
  Value one = constant(b, loc, b.getF32FloatAttr(1.0));
  Value scaledDecay = arith::MulFOp::create(
      b, loc, constant(b, loc, b.getF32FloatAttr(lrDecay)), lrScale);
  Value decay = arith::SubFOp::create(b, loc, one, scaledDecay);
  Value step = arith::MulFOp::create(
      b, loc, constant(b, loc, b.getF32FloatAttr(lrStep)), lrScale);
  return {decay, step};
}

Value optgraph::selectionScore(OpBuilder &b, Location loc, Value score) {
  Value isNaN =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO, score, score);
  Value infinity = arith::ConstantOp::create(
      b, loc, b.getFloatAttr(score.getType(),
                             APFloat::getInf(cast<FloatType>(score.getType())
                                                 .getFloatSemantics())));
  return arith::SelectOp::create(b, loc, isNaN, infinity, score);
}
