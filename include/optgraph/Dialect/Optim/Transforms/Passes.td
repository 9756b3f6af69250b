//===- Passes.td - optim dialect transformation passes -----*- tablegen -*-===//

#ifndef OPTGRAPH_DIALECT_OPTIM_TRANSFORMS_PASSES_TD
#define OPTGRAPH_DIALECT_OPTIM_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def OptimDecompose : Pass<"optim-decompose"> {
  let summary = "Expand optim.adamw and optim.lowrank_adamw into primitives";
  let description = [{
    Rewrites every composite into the primitive `optim` ops. For
    `optim.lowrank_adamw`, `side = auto` is resolved against the shape, and
    the refresh condition `t == 1 || t mod interval == 0` becomes an `scf.if`
    on the step count: its then-branch computes the full projection, selects
    the subspace, gathers the low-rank gradient out of the projection and,
    with `rotate`, moves the moments; its else-branch projects onto the kept
    columns only. An interval of 1 refreshes every step and needs no branch.
    `optim.adamw` becomes `optim.adam` with the gradient as its own subspace
    followed by `optim.apply`.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::scf::SCFDialect"
  ];
}

def OptimOutlineUpdates : Pass<"optim-outline-updates", "::mlir::ModuleOp"> {
  let summary = "Share one function between parameters with the same update";
  let description = [{
    Moves every `optim.adamw` and `optim.lowrank_adamw` into a private
    function and calls it, one function per distinct update: the same op,
    operand types and attributes. A transformer's dozens of same-shaped
    matrices then share one compiled update instead of each carrying its own
    copy, which keeps compile time proportional to the number of distinct
    layer shapes rather than to the number of parameters. Functions are
    named after the update (`lowrank_adamw_512x512_r128`, ...).
  }];
  let dependentDialects = ["::mlir::func::FuncDialect"];
}

def OptimFuse : Pass<"optim-fuse"> {
  let summary = "Group decomposed primitives into the GPU's fused ops";
  let description = [{
    Forms the units that `convert-optim-to-gpu` turns into one kernel chain
    each, so that a refresh step of a low-rank parameter takes four kernels
    and any other step three:
    - `select(project(G, Q))` → `optim.project_select` (matmul whose
      epilogue accumulates the scores, then the top-k);
    - an `optim.adam` fed by an `scf.if` is copied into both branches, then
      `adam(rotate?(m, v), gather(S, idx))` → `optim.gather_adam`;
    - `apply(W, project_back(u, Q, idx))` → `optim.project_back_apply`
      (back-projection whose epilogue decays and updates W);
    - `apply(W, adam(m, v, G))` on a full-rank parameter → `optim.adamw`
      (one elementwise kernel).
    Run after `optim-decompose`.
  }];
  let dependentDialects = ["::mlir::scf::SCFDialect"];
}

#endif // OPTGRAPH_DIALECT_OPTIM_TRANSFORMS_PASSES_TD
