//===- Passes.td - optgraph conversion passes --------------*- tablegen -*-===//

#ifndef OPTGRAPH_CONVERSION_PASSES_TD
#define OPTGRAPH_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertOptimToLinalg : Pass<"convert-optim-to-linalg"> {
  let summary = "Lower optim primitives to linalg, tensor, arith, math and scf";
  let description = [{
    The reference lowering, used by the CPU pipeline. The basis is computed
    by a `linalg.generic` from integer phases (k·(2j+1) mod 4N) looked up in
    a table of 4N cosines, so no angle loses precision for large N and a
    basis costs 4N cosines, not N²; projections are `linalg.matmul`s (with
    transposed indexing maps for Qᵀ·G and u·Q[:, idx]ᵀ) over gathered basis
    columns; the top-k is a rank count followed by an ordered scan, which
    yields ascending indices with ties to the smaller index; Adam, the weight
    update and the rotation are elementwise `linalg.generic`s. Bias
    corrections are computed in f64 from the step count.
    Composites must be decomposed first (`optim-decompose`).
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

#endif // OPTGRAPH_CONVERSION_PASSES_TD
