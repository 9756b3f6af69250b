//===- OptimDialect.td - optim dialect definition ----------*- tablegen -*-===//

#ifndef OPTGRAPH_DIALECT_OPTIM_IR_OPTIMDIALECT_TD
#define OPTGRAPH_DIALECT_OPTIM_IR_OPTIMDIALECT_TD

include "mlir/IR/OpBase.td"

def Optim_Dialect : Dialect {
  let name = "optim";
  let cppNamespace = "::optgraph::optim";
  let summary = "Optimizer graphs: low-rank DCT Adam and AdamW";
  let description = [{
    The `optim` dialect expresses the optimizer step of a model at the tensor
    level. State goes in and comes out as SSA values; nothing is updated in
    place. Two layers of ops exist:

    * whole-parameter composites that a frontend emits, `optim.adamw` and
      `optim.lowrank_adamw` (the SVD-free low-rank Adam of Modoranu et al.);
    * the primitives they decompose into (`optim.dct_basis`, `optim.project`,
      `optim.select`, `optim.gather`, `optim.rotate`, `optim.adam`,
      `optim.project_back`, `optim.apply`), which lowering and fusion work on.

    All tensors are statically shaped; weights, gradients and moments are
    `f32`, subspace indices are `i64` and the step count is an `i64` scalar
    (the 1-based index of the step being taken).

    A step function names its tensors with the discardable attributes
    `optim.name` (on arguments and results: letters, digits, `_`, `.` and
    `-`, not starting with `.`; the manifest's names and the `.npy` file
    stems) and `optim.role` (on arguments: `param`, `grad`, `state`, `step`,
    `hyper` or `input`), which the dialect verifies.
  }];
  let useDefaultAttributePrinterParser = 1;
  // `optim.name` and `optim.role` on the arguments and results of a step
  // function: the names of its tensors and what each one is.
  let hasRegionArgAttrVerify = 1;
  let hasRegionResultAttrVerify = 1;
  let hasOperationAttrVerify = 1;
  let extraClassDeclaration = [{
    /// A tensor's name in the step's manifest and its `.npy` file stem.
    static constexpr ::llvm::StringLiteral kNameAttrName = "optim.name";
    /// An argument's role (optgraph::optim::TensorRole).
    static constexpr ::llvm::StringLiteral kRoleAttrName = "optim.role";
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

#endif // OPTGRAPH_DIALECT_OPTIM_IR_OPTIMDIALECT_TD
