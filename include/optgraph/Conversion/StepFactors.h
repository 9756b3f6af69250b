//===- StepFactors.h - per-step scalars shared by the lowerings -*- C++ -*-===//
//
// The scalars an update computes once per step on the host, and the order
// of the subspace scores, shared by the CPU and GPU lowerings so that both
// round and select the same way.
//
//===----------------------------------------------------------------------===//

#ifndef OPTGRAPH_CONVERSION_STEPFACTORS_H
#define OPTGRAPH_CONVERSION_STEPFACTORS_H

#include "mlir/IR/Builders.h"

namespace optgraph {

/// 1/(1 − β^t) as f32 from the i64 step count, computed in f64: in f32,
/// 1 − 0.999^t loses digits for small t.
mlir::Value inverseBiasCorrection(mlir::OpBuilder &b, mlir::Location loc,
                                  mlir::Value step, double beta);

/// The f32 factors of W ← W·decay − step·U: decay = 1 − lr·wd and
/// step = lr·scale, times the runtime `lrScale` when there is one (folded in
/// f64 otherwise).
std::pair<mlir::Value, mlir::Value>
updateFactors(mlir::OpBuilder &b, mlir::Location loc, mlir::Value lrScale,
              double lr, double weightDecay, double scale);

/// A subspace score as the top-k orders it: NaN counts as +inf, so that the
/// rank count is a total order (ties, +inf and NaN included, to the smaller
/// index) and exactly r columns are selected.
mlir::Value selectionScore(mlir::OpBuilder &b, mlir::Location loc,
                           mlir::Value score);

} // namespace optgraph

#endif // OPTGRAPH_CONVERSION_STEPFACTORS_H
