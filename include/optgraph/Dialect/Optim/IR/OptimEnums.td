//===- OptimEnums.td - optim dialect enum attributes -------*- tablegen -*-===//

#ifndef OPTGRAPH_DIALECT_OPTIM_IR_OPTIMENUMS_TD
#define OPTGRAPH_DIALECT_OPTIM_IR_OPTIMENUMS_TD

include "optgraph/Dialect/Optim/IR/OptimDialect.td"
include "mlir/IR/EnumAttr.td"

def Optim_BasisKind : I32EnumAttr<"BasisKind", "orthonormal DCT basis", [
    I32EnumAttrCase<"dct2", 0>,
    I32EnumAttrCase<"dct3", 1>
  ]> {
  let cppNamespace = "::optgraph::optim";
  let genSpecializedAttr = 0;
  let description = [{
    `dct3`: Q = D, the basis vectors are the columns of the orthonormal DCT-II
    matrix D (the authors' default "matmul" mode). `dct2`: Q = Dᵀ, the basis
    vectors are the DCT-II cosines, so G·Q is the row-wise DCT-II of G.
  }];
}
def Optim_BasisKindAttr : EnumAttr<Optim_Dialect, Optim_BasisKind, "basis">;

def Optim_Side : I32EnumAttr<"Side", "which side of a gradient is projected", [
    I32EnumAttrCase<"automatic", 0, "auto">,
    I32EnumAttrCase<"left", 1>,
    I32EnumAttrCase<"right", 2>
  ]> {
  let cppNamespace = "::optgraph::optim";
  let genSpecializedAttr = 0;
  let description = [{
    `right`: S = G·Q, the basis spans the columns (N = m). `left`: S = Qᵀ·G,
    the basis spans the rows (N = n). `auto` compresses the smaller dimension:
    right when n ≥ m, left otherwise. Only composites accept `auto`.
  }];
}
def Optim_SideAttr : EnumAttr<Optim_Dialect, Optim_Side, "side">;

def Optim_ScoreNorm : I32EnumAttr<"ScoreNorm", "p-norm used to score basis vectors", [
    I32EnumAttrCase<"l1", 1>,
    I32EnumAttrCase<"l2", 2>
  ]> {
  let cppNamespace = "::optgraph::optim";
  let genSpecializedAttr = 0;
  let description = [{
    `l1` is the authors' default; `l2` selects the subset of basis vectors
    that captures the most gradient energy.
  }];
}
def Optim_ScoreNormAttr : EnumAttr<Optim_Dialect, Optim_ScoreNorm, "norm">;

def Optim_TensorRole : I32EnumAttr<"TensorRole",
    "what a step function's argument is (its `optim.role`)", [
    I32EnumAttrCase<"param", 0>,
    I32EnumAttrCase<"grad", 1>,
    I32EnumAttrCase<"state", 2>,
    I32EnumAttrCase<"step", 3>,
    I32EnumAttrCase<"hyper", 4>,
    I32EnumAttrCase<"input", 5>
  ]> {
  let cppNamespace = "::optgraph::optim";
  let genSpecializedAttr = 0;
}

#endif // OPTGRAPH_DIALECT_OPTIM_IR_OPTIMENUMS_TD
