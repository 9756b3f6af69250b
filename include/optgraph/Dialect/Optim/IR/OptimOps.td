//===- OptimOps.td - optim dialect operations --------------*- tablegen -*-===//

#ifndef OPTGRAPH_DIALECT_OPTIM_IR_OPTIMOPS_TD
#define OPTGRAPH_DIALECT_OPTIM_IR_OPTIMOPS_TD

include "optgraph/Dialect/Optim/IR/OptimDialect.td"
include "optgraph/Dialect/Optim/IR/OptimEnums.td"
include "mlir/IR/OpBase.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/Interfaces/DestinationStyleOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

class Optim_Op<string mnemonic, list<Trait> traits = []>
    : Op<Optim_Dialect, mnemonic, !listconcat(traits, [Pure])>;

// Every tensor the dialect handles has a static shape (lowering sizes the
// basis, the top-k and the kernels from it) within the dialect's size limits
// (OptimOps.h).
def Optim_SupportedSizes
    : CPred<"::optgraph::optim::hasSupportedSizes("
            "::llvm::cast<::mlir::ShapedType>($_self))">;
class Optim_Tensor<TypeConstraint base, string what>
    : Type<And<[base.predicate, HasStaticShapePred, Optim_SupportedSizes]>,
           "statically shaped " # what # " with every dimension in "
           "1..2^31-1 and at most 2^40 elements",
           "::mlir::RankedTensorType">;
def Optim_Matrix : Optim_Tensor<2DTensorOf<[F32]>, "2D tensor of f32">;
def Optim_FloatTensor : Optim_Tensor<RankedTensorOf<[F32]>, "tensor of f32">;
def Optim_Indices : Optim_Tensor<1DTensorOf<[I64]>, "1D tensor of i64">;

// Hyperparameters are f64 attributes: the lowering folds products such as
// lr·scale in double precision before rounding once to f32.
defvar Beta1Attr = DefaultValuedAttr<F64Attr, "0.9">;
defvar Beta2Attr = DefaultValuedAttr<F64Attr, "0.999">;
defvar EpsAttr = DefaultValuedAttr<F64Attr, "1e-08">;
defvar WeightDecayAttr = DefaultValuedAttr<F64Attr, "0.0">;
defvar ScaleAttr = DefaultValuedAttr<F64Attr, "1.0">;

//===----------------------------------------------------------------------===//
// Primitives
//===----------------------------------------------------------------------===//

def Optim_DctBasisOp : Optim_Op<"dct_basis"> {
  let summary = "the orthonormal N×N DCT basis Q";
  let description = [{
    Produces Q = D (`dct3`) or Q = Dᵀ (`dct2`) where D is the orthonormal
    DCT-II matrix, D[k, j] = c_k·sqrt(2/N)·cos(π·k·(2j+1)/(2N)). The op has no
    operands and is pure, so CSE shares one basis between all layers of a
    size. It is never materialised as a dense attribute; lowering computes it.

    ```mlir
    %q = optim.dct_basis dct3 : tensor<64x64xf32>
    ```
  }];
  let arguments = (ins Optim_BasisKindAttr:$kind);
  let results = (outs Optim_Matrix:$basis);
  let assemblyFormat = "$kind attr-dict `:` type($basis)";
  let hasVerifier = 1;
}

def Optim_ProjectOp : Optim_Op<"project"> {
  let summary = "project a gradient onto the basis, or onto selected columns";
  let description = [{
    Without indices, the full projection: S = G·Q (`right`, n×N) or Qᵀ·G
    (`left`, N×m). With indices, the projection onto the r selected basis
    columns only: a = G·Q[:, idx] (n×r) or Q[:, idx]ᵀ·G (r×m).

    ```mlir
    %s = optim.project %g, %q right : tensor<96x64xf32>, tensor<64x64xf32> -> tensor<96x64xf32>
    %a = optim.project %g, %q[%idx : tensor<8xi64>] right
        : tensor<96x64xf32>, tensor<64x64xf32> -> tensor<96x8xf32>
    ```
  }];
  let arguments = (ins Optim_Matrix:$grad, Optim_Matrix:$basis,
                       Optional<Optim_Indices>:$indices, Optim_SideAttr:$side);
  let results = (outs Optim_Matrix:$result);
  let assemblyFormat = [{
    $grad `,` $basis (`[` $indices^ `:` type($indices) `]`)? $side attr-dict
    `:` type($grad) `,` type($basis) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Optim_SelectOp : Optim_Op<"select"> {
  let summary = "top-r basis vectors by the p-norm of their projections";
  let description = [{
    Scores every basis vector by the p-norm of its slice of the full projection
    S (a column of S for `right`, a row for `left`) and returns the indices of
    the r highest scores, r being the result's size. Indices are in ascending
    order; ties go to the smaller index, so the result never depends on a
    sort's stability.

    ```mlir
    %idx = optim.select %s right norm l1 : tensor<96x64xf32> -> tensor<8xi64>
    ```
  }];
  let arguments = (ins Optim_Matrix:$projected, Optim_SideAttr:$side,
                       Optim_ScoreNormAttr:$norm);
  let results = (outs Optim_Indices:$indices);
  let assemblyFormat = [{
    $projected $side `norm` $norm
    attr-dict `:` type($projected) `->` type($indices)
  }];
  let hasVerifier = 1;
}

def Optim_GatherOp : Optim_Op<"gather"> {
  let summary = "the selected slices of a full projection";
  let description = [{
    a = S[:, idx] (`right`) or S[idx, :] (`left`): on a refresh step the
    low-rank gradient is read out of the projection already computed for the
    scores, with no second matmul. When the full projection has no other user,
    canonicalization turns the pair into a skinny `optim.project`.

    ```mlir
    %a = optim.gather %s[%idx] right : tensor<96x64xf32>, tensor<8xi64> -> tensor<96x8xf32>
    ```
  }];
  let arguments = (ins Optim_Matrix:$projected, Optim_Indices:$indices,
                       Optim_SideAttr:$side);
  let results = (outs Optim_Matrix:$result);
  let assemblyFormat = [{
    $projected `[` $indices `]` $side attr-dict `:` type($projected) `,`
    type($indices) `->` type($result)
  }];
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
}

def Optim_RotateOp : Optim_Op<"rotate", [
    AllTypesMatch<["exp_avg", "exp_avg_sq", "new_exp_avg", "new_exp_avg_sq"]>,
    AllTypesMatch<["old_indices", "new_indices"]>]> {
  let summary = "move moment slices to the positions of a new subspace";
  let description = [{
    For every position k of the new indices: if basis column new[k] was
    selected before, at position j, the moments' slice j moves to k; otherwise
    slice k starts at zero. This is the exact form of the authors' r×r rotation
    Q[:, old]ᵀ·Q[:, new], which is a partial permutation for an orthonormal Q.

    ```mlir
    %m1, %v1 = optim.rotate %m, %v from %old to %new right : tensor<96x8xf32>, tensor<8xi64>
    ```
  }];
  let arguments = (ins Optim_Matrix:$exp_avg, Optim_Matrix:$exp_avg_sq,
                       Optim_Indices:$old_indices, Optim_Indices:$new_indices,
                       Optim_SideAttr:$side);
  let results = (outs Optim_Matrix:$new_exp_avg, Optim_Matrix:$new_exp_avg_sq);
  let assemblyFormat = [{
    $exp_avg `,` $exp_avg_sq `from` $old_indices `to` $new_indices $side
    attr-dict
    `:` type($exp_avg) `,` type($old_indices)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Optim_AdamOp : Optim_Op<"adam", [
    AllTypesMatch<["exp_avg", "exp_avg_sq", "grad", "new_exp_avg",
                   "new_exp_avg_sq", "direction"]>]> {
  let summary = "Adam moment update and the bias-corrected direction";
  let description = [{
    m ← β1·m + (1−β1)·a, v ← β2·v + (1−β2)·a², and the direction
    u = m̂ / (sqrt(v̂) + eps) with m̂ = m/(1−β1^t), v̂ = v/(1−β2^t), where t is
    the 1-based step count.

    ```mlir
    %m1, %v1, %u = optim.adam %m, %v, %a, %t {beta1 = 0.9 : f64} : tensor<96x8xf32>
    ```
  }];
  let arguments = (ins Optim_FloatTensor:$exp_avg, Optim_FloatTensor:$exp_avg_sq,
                       Optim_FloatTensor:$grad, I64:$step,
                       Beta1Attr:$beta1, Beta2Attr:$beta2, EpsAttr:$eps);
  let results = (outs Optim_FloatTensor:$new_exp_avg,
                      Optim_FloatTensor:$new_exp_avg_sq,
                      Optim_FloatTensor:$direction);
  let assemblyFormat = [{
    $exp_avg `,` $exp_avg_sq `,` $grad `,` $step attr-dict `:` type($grad)
  }];
  let hasVerifier = 1;
}

def Optim_ProjectBackOp : Optim_Op<"project_back"> {
  let summary = "map a low-rank direction back to the weight's shape";
  let description = [{
    U = u·Q[:, idx]ᵀ (`right`, n×N from n×r) or U = Q[:, idx]·u (`left`, N×m
    from r×m).

    ```mlir
    %U = optim.project_back %u, %q[%idx] right
        : tensor<96x8xf32>, tensor<64x64xf32>, tensor<8xi64> -> tensor<96x64xf32>
    ```
  }];
  let arguments = (ins Optim_Matrix:$direction, Optim_Matrix:$basis,
                       Optim_Indices:$indices, Optim_SideAttr:$side);
  let results = (outs Optim_Matrix:$result);
  let assemblyFormat = [{
    $direction `,` $basis `[` $indices `]` $side attr-dict `:` type($direction)
    `,` type($basis) `,` type($indices) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Optim_ApplyOp : Optim_Op<"apply", [
    AllTypesMatch<["param", "update", "new_param"]>]> {
  let summary = "decoupled weight decay and the scaled update";
  let description = [{
    W ← W·(1 − lr·weight_decay) − lr·scale·U, where lr is the `lr` attribute
    times the optional runtime `lr_scale` operand (a learning-rate
    schedule's factor for this step; 1 when absent).

    ```mlir
    %w1 = optim.apply %w, %U {lr = 1.0e-3 : f64, weight_decay = 0.1 : f64} : tensor<96x64xf32>
    ```
  }];
  let arguments = (ins Optim_FloatTensor:$param, Optim_FloatTensor:$update,
                       Optional<F32>:$lr_scale, F64Attr:$lr,
                       WeightDecayAttr:$weight_decay, ScaleAttr:$scale);
  let results = (outs Optim_FloatTensor:$new_param);
  let assemblyFormat = [{
    $param `,` $update (`lr_scale` $lr_scale^)? attr-dict `:` type($param)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Composites
//===----------------------------------------------------------------------===//

def Optim_AdamWOp : Optim_Op<"adamw", [
    AllTypesMatch<["param", "grad", "exp_avg", "exp_avg_sq", "new_param",
                   "new_exp_avg", "new_exp_avg_sq"]>]> {
  let summary = "one full-rank AdamW step for a parameter";
  let description = [{
    Decoupled weight decay, then Adam on the full gradient:
    W ← W·(1 − lr·wd) − lr·m̂/(sqrt(v̂) + eps). Used for 1-D parameters and
    for matrices the frontend keeps full-rank (embeddings, output heads).
    The optional `lr_scale` operand multiplies `lr` at run time (a schedule).

    ```mlir
    %w1, %m1, %v1 = optim.adamw %w, %g, %m, %v, %t {lr = 1.0e-3 : f64} : tensor<64xf32>
    ```
  }];
  let arguments = (ins Optim_FloatTensor:$param, Optim_FloatTensor:$grad,
                       Optim_FloatTensor:$exp_avg, Optim_FloatTensor:$exp_avg_sq,
                       I64:$step, Optional<F32>:$lr_scale, F64Attr:$lr,
                       Beta1Attr:$beta1,
                       Beta2Attr:$beta2, EpsAttr:$eps,
                       WeightDecayAttr:$weight_decay);
  let results = (outs Optim_FloatTensor:$new_param,
                      Optim_FloatTensor:$new_exp_avg,
                      Optim_FloatTensor:$new_exp_avg_sq);
  let assemblyFormat = [{
    $param `,` $grad `,` $exp_avg `,` $exp_avg_sq `,` $step
    (`lr_scale` $lr_scale^)? attr-dict `:` type($param)
  }];
  let hasVerifier = 1;
}

def Optim_LowRankAdamWOp : Optim_Op<"lowrank_adamw", [
    AllTypesMatch<["param", "grad", "new_param"]>,
    AllTypesMatch<["exp_avg", "exp_avg_sq", "new_exp_avg", "new_exp_avg_sq"]>,
    AllTypesMatch<["indices", "new_indices"]>]> {
  let summary = "one SVD-free low-rank AdamW step for a matrix parameter";
  let description = [{
    The DCT low-rank Adam of "SVD-Free Low-Rank Adaptive Gradient Optimization
    for LLMs". The rank r is the size of `indices`, which holds the selected
    basis columns (ascending). On refresh steps (t == 1 or t mod interval == 0)
    the subspace is chosen again from S = G·Q (or Qᵀ·G); with `rotate`, moment
    slices follow their basis column to its new position. Then decoupled
    weight decay, Adam in the subspace, and the back-projected update scaled by
    `scale`. The optional `lr_scale` operand multiplies `lr` at run time (a
    learning-rate schedule's factor for this step).

    The moments are n×r when the right side is projected and r×m for the left;
    `side = auto` picks right when n ≥ m.

    ```mlir
    %w1, %m1, %v1, %i1 = optim.lowrank_adamw %w, %g, %m, %v, %idx, %t
        {lr = 1.0e-3 : f64, interval = 200 : i64, rotate = true}
        : tensor<96x64xf32>, tensor<96x8xf32>, tensor<8xi64>
    ```
  }];
  let arguments = (ins Optim_Matrix:$param, Optim_Matrix:$grad,
                       Optim_Matrix:$exp_avg, Optim_Matrix:$exp_avg_sq,
                       Optim_Indices:$indices, I64:$step,
                       Optional<F32>:$lr_scale,
                       F64Attr:$lr, Beta1Attr:$beta1, Beta2Attr:$beta2,
                       EpsAttr:$eps, WeightDecayAttr:$weight_decay,
                       ScaleAttr:$scale,
                       DefaultValuedAttr<ConfinedAttr<I64Attr, [IntPositive]>,
                                         "1">:$interval,
                       DefaultValuedAttr<BoolAttr, "false">:$rotate,
                       DefaultValuedAttr<Optim_BasisKindAttr,
                                         "BasisKind::dct3">:$basis,
                       DefaultValuedAttr<Optim_ScoreNormAttr,
                                         "ScoreNorm::l1">:$norm,
                       DefaultValuedAttr<Optim_SideAttr,
                                         "Side::automatic">:$side);
  let results = (outs Optim_Matrix:$new_param, Optim_Matrix:$new_exp_avg,
                      Optim_Matrix:$new_exp_avg_sq, Optim_Indices:$new_indices);
  let assemblyFormat = [{
    $param `,` $grad `,` $exp_avg `,` $exp_avg_sq `,` $indices `,` $step
    (`lr_scale` $lr_scale^)? attr-dict `:` type($param) `,` type($exp_avg) `,`
    type($indices)
  }];
  let extraClassDeclaration = [{
    /// `side` with `auto` resolved against the parameter's shape.
    Side getResolvedSide();
    /// The rank r: the number of selected basis vectors.
    int64_t getRank() { return getIndices().getType().getDimSize(0); }
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Fused ops: what `optim-fuse` forms for the GPU, one kernel chain each
//===----------------------------------------------------------------------===//

def Optim_ProjectSelectOp : Optim_Op<"project_select"> {
  let summary = "full projection and the top-r selection, fused";
  let description = [{
    `project` without indices followed by `select` on its result: S = G·Q
    (`right`) or Qᵀ·G (`left`) and the indices of the r basis vectors with
    the largest p-norms, ascending, ties to the smaller index. The scores are
    accumulated in the projection's epilogue, so S is never read back for
    them.
    ```mlir
    %s, %idx = optim.project_select %g, %q right norm l1
        : tensor<96x64xf32>, tensor<64x64xf32> -> tensor<96x64xf32>, tensor<8xi64>
    ```
  }];
  let arguments = (ins Optim_Matrix:$grad, Optim_Matrix:$basis,
                       Optim_SideAttr:$side, Optim_ScoreNormAttr:$norm);
  let results = (outs Optim_Matrix:$projected, Optim_Indices:$indices);
  let assemblyFormat = [{
    $grad `,` $basis $side `norm` $norm
    attr-dict `:` type($grad) `,` type($basis) `->` type($projected) `,` type($indices)
  }];
  let hasVerifier = 1;
}

def Optim_GatherAdamOp : Optim_Op<"gather_adam", [
    AllTypesMatch<["exp_avg", "exp_avg_sq", "new_exp_avg", "new_exp_avg_sq",
                   "direction"]>]> {
  let summary = "gather of the low-rank gradient, rotation and Adam, fused";
  let description = [{
    `gather` of the selected slices of the full projection, the optional
    `rotate` of the moments from the `old_indices` subspace to `indices`,
    and `adam` on the result, in one pass over the moments.
    ```mlir
    %m1, %v1, %u = optim.gather_adam %s[%idx] right, %m, %v, %t
        from %old : tensor<8xi64>
        : tensor<96x64xf32>, tensor<8xi64>, tensor<96x8xf32>
    ```
  }];
  let arguments = (ins Optim_Matrix:$projected, Optim_Indices:$indices,
                       Optim_Matrix:$exp_avg, Optim_Matrix:$exp_avg_sq,
                       I64:$step, Optional<Optim_Indices>:$old_indices,
                       Optim_SideAttr:$side, Beta1Attr:$beta1,
                       Beta2Attr:$beta2, EpsAttr:$eps);
  let results = (outs Optim_Matrix:$new_exp_avg, Optim_Matrix:$new_exp_avg_sq,
                      Optim_Matrix:$direction);
  let assemblyFormat = [{
    $projected `[` $indices `]` $side `,` $exp_avg `,`
    $exp_avg_sq `,` $step (`from` $old_indices^ `:` type($old_indices))?
    attr-dict `:`
    type($projected) `,` type($indices) `,` type($exp_avg)
  }];
  let hasVerifier = 1;
}

def Optim_ProjectBackApplyOp : Optim_Op<"project_back_apply", [
    AllTypesMatch<["param", "new_param"]>]> {
  let summary = "back-projection, weight decay and the update, fused";
  let description = [{
    `project_back` followed by `apply`: W ← W·(1 − lr·wd) − lr·scale·U with
    U = u·Q[:, idx]ᵀ (`right`) or Q[:, idx]·u (`left`). The update is applied
    in the back-projection's epilogue: W is read and written once and U is
    never stored.
    ```mlir
    %w1 = optim.project_back_apply %w, %u, %q[%idx] right {lr = 1.0e-3 : f64}
        : tensor<96x64xf32>, tensor<96x8xf32>, tensor<64x64xf32>, tensor<8xi64>
    ```
  }];
  let arguments = (ins Optim_Matrix:$param, Optim_Matrix:$direction,
                       Optim_Matrix:$basis, Optim_Indices:$indices,
                       Optional<F32>:$lr_scale, Optim_SideAttr:$side,
                       F64Attr:$lr, WeightDecayAttr:$weight_decay,
                       ScaleAttr:$scale);
  let results = (outs Optim_Matrix:$new_param);
  let assemblyFormat = [{
    $param `,` $direction `,` $basis `[` $indices `]` $side
    (`lr_scale` $lr_scale^)? attr-dict `:` type($param) `,` type($direction) `,`
    type($basis) `,` type($indices)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Kernel launch on tensors
//===----------------------------------------------------------------------===//

def Optim_LaunchOp : Op<Optim_Dialect, "launch", [
    AttrSizedOperandSegments, DestinationStyleOpInterface,
    DeclareOpInterfaceMethods<MemoryEffectsOpInterface>,
    DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "a GPU kernel launch in destination-passing style";
  let description = [{
    Launches `kernel` (a `gpu.func` in a `gpu.module`) on a `grid` of blocks
    of `block` threads. The kernel's arguments are the `ins` (tensors are
    passed as buffers, scalars by value) followed by the `outs`, which it
    overwrites entirely; on tensors, the results are the `outs`' new values.
    Keeping launches on tensors lets upstream one-shot bufferization place
    every buffer: a result returned from the step is written straight into
    the caller's buffer, with no copy. On buffers (after bufferization) the
    op has no results and declares its reads and writes, so that buffer
    deallocation can reason about it; `optgraph-gpu-host-lowering` then turns
    it into a `gpu.launch_func`.
    ```mlir
    %u = optim.launch @optgraph_kernels::@adam_96x8 grid [3, 1, 1] block [256, 1, 1]
        ins(%m, %v, %a, %c1, %c2 : tensor<96x8xf32>, tensor<96x8xf32>, tensor<96x8xf32>, f32, f32)
        outs(%init : tensor<96x8xf32>) -> tensor<96x8xf32>
    ```
  }];
  let arguments = (ins SymbolRefAttr:$kernel, DenseI64ArrayAttr:$grid,
                       DenseI64ArrayAttr:$block, Variadic<AnyType>:$inputs,
                       Variadic<AnyTypeOf<[AnyRankedTensor, AnyMemRef]>>:$outputs);
  let results = (outs Variadic<AnyRankedTensor>:$results);
  let assemblyFormat = [{
    $kernel `grid` $grid `block` $block
    (`ins` `(` $inputs^ `:` type($inputs) `)`)?
    `outs` `(` $outputs `:` type($outputs) `)` attr-dict (`->` type($results)^)?
  }];
  let extraClassDeclaration = [{
    ::mlir::MutableOperandRange getDpsInitsMutable() { return getOutputsMutable(); }
  }];
  let hasVerifier = 1;
}

#endif // OPTGRAPH_DIALECT_OPTIM_IR_OPTIMOPS_TD
