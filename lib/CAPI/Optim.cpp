//===- Optim.cpp - C API of the optim dialect -----------------------------===//

#include "optgraph-c/Optim.h"
#include "optgraph/Dialect/Optim/IR/OptimOps.h"
#include "optgraph/InitAll.h"

#include "mlir/CAPI/IR.h"
#include "mlir/CAPI/Registration.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Verifier.h"

#include <mutex>

using namespace mlir;
using namespace optgraph::optim;

MLIR_DEFINE_CAPI_DIALECT_REGISTRATION(Optim, optim, OptimDialect)

void optgraphRegisterDialects(MlirDialectRegistry registry) {
  optgraph::registerAllDialects(*unwrap(registry));
}

void optgraphRegisterPasses(void) {
  static std::once_flag once;
  std::call_once(once, optgraph::registerAllPasses);
}

/// The verified `op`, or null (and `op` erased) when it does not verify.
static MlirOperation verified(Operation *op) {
  if (succeeded(verify(op)))
    return wrap(op);
  op->erase();
  return MlirOperation{nullptr};
}

MlirOperation optgraphAdamWOpCreate(MlirLocation location, MlirValue param,
                                    MlirValue grad, MlirValue expAvg,
                                    MlirValue expAvgSq, MlirValue step,
                                    MlirValue lrScale,
                                    OptgraphAdamWOptions options) {
  OpBuilder b(unwrap(location)->getContext());
  Type type = unwrap(param).getType();
  return verified(AdamWOp::create(
      b, unwrap(location), TypeRange{type, type, type}, unwrap(param),
      unwrap(grad), unwrap(expAvg), unwrap(expAvgSq), unwrap(step),
      unwrap(lrScale), b.getF64FloatAttr(options.lr),
      b.getF64FloatAttr(options.beta1), b.getF64FloatAttr(options.beta2),
      b.getF64FloatAttr(options.eps), b.getF64FloatAttr(options.weightDecay)));
}

MlirOperation optgraphLowRankAdamWOpCreate(
    MlirLocation location, MlirValue param, MlirValue grad, MlirValue expAvg,
    MlirValue expAvgSq, MlirValue subspace, MlirValue step, MlirValue lrScale,
    OptgraphAdamWOptions adamw, OptgraphLowRankOptions lowRank) {
  MLIRContext *ctx = unwrap(location)->getContext();
  OpBuilder b(ctx);
  Type paramType = unwrap(param).getType();
  Type momentType = unwrap(expAvg).getType();
  BasisKind basis =
      lowRank.basis == OptgraphBasisDct2 ? BasisKind::dct2 : BasisKind::dct3;
  ScoreNorm norm = lowRank.norm == OptgraphNormL2 ? ScoreNorm::l2 : ScoreNorm::l1;
  Side side = lowRank.side == OptgraphSideLeft    ? Side::left
              : lowRank.side == OptgraphSideRight ? Side::right
                                                  : Side::automatic;
  return verified(LowRankAdamWOp::create(
      b, unwrap(location),
      TypeRange{paramType, momentType, momentType,
                unwrap(subspace).getType()},
      unwrap(param), unwrap(grad), unwrap(expAvg), unwrap(expAvgSq),
      unwrap(subspace), unwrap(step), unwrap(lrScale),
      b.getF64FloatAttr(adamw.lr), b.getF64FloatAttr(adamw.beta1),
      b.getF64FloatAttr(adamw.beta2), b.getF64FloatAttr(adamw.eps),
      b.getF64FloatAttr(adamw.weightDecay), b.getF64FloatAttr(lowRank.scale),
      b.getI64IntegerAttr(lowRank.interval), b.getBoolAttr(lowRank.rotate),
      BasisKindAttr::get(ctx, basis), ScoreNormAttr::get(ctx, norm),
      SideAttr::get(ctx, side)));
}
